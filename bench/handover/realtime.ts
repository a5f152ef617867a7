// What rtkit does on a desktop, for the browsers of a bench run: their audio threads get
// real-time scheduling (SCHED_FIFO). Browsers ask for it themselves (Firefox's AudioIPC callback,
// Chromium's audio output and worklet threads) and PulseAudio grants it through rtkit over D-Bus;
// this machine has neither D-Bus nor rtkit, so those threads run at normal priority and, under the
// load of two browsers, Xvfb and the recorder, miss audio deadlines now and then: the sound
// server then inserts silence and the timeline steps later (bench/handover/steps.ts counts them).
//
// Needs root (CI and this machine run as root); without it, or without `chrt`, it does nothing
// and says so once.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Thread names (as `ps` shows them, 15 characters at most) of the threads a desktop would make
 * real-time: Chromium's renderer audio output and AudioWorklet threads, its audio service's
 * PulseAudio loop; Firefox's AudioIPC callbacks and media graph; PulseAudio's own.
 */
const AUDIO_THREAD =
  /^(AudioOutputDevi|Realtime|AudioThread|threaded-ml|AudioIP~allback|AudioIPC Callbac|GraphRunner|MediaTrackGrph|pulseaudio|null-sink)/;
const PRIORITY = 10;
const EVERY_MS = 500;

export interface Realtime {
  /** Threads made real-time so far. */
  readonly promoted: number;
  stop(): void;
}

/** Keeps promoting audio threads as they appear (new pages, new connections) until stop(). */
export function keepAudioRealtime(log: (line: string) => void = console.error): Realtime {
  const tried = new Set<number>();
  let promoted = 0;
  let stopped = false;
  let failed = false;
  const failOnce = (what: string) => {
    if (!failed) log(`realtime: cannot promote audio threads (${what})`);
    failed = true;
  };
  let timer: ReturnType<typeof setTimeout> | null = null;
  const sweep = async () => {
    if (stopped) return;
    try {
      const { stdout } = await run('ps', ['-eLo', 'tid=,cls=,comm=']);
      for (const line of stdout.split('\n')) {
        const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
        if (!match) continue;
        const tid = Number(match[1]);
        if (tried.has(tid) || match[2] === 'FF' || !AUDIO_THREAD.test(match[3]!)) continue;
        tried.add(tid);
        // A thread that ended between ps and chrt is no failure; any other is reported once.
        await run('chrt', ['-f', '-p', String(PRIORITY), String(tid)]).then(
          () => (promoted += 1),
          (error: Error) => {
            if (existsSync(`/proc/${tid}`))
              failOnce(`chrt ${tid}: ${error.message.split('\n')[0]}`);
          },
        );
      }
    } catch (error) {
      failOnce((error as Error).message);
    }
    if (!stopped) timer = setTimeout(() => void sweep(), EVERY_MS);
  };
  void sweep();
  return {
    get promoted() {
      return promoted;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
