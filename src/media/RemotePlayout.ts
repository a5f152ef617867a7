import type { Platform } from '../platform.js';

interface Source {
  track: MediaStreamTrack;
  node: MediaStreamAudioSourceNode | null;
  /** Aligns this generation's audio with the one it replaces (see {@link RemotePlayout.switchTo}). */
  delay: DelayNode | null;
  gain: GainNode | null;
  stopKeepAlive: () => void;
}

/** Below this switch budget there is no time to measure: a plain crossfade over the budget. */
const ALIGN_MIN_BUDGET_MS = 250;
/** Crossfade length once the generations are aligned. */
const ALIGNED_FADE_MS = 30;
/** Time kept free at the end of the budget: the other side retires its old connection on its own clock. */
const BUDGET_MARGIN_MS = 80;
/** Largest playout-delay difference looked for, each way. */
const MAX_LAG_S = 0.08;
/** Smallest normalised correlation accepted as "the same audio". */
const MIN_CORRELATION = 0.6;
/** Rate at which alignment delay is given back after the switch (0.5 % faster playout). */
const DELAY_RELEASE_RATE = 0.005;

interface Transition {
  timer: unknown;
  from: number | null;
  to: number;
  taps: { old: AnalyserNode; fresh: AnalyserNode } | null;
}

/** Samples compared (about 340 ms at 48 kHz). */
const TAP_SIZE = 16384;

/**
 * The shift d (samples, |d| <= maxLag) that best matches a[n] with b[n - d], i.e. how much b
 * must be delayed to line up with a; null when the best normalised correlation is weak.
 * Coarse search on 2x-decimated signals, then refined at full rate.
 */
export function bestLag(a: Float32Array, b: Float32Array, maxLag: number): number | null {
  const n = Math.min(a.length, b.length);
  if (n <= 2 * maxLag + 64) return null;
  const correlate = (
    x: ArrayLike<number>,
    y: ArrayLike<number>,
    length: number,
    lag: number,
    margin: number,
  ) => {
    let sum = 0;
    let ex = 0;
    let ey = 0;
    for (let i = margin; i < length - margin; i++) {
      const xv = x[i]!;
      const yv = y[i - lag]!;
      sum += xv * yv;
      ex += xv * xv;
      ey += yv * yv;
    }
    return ex > 0 && ey > 0 ? sum / Math.sqrt(ex * ey) : 0;
  };
  const half = Math.floor(n / 2);
  const da = new Float32Array(half);
  const db = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    da[i] = (a[2 * i]! + a[2 * i + 1]!) / 2;
    db[i] = (b[2 * i]! + b[2 * i + 1]!) / 2;
  }
  const coarseMax = Math.ceil(maxLag / 2);
  let best = 0;
  let bestScore = -Infinity;
  for (let lag = -coarseMax; lag <= coarseMax; lag++) {
    const score = correlate(da, db, half, lag, coarseMax + 1);
    if (score > bestScore) {
      bestScore = score;
      best = lag * 2;
    }
  }
  let fine = best;
  let fineScore = -Infinity;
  for (let lag = best - 3; lag <= best + 3; lag++) {
    if (Math.abs(lag) > maxLag) continue;
    const score = correlate(a, b, n, lag, maxLag + 4);
    if (score > fineScore) {
      fineScore = score;
      fine = lag;
    }
  }
  return fineScore >= MIN_CORRELATION ? fine : null;
}

/**
 * One remote MediaStream for the whole call, whatever generation carries the audio.
 *
 * Swapping tracks inside one MediaStream leaves Chromium's `<audio>` element silent (FACTS.md),
 * so each generation's remote audio track is mixed through WebAudio into one destination node
 * whose track lives in `stream` from construction to close. A switch is a short crossfade
 * between two generations carrying the same speech, so no sample is dropped or repeated.
 * Without WebAudio the stream's tracks are swapped instead (the best that is left).
 */
export class RemotePlayout {
  readonly stream: MediaStream;
  private readonly context: AudioContext | null;
  private readonly destination: MediaStreamAudioDestinationNode | null;
  private readonly sources = new Map<number, Source>();
  private active: number | null = null;
  private closed = false;
  private transition: Transition | null = null;

  constructor(private readonly platform: Platform) {
    this.context = platform.createAudioContext();
    this.destination = this.context ? this.context.createMediaStreamDestination() : null;
    this.stream = new platform.MediaStream(
      this.destination ? this.destination.stream.getAudioTracks() : [],
    );
  }

  /** Resumes the audio context: call from a user gesture where autoplay rules demand it. */
  async resume(): Promise<void> {
    if (this.context && this.context.state === 'suspended') await this.context.resume();
  }

