// Where an SDK recording of the handover bench is scored, shared by run.ts (which scores as it
// records) and attribute.ts (which reads saved recordings): the switch window at each heard
// crossfade, the second around it, and control windows where no re-key is under way.
import type { BrowserName } from '../../e2e/support/browsers';
import type { PageEvent } from '../../e2e/audio/session';

export type AudioOutput = 'remoteStream' | 'speaker';

export interface Span {
  /** ms after the instant the window is placed at (may be negative: before it). */
  from: number;
  to: number;
}

/**
 * The switch window, in ms after the receiver's report's handover.at (when its crossfade
 * began): where the crossfade can be heard, given the latency of the receiver's WebAudio ->
 * MediaStream -> <audio> -> PulseAudio path. Measured with --calibrate, it differs from one
 * browser launch to the next (Chromium 155-309 ms, Firefox 8-55 ms in two runs, BENCHMARKS.md),
 * so the window spans all of that with some margin.
 */
export const SWITCH_WINDOWS: Record<AudioOutput, Record<BrowserName, Span>> = {
  remoteStream: {
    chromium: { from: 100, to: 400 },
    firefox: { from: -50, to: 150 },
  },
  // The SDK's own output (--audio-output speaker) skips the MediaStream -> <audio> hop: one
  // calibration run heard Chromium 55-90 ms and Firefox 39-70 ms after handover.at.
  speaker: {
    chromium: { from: 0, to: 250 },
    firefox: { from: -50, to: 150 },
  },
};

/** The wide window, around handover.at too: the switch and what follows it (1 s). */
export const AROUND = { before: 200, after: 800 };

/**
 * Where the control windows go, page time: one 1 s window (AROUND's length, placed like it)
 * after each re-key's end, when the next re-key has not started before it is over. A
 * switch-length control sits `middle` ms after each of those instants (centred in it).
 */
export function controlWindows(events: PageEvent[], switchWindow: Span) {
  const starts = events.filter((e) => e.type === 'rekeystart').map((e) => e.at);
  const at: number[] = [];
  for (const end of events.filter((e) => e.type === 'rekey').map((e) => e.at)) {
    const place = end + 300 + AROUND.before;
    const next = starts.find((s) => s > end) ?? Infinity;
    if (place + AROUND.after <= next - 100) at.push(place);
  }
  const middle = (AROUND.after - AROUND.before) / 2 - (switchWindow.from + switchWindow.to) / 2;
  return { at, middle };
}