  /** Adds a generation's remote track, silent until {@link switchTo} selects it. */
  add(generation: number, track: MediaStreamTrack): void {
    if (this.closed) return;
    if (track.kind !== 'audio') {
      this.addVideo(generation, track);
      return;
    }
    if (this.sources.has(generation)) return;
    if (!this.context || !this.destination) {
      this.sources.set(generation, {
        track,
        node: null,
        delay: null,
        gain: null,
        stopKeepAlive: () => undefined,
      });
      if (this.active === null || this.active === generation) this.swapInto(track);
      return;
    }
    const stopKeepAlive = this.platform.playMuted(track);
    const node = this.context.createMediaStreamSource(new this.platform.MediaStream([track]));
    const delay = this.context.createDelay(2 * MAX_LAG_S + 0.05);
    delay.delayTime.value = 0;
    const gain = this.context.createGain();
    gain.gain.value = this.active === null || this.active === generation ? 1 : 0;
    node.connect(delay).connect(gain).connect(this.destination);
    this.sources.set(generation, { track, node, delay, gain, stopKeepAlive });
    if (this.active === null) this.active = generation;
  }

  /**
   * Moves playout from the active generation to `generation`. `budgetMs` is how long the caller
   * keeps the old generation playing (SecureCall: `rekey.switchMs`).
   *
   * The two generations carry the same audio but their playout delays differ (each has its own
   * jitter buffer, and the new one is still settling), so a plain crossfade plays a few ms twice
   * or skips them. With a budget of at least 250 ms the old generation keeps playing alone while
   * the new one settles; then the delay between the two is measured by cross-correlating what
   * each plays, the earlier one is delayed to match, and a short crossfade joins two aligned
   * copies of the same audio. Alignment delay given to the new generation is released afterwards
   * at 0.5 % speed-up, so latency does not grow from switch to switch. With a smaller budget, or
   * when the audio does not correlate (silence), it is a plain crossfade.
   */
  switchTo(generation: number, budgetMs: number): void {
    if (this.closed || this.active === generation) return;
    const next = this.sources.get(generation);
    const from = this.active;
    this.finishTransition();
    this.active = generation;
    this.swapVideo(generation);
    if (!next) return;
    if (!this.context || !next.gain) {
      this.swapInto(next.track);
      return;
    }
    const previous = from === null ? undefined : this.sources.get(from);
    if (!previous?.gain || budgetMs < ALIGN_MIN_BUDGET_MS) {
      this.fade(previous, next, Math.max(budgetMs, 0));
      return;
    }
    const waitMs = budgetMs - BUDGET_MARGIN_MS - ALIGNED_FADE_MS;
    const transition: Transition = {
      timer: null,
      from,
      to: generation,
      taps: this.startTaps(previous, next),
    };
    transition.timer = this.platform.setTimeout(() => {
      if (this.transition !== transition) return;
      this.transition = null;
      const old = from === null ? undefined : this.sources.get(from);
      const fresh = this.sources.get(generation);
      if (fresh && old) this.align(old, fresh, transition.taps);
      this.stopTaps(transition.taps);
      if (fresh) this.fade(old, fresh, ALIGNED_FADE_MS);
    }, waitMs);
    this.transition = transition;
  }

  private startTaps(previous: Source, next: Source): Transition['taps'] {
    const context = this.context;
    if (!context || !previous.delay || !next.delay) return null;
    const old = context.createAnalyser();
    const fresh = context.createAnalyser();
    old.fftSize = TAP_SIZE;
    fresh.fftSize = TAP_SIZE;
    previous.delay.connect(old);
    next.delay.connect(fresh);
    return { old, fresh };
  }

  private stopTaps(taps: Transition['taps']): void {
    taps?.old.disconnect();
    taps?.fresh.disconnect();
  }

  /**
   * How much later, in seconds, the old generation plays than the new one (> 0: the new one is
   * earlier), from the last TAP_SIZE samples each played; null when they do not correlate.
   */
  private measureLag(taps: NonNullable<Transition['taps']>): number | null {
    const a = new Float32Array(TAP_SIZE);
    const b = new Float32Array(TAP_SIZE);
    const check = new Float32Array(16);
    // The two reads must see the same render quantum: read old, new, old again.
    let consistent = false;
    for (let attempt = 0; attempt < 5 && !consistent; attempt++) {
      taps.old.getFloatTimeDomainData(a);
      taps.fresh.getFloatTimeDomainData(b);
      const again = new Float32Array(TAP_SIZE);
      taps.old.getFloatTimeDomainData(again);
      check.set(again.subarray(TAP_SIZE - 16));
      consistent = check.every((v, i) => v === a[TAP_SIZE - 16 + i]);
    }
    if (!consistent) return null;
    const rate = this.context!.sampleRate;
    const lag = bestLag(a, b, Math.round(MAX_LAG_S * rate));
    return lag === null ? null : lag / rate;
  }

  private align(previous: Source, next: Source, taps: Transition['taps']): void {
    const lag = taps ? this.measureLag(taps) : null;
    this.lastMeasuredLag = lag;
    if (lag === null || !next.delay || !previous.delay) return;
    // The new generation plays `lag` earlier than the old one as heard: delay it by that much.
    // A negative lag (new one later) cannot be undone without playing something twice; the
    // fade then covers it.
    const wanted = Math.min(Math.max(lag, 0), 2 * MAX_LAG_S);
    const now = this.context!.currentTime;
    next.delay.delayTime.cancelScheduledValues(now);
    next.delay.delayTime.setValueAtTime(wanted, now);
    if (wanted > 0) {
      // Give the delay back slowly once the fade is over.
      const start = now + ALIGNED_FADE_MS / 1000 + 0.05;
      next.delay.delayTime.setValueAtTime(wanted, start);
      next.delay.delayTime.linearRampToValueAtTime(0, start + wanted / DELAY_RELEASE_RATE);
    }
  }

  /** The delay difference measured at the last aligned switch, in seconds (diagnostics). */
  lastMeasuredLag: number | null = null;

  private fade(previous: Source | undefined, next: Source, fadeMs: number): void {
    if (!this.context || !next.gain) return;
    const start = this.context.currentTime;
    const end = start + fadeMs / 1000;
    next.gain.gain.cancelScheduledValues(start);
    next.gain.gain.setValueAtTime(next.gain.gain.value, start);
    next.gain.gain.linearRampToValueAtTime(1, end);
    if (previous?.gain) {
      previous.gain.gain.cancelScheduledValues(start);
      previous.gain.gain.setValueAtTime(previous.gain.gain.value, start);
      previous.gain.gain.linearRampToValueAtTime(0, end);
    }
  }

  /** A pending aligned switch happens now, unaligned (its old generation is going away). */
  private finishTransition(): void {
    const transition = this.transition;
    if (!transition) return;
    this.transition = null;
    this.platform.clearTimeout(transition.timer);
    this.stopTaps(transition.taps);
    const to = this.sources.get(transition.to);
    if (to)
      this.fade(transition.from === null ? undefined : this.sources.get(transition.from), to, 5);
  }

  /** Forgets a retired generation: disconnects its nodes and stops its keep-alive element. */
  remove(generation: number): void {
    if (
      this.transition &&
      (this.transition.from === generation || this.transition.to === generation)
    )
      this.finishTransition();
    const source = this.sources.get(generation);
    this.sources.delete(generation);
    const video = this.videos.get(generation);
    this.videos.delete(generation);
    if (video && this.stream.getTrackById(video.id)) this.stream.removeTrack(video);
    if (!source) return;
    source.node?.disconnect();
    source.delay?.disconnect();
    source.gain?.disconnect();
    source.stopKeepAlive();
    if (!source.node && this.stream.getTrackById(source.track.id))
      this.stream.removeTrack(source.track);
  }

  /** Generations whose audio is still mixed in. */
  get generations(): number[] {
    return [...this.sources.keys()];
  }

  close(): void {
    if (this.closed) return;
    if (this.transition) {
      this.platform.clearTimeout(this.transition.timer);
      this.stopTaps(this.transition.taps);
    }
    this.transition = null;
    for (const generation of [...this.sources.keys()]) this.remove(generation);
    this.closed = true;
    this.destination?.stream.getTracks().forEach((t) => t.stop());
    void this.context?.close().catch(() => undefined);
  }

  // Video is not mixed: the active generation's video track is swapped into the stream.
  private readonly videos = new Map<number, MediaStreamTrack>();

  private addVideo(generation: number, track: MediaStreamTrack): void {
    this.videos.set(generation, track);
    if (this.active === null || this.active === generation) this.swapVideo(generation);
  }

  private swapVideo(generation: number): void {
    const track = this.videos.get(generation);
    if (!track) return;
    for (const old of this.stream.getVideoTracks()) if (old !== track) this.stream.removeTrack(old);
    if (!this.stream.getTrackById(track.id)) this.stream.addTrack(track);
  }

  private swapInto(track: MediaStreamTrack): void {
    for (const old of this.stream.getAudioTracks()) if (old !== track) this.stream.removeTrack(old);
    if (!this.stream.getTrackById(track.id)) this.stream.addTrack(track);
  }
}
