import type { Platform } from '../platform.js';
import type { HandoverInfo } from '../types.js';
import { bestLag, bestLagNear, correlationAt } from './bestLag.js';
import {
  PLAYOUT_PROCESSOR,
  PLAYOUT_SLOTS,
  playoutProcessorSource,
  type PlayoutCommand,
  type PlayoutReply,
} from './playoutProcessor.js';

/** Below this switch budget there is no time to measure: a plain crossfade over the budget. */
const ALIGN_MIN_BUDGET_MS = 250;
/** Crossfade between two aligned copies of the same audio. */
const ALIGNED_FADE_MS = 10;
/** Time kept free at the end of the budget: the other side retires its old connection on its own clock. */
const BUDGET_MARGIN_MS = 80;
/** The first measurement, after the switch began: the new audio needs this long to reach WebAudio. */
const FIRST_MEASURE_MS = 200;
/** At the end of the budget, how far from the last offset the audio thread looks for it. */
const FINAL_SEARCH_S = 0.005;
/** How long a checked switch waits for the audio thread's answer before switching unchecked. */
const REPLY_TIMEOUT_MS = 100;
/** Measurements while the new generation settles. */
const MEASURE_EVERY_MS = 250;
/**
 * Earliest switch, as a share of the budget: a fresh jitter buffer stretches its audio now and
 * then for its first seconds while it converges, which nobody hears while the old one plays.
 */
const SETTLE_SHARE = 2 / 3;
/** The switch waits until the two generations' offset has not changed for this share of the budget... */
const STABLE_SHARE = 1 / 4;
/** ...or this long, whichever is less. */
const STABLE_MAX_MS = 2000;
/** Offsets closer than this are the same (run-to-run noise of the measurement). */
const SAME_LAG_S = 0.0005;
/** Correlation at the last offset above which it still holds (two copies of one audio: ~0.99). */
const HOLDS_CORRELATION = 0.9;
/** Tracking searches this far around the last offset before searching everything again. */
const TRACK_RADIUS_S = 0.003;
/** Audio compared per measurement. */
const SNAPSHOT_S = 0.15;
/** Largest playout-delay difference looked for, each way (two jitter buffers 100 ms apart happen). */
const MAX_LAG_S = 0.25;
/** Rate at which a new generation's delay returns to the reserve (0.5 % faster or slower). */
const DELAY_RELEASE_RATE = 0.005;
/**
 * Rate at which the old generation slows down when the new one plays later than it by more than
 * its delay (1 %: 10 ms of room a second, not heard in speech).
 */
const MAKE_ROOM_RATE = 0.01;
/** Room made beyond the measured offset. */
const ROOM_MARGIN_S = 0.001;

type Mode = 'none' | 'loading' | 'worklet' | 'direct';

interface Source {
  track: MediaStreamTrack;
  node: MediaStreamAudioSourceNode | null;
  /** Input of the worklet this generation feeds (worklet mode). */
  slot: number;
  /** Direct mode: the generation's gain into the destination. */
  gain: GainNode | null;
  stopKeepAlive: () => void;
}

interface Transition {
  from: number;
  to: number;
  timer: unknown;
  startedAt: number;
  deadline: number;
  /** Id of the snapshot awaited, or 0. */
  waiting: number;
  /** Snapshots answered, and those in which the two generations correlated. */
  measurements: { taken: number; correlated: number };
  /** Last measured offset (samples), null while unknown. */
  lag: number | null;
  /** When the offset last changed, null while unknown. */
  stableSince: number | null;
  /** A checked switch was sent and its reply is awaited. */
  switching: boolean;
  /** The budget is spent: a refused check is followed by an unchecked switch. */
  final: boolean;
  /** Tracking lost the offset: the next snapshot covers the whole search range. */
  lost: boolean;
  /** Delay (samples) the old generation is being moved to, to make room; 0 for none. */
  room: number;
  /** Earliest switch, from the start. */
  settleMs: number;
  /** How long the offset must hold still. */
  stableMs: number;
}

/** Options of {@link RemotePlayout}. */
export interface PlayoutOptions {
  /**
   * Standing delay of the active generation, in ms: a new generation that plays up to this much
   * *later* than the old one is aligned at once (by playing it that much less late); beyond it,
   * the old generation is slowed down (1 %) until it is. Adds this much latency.
   * @default 0
   */
  reserveMs?: number;
  /** Called once per switch, when playout leaves the old generation (its 10 ms fade-out begins). */
  onSwitched?: (generation: number) => void;
  /**
   * Also play the mix to the AudioContext's own output (the default audio device), not only into
   * `stream`: the app then attaches nothing. Without WebAudio, each generation's track plays in
   * a media element of its own instead.
   */
  speaker?: boolean;
}

/**
 * One remote MediaStream for the whole call, whatever generation carries the audio.
 *
 * Swapping tracks inside one MediaStream leaves Chromium's `<audio>` element silent (FACTS.md),
 * so each generation's remote audio track is mixed through WebAudio into one destination node
 * whose track lives in `stream` from construction to close. The mixing happens in an
 * AudioWorklet (src/media/playoutProcessor.ts), which holds every generation's input in a ring
 * buffer written in the same render quantum: the two generations of a switch can be compared,
 * delayed and crossfaded to the sample, so nothing is skipped or heard twice. Where the worklet
 * cannot load (no AudioWorklet; neither its module file beside the SDK nor a blob: copy allowed),
 * generations are crossfaded with gain nodes, unaligned; without WebAudio the stream's tracks
 * are swapped.
 */
export class RemotePlayout {
  readonly stream: MediaStream;
  private readonly context: AudioContext | null;
  private readonly destination: MediaStreamAudioDestinationNode | null;
  /** Without WebAudio, with `speaker`: stops the element playing the active track. */
  private stopAudible: (() => void) | null = null;
  private readonly sources = new Map<number, Source>();
  private mode: Mode;
  private mixer: AudioWorkletNode | null = null;
  private active: number | null = null;
  private closed = false;
  private transition: Transition | null = null;
  private snapshotIds = 0;
  /** The last snapshot's arrays, to hand back to the worklet for the next one. */
  private spare: [ArrayBuffer, ArrayBuffer] | null = null;
  /** The switch posted to the worklet, waiting for its reply. */
  private posted: HandoverInfo | null = null;
  private readonly handovers = new Map<number, HandoverInfo>();

  constructor(
    private readonly platform: Platform,
    private readonly options: PlayoutOptions = {},
  ) {
    this.context = platform.createAudioContext();
    this.destination = this.context ? this.context.createMediaStreamDestination() : null;
    this.stream = new platform.MediaStream(
      this.destination ? this.destination.stream.getAudioTracks() : [],
    );
    this.mode = this.context ? 'loading' : 'none';
    if (this.context) void this.loadMixer(this.context);
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
    const first = this.active === null;
    if (first) this.active = generation;
    if (!this.context || !this.destination) {
      this.sources.set(generation, {
        track,
        node: null,
        slot: -1,
        gain: null,
        stopKeepAlive: () => undefined,
      });
      if (this.active === generation) this.swapInto(track);
      return;
    }
    const source: Source = {
      track,
      node: this.context.createMediaStreamSource(new this.platform.MediaStream([track])),
      slot: this.freeSlot(),
      gain: null,
      stopKeepAlive: this.platform.playMuted(track),
    };
    this.sources.set(generation, source);
    if (this.mode === 'worklet') {
      this.post({ type: 'clear', slot: source.slot });
      this.connectToMixer(source);
      if (first) this.post({ type: 'play', slot: source.slot, delay: this.reserve() });
    } else if (this.mode === 'direct') {
      this.connectDirect(source, first ? 1 : 0);
    }
  }

  /**
   * Moves playout from the active generation to `generation` within `budgetMs`, the time the
   * caller keeps the old generation playing (SecureCall: `rekey.switchMs`).
   *
   * The two generations carry the same audio, but each plays it through its own jitter buffer,
   * so one is some ms behind the other, and a fresh jitter buffer stretches its audio now and
   * then while it converges. The old generation therefore keeps playing alone, for two thirds
   * of the budget at least, while the worklet's copies of both inputs are cross-correlated every
   * 250 ms. Once the offset has held still for a quarter of the budget (at most 2 s), the
   * worklet checks it once more on the last 30 ms and joins two aligned copies of the same
   * audio with a 10 ms crossfade. If the new generation plays later than the old one can be
   * delayed into, the old one first slows down by 1 % until it can. The delay the new
   * generation got is given back at 0.5 % speed-up or slow-down, so latency does not drift from
   * switch to switch. If the offset never holds still, the switch happens at the end of the
   * budget on the last offset found (checked there, or looked for within 5 ms of it on the last
   * 30 ms, or else unchecked); with a budget under 250 ms, or nothing to correlate (silence), it
   * is a plain crossfade.
   */
  switchTo(generation: number, budgetMs: number): void {
    if (this.closed || this.active === generation) return;
    this.finishTransition();
    const from = this.active;
    this.active = generation;
    this.swapVideo(generation);
    const next = this.sources.get(generation);
    if (!next) return;
    const previous = from === null ? undefined : this.sources.get(from);
    if (this.mode === 'none') {
      this.swapInto(next.track);
      this.record(this.info(generation, 'swap', null, null));
      return;
    }
    if (this.mode === 'loading') {
      // The mixer plays the active generation once it is ready: nothing to align with.
      this.record(this.info(generation, 'crossfade', null, null));
      return;
    }
    if (!previous || from === null || budgetMs < ALIGN_MIN_BUDGET_MS) {
      this.crossfade(previous, next, generation, previous ? Math.max(budgetMs, 0) : 0, null);
      return;
    }
    const now = this.platform.now();
    const deadline = now + budgetMs - BUDGET_MARGIN_MS - ALIGNED_FADE_MS;
    const transition: Transition = {
      from,
      to: generation,
      timer: null,
      startedAt: now,
      deadline,
      waiting: 0,
      measurements: { taken: 0, correlated: 0 },
      lag: null,
      stableSince: null,
      switching: false,
      final: false,
      lost: false,
      room: 0,
      settleMs: budgetMs * SETTLE_SHARE,
      stableMs: Math.min(STABLE_MAX_MS, budgetMs * STABLE_SHARE),
    };
    this.transition = transition;
    const first =
      this.mode === 'worklet' ? Math.min(FIRST_MEASURE_MS, deadline - now) : deadline - now;
    transition.timer = this.platform.setTimeout(() => this.measure(transition), Math.max(0, first));
  }

  /** How the switch to `generation` went, once it happened (until the generation is removed). */
  handoverOf(generation: number): HandoverInfo | null {
    const info = this.handovers.get(generation);
    return info ? { ...info, measurements: { ...info.measurements } } : null;
  }

  /** Generations whose audio is still mixed in. */
  get generations(): number[] {
    return [...this.sources.keys()];
  }

  /** Forgets a retired generation: disconnects its nodes and stops its keep-alive element. */
  remove(generation: number): void {
    const transition = this.transition;
    if (transition && (transition.from === generation || transition.to === generation))
      this.finishTransition();
    const source = this.sources.get(generation);
    this.sources.delete(generation);
    this.handovers.delete(generation);
    const video = this.videos.get(generation);
    this.videos.delete(generation);
    if (video && this.stream.getTrackById(video.id)) this.stream.removeTrack(video);
    if (!source) return;
    source.node?.disconnect();
    source.gain?.disconnect();
    source.stopKeepAlive();
    if (this.mode === 'worklet' && source.slot >= 0)
      this.post({ type: 'clear', slot: source.slot });
    if (!source.node && this.stream.getTrackById(source.track.id))
      this.stream.removeTrack(source.track);
  }

  close(): void {
    if (this.closed) return;
    if (this.transition) this.platform.clearTimeout(this.transition.timer);
    this.transition = null;
    for (const generation of [...this.sources.keys()]) this.remove(generation);
    this.closed = true;
    this.dropMixer();
    this.stopAudible?.();
    this.stopAudible = null;
    this.destination?.stream.getTracks().forEach((t) => t.stop());
    void this.context?.close().catch(() => undefined);
  }

  // ---- the worklet mixer -------------------------------------------------------------------

  private async loadMixer(context: AudioContext): Promise<void> {
    let blob: string | null = null;
    try {
      const Node = this.platform.AudioWorkletNode;
      if (!Node || !context.audioWorklet) throw new Error('no AudioWorklet');
      // The module file beside the SDK first (allowed wherever the SDK's own script is); a
      // blob: copy where that file is missing (a bundler that did not copy it).
      const file = this.platform.playoutWorkletUrl;
      const loaded = file
        ? await context.audioWorklet.addModule(file).then(
            () => true,
            () => false,
          )
        : false;
      if (!loaded) {
        blob = URL.createObjectURL(
          new Blob([playoutProcessorSource()], { type: 'application/javascript' }),
        );
        await context.audioWorklet.addModule(blob);
      }
      if (this.closed) return;
      const mixer = new Node(context, PLAYOUT_PROCESSOR, {
        numberOfInputs: PLAYOUT_SLOTS,
        numberOfOutputs: 1,
        outputChannelCount: [2],
      });
      mixer.port.onmessage = (event: MessageEvent<PlayoutReply>) => this.onReply(event.data);
      // A processor that throws outputs silence from then on: fall back to gain nodes.
      mixer.onprocessorerror = () => this.useDirect();
      this.output(mixer);
      this.mixer = mixer;
      this.mode = 'worklet';
      for (const source of this.sources.values()) this.connectToMixer(source);
      const active = this.active === null ? undefined : this.sources.get(this.active);
      if (active) this.post({ type: 'play', slot: active.slot, delay: this.reserve() });
    } catch {
      if (!this.closed) this.useDirect();
    } finally {
      if (blob) URL.revokeObjectURL(blob);
    }
  }

  private dropMixer(): void {
    if (!this.mixer) return;
    this.mixer.port.onmessage = null;
    this.mixer.onprocessorerror = null;
    this.mixer.port.close();
    this.mixer.disconnect();
    this.mixer = null;
  }

  private useDirect(): void {
    if (this.closed || this.mode === 'direct') return;
    this.mode = 'direct';
    this.dropMixer();
    for (const [generation, source] of this.sources) {
      source.node?.disconnect();
      this.connectDirect(source, generation === this.active ? 1 : 0);
    }
    // A switch under way finishes as a plain crossfade.
    if (this.transition) this.finishTransition();
    if (this.posted) {
      this.record(this.posted);
      this.posted = null;
    }
  }

  private post(command: PlayoutCommand, transfer: Transferable[] = []): void {
    this.mixer?.port.postMessage(command, transfer);
  }

  private samples(seconds: number): number {
    return Math.round(seconds * this.rate());
  }

  /** `samples` in ms, to a tenth, for reports. */
  private ms(samples: number): number {
    return round((samples * 1000) / this.rate());
  }

  private rate(): number {
    return this.context?.sampleRate ?? 48_000;
  }

  private reserve(): number {
    return this.samples((this.options.reserveMs ?? 0) / 1000);
  }

  private freeSlot(): number {
    const used = new Set([...this.sources.values()].map((s) => s.slot));
    for (let slot = 0; slot < PLAYOUT_SLOTS; slot++) if (!used.has(slot)) return slot;
    // All taken (a retiring generation not removed yet): take a silent one's.
    for (const [generation, source] of this.sources) {
      if (generation === this.active || generation === this.transition?.from) continue;
      source.node?.disconnect();
      const slot = source.slot;
      source.slot = -1;
      return slot;
    }
    return 0;
  }

  private connectToMixer(source: Source): void {
    if (this.mixer && source.node && source.slot >= 0)
      source.node.connect(this.mixer, 0, source.slot);
  }

  /** Sends a mix into `stream`, and to the speaker when asked. */
  private output(node: AudioNode): void {
    node.connect(this.destination!);
    if (this.options.speaker && this.context) node.connect(this.context.destination);
  }

  private connectDirect(source: Source, level: number): void {
    if (!this.context || !this.destination || !source.node) return;
    const gain = this.context.createGain();
    gain.gain.value = level;
    source.node.connect(gain);
    this.output(gain);
    source.gain = gain;
  }

  /** Asks the worklet for both generations' recent input, or switches when the time is up. */
  private measure(transition: Transition): void {
    if (this.transition !== transition || transition.switching) return;
    const from = this.sources.get(transition.from);
    const to = this.sources.get(transition.to);
    const now = this.platform.now();
    if (!from || !to || this.mode !== 'worklet' || now >= transition.deadline) {
      if (transition.lag === null || !from || !to || this.mode !== 'worklet') {
        this.transition = null;
        this.crossfade(from, to, transition.to, ALIGNED_FADE_MS, transition);
      } else {
        // Out of time: on the last measurement, checked if it still holds, switched anyway if not.
        transition.final = true;
        this.sendSwitch(transition, from, to, true);
      }
      return;
    }
    this.requestSnapshot(transition, from, to);
    transition.timer = this.platform.setTimeout(
      () => this.measure(transition),
      Math.max(0, Math.min(MEASURE_EVERY_MS, transition.deadline - now)),
    );
  }

  /** Asks the worklet for both generations' recent input (answered in onSnapshot). */
  private requestSnapshot(transition: Transition, from: Source, to: Source): void {
    transition.waiting = ++this.snapshotIds;
    // Tracking a known offset needs a window and that offset (plus the search radius) either
    // side; finding one, the whole search range.
    const reach =
      transition.lag === null || transition.lost
        ? this.samples(MAX_LAG_S)
        : Math.ceil(Math.abs(transition.lag)) + this.samples(2 * TRACK_RADIUS_S);
    const spare = this.spare;
    this.spare = null;
    this.post(
      {
        type: 'snapshot',
        id: transition.waiting,
        slot: from.slot,
        other: to.slot,
        length: this.samples(SNAPSHOT_S) + 2 * reach,
        ...(spare ? { buffers: spare } : {}),
      },
      spare ?? [],
    );
  }

  private onSnapshot(
    transition: Transition,
    a: Float32Array,
    b: Float32Array,
    oldDelay: number,
  ): void {
    // Cheapest first: the offset unchanged, then near it, then anywhere.
    const previous = transition.lag;
    let lag: number | null = null;
    if (previous !== null && correlationAt(a, b, previous) >= HOLDS_CORRELATION) lag = previous;
    else if (previous !== null) lag = bestLagNear(a, b, previous, this.samples(TRACK_RADIUS_S));
    // A short (tracking) snapshot only covers the offsets it can: the next one is full length.
    const reach = Math.min(
      this.samples(MAX_LAG_S),
      Math.floor((a.length - this.samples(SNAPSHOT_S)) / 2),
    );
    lag ??= bestLag(a, b, reach);
    transition.lost = lag === null && reach < this.samples(MAX_LAG_S);
    transition.measurements.taken += 1;
    if (lag === null) {
      // Nothing to go by this time (silence, or a stretch inside the window): stability starts
      // over; the last offset found stays for the end of the budget.
      transition.stableSince = null;
      return;
    }
    transition.measurements.correlated += 1;
    const now = this.platform.now();
    const same = previous !== null && Math.abs(lag - previous) <= this.samples(SAME_LAG_S);
    if (!same || transition.stableSince === null) transition.stableSince = now;
    transition.lag = lag;
    const from = this.sources.get(transition.from);
    const to = this.sources.get(transition.to);
    if (!from || !to) return;
    if (oldDelay + lag < 0) {
      // The new generation plays later than the old one can be delayed into: slow the old one
      // down until it can (the raw offset measured does not change while it does).
      const room = -lag + this.samples(ROOM_MARGIN_S);
      if (room > transition.room) {
        transition.room = room;
        this.post({ type: 'delay', slot: from.slot, target: room, rate: MAKE_ROOM_RATE });
      }
      return; // not aligned yet, however still
    }
    if (
      now - transition.stableSince >= transition.stableMs &&
      now - transition.startedAt >= transition.settleMs
    )
      this.sendSwitch(transition, from, to, true);
  }

  private sendSwitch(transition: Transition, from: Source, to: Source, verify: boolean): void {
    transition.switching = verify;
    this.platform.clearTimeout(transition.timer);
    if (verify) {
      // No answer from the audio thread (stalled): switch unchecked; a late duplicate is ignored.
      transition.timer = this.platform.setTimeout(() => {
        if (this.transition === transition) this.sendSwitch(transition, from, to, false);
      }, REPLY_TIMEOUT_MS);
    } else {
      this.transition = null;
    }
    this.posted = this.info(
      transition.to,
      verify ? 'aligned' : 'unverified',
      transition.lag,
      transition,
    );
    // Unchecked, it happens: on record at once (the reply adds any shortfall).
    if (!verify) this.record(this.posted);
    this.post({
      type: 'switch',
      from: from.slot,
      slot: to.slot,
      lag: transition.lag,
      verify,
      // Out of time: if the offset moved, the worklet looks for it near the last one.
      search: transition.final ? this.samples(FINAL_SEARCH_S) : 0,
      force: transition.final,
      fade: this.samples(ALIGNED_FADE_MS / 1000),
      reserve: this.reserve(),
      rate: DELAY_RELEASE_RATE,
    });
  }

  private onReply(reply: PlayoutReply): void {
    if (this.closed || !reply || typeof reply !== 'object') return;
    const transition = this.transition;
    if (reply.type === 'snapshot') {
      if (transition && !transition.switching && reply.id === transition.waiting)
        this.onSnapshot(transition, reply.a, reply.b, reply.delay);
      // Back to the worklet with the next request.
      this.spare = [reply.a.buffer as ArrayBuffer, reply.b.buffer as ArrayBuffer];
    } else if (reply.type === 'rejected') {
      // The offset moved since it was measured: keep measuring until it holds still again.
      this.posted = null;
      if (!transition?.switching) return;
      const from = this.sources.get(transition.from);
      const to = this.sources.get(transition.to);
      if (transition.final && from && to) {
        this.sendSwitch(transition, from, to, false);
        return;
      }
      transition.switching = false;
      transition.stableSince = null;
      this.platform.clearTimeout(transition.timer);
      transition.timer = this.platform.setTimeout(
        () => this.measure(transition),
        Math.max(0, Math.min(MEASURE_EVERY_MS, transition.deadline - this.platform.now())),
      );
    } else if (reply.type === 'switched') {
      const info = this.posted;
      this.posted = null;
      if (transition?.switching) {
        this.platform.clearTimeout(transition.timer);
        this.transition = null;
      }
      if (info) {
        const measured = info.method === 'aligned' || info.method === 'unverified';
        this.record({
          ...info,
          ...(measured
            ? {
                method: reply.verified ? 'aligned' : 'unverified',
                lagMs: this.ms(reply.lag),
              }
            : {}),
          shortfallMs: this.ms(reply.shortfall),
        });
      }
    }
  }

  /** Unaligned switch over `fadeMs`: worklet or gain nodes. */
  private crossfade(
    previous: Source | undefined,
    next: Source | undefined,
    generation: number,
    fadeMs: number,
    transition: Transition | null,
  ): void {
    if (!next) return;
    const info = this.info(generation, 'crossfade', null, transition);
    if (this.mode === 'worklet') {
      if (!previous) {
        this.post({ type: 'play', slot: next.slot, delay: this.reserve() });
        this.record(info);
        return;
      }
      // Unchecked: it happens (unless a checked one just did), so it is on record at once.
      this.record(info);
      this.post({
        type: 'switch',
        from: previous.slot,
        slot: next.slot,
        lag: null,
        verify: false,
        search: 0,
        force: true,
        fade: this.samples(fadeMs / 1000),
        reserve: this.reserve(),
        rate: DELAY_RELEASE_RATE,
      });
      return;
    }
    if (!this.context || !next.gain) return;
    const start = this.context.currentTime;
    const end = start + fadeMs / 1000;
    for (const source of this.sources.values()) {
      if (!source.gain) continue;
      const target = source === next ? 1 : 0;
      source.gain.gain.cancelScheduledValues(start);
      source.gain.gain.setValueAtTime(source.gain.gain.value, start);
      source.gain.gain.linearRampToValueAtTime(target, end);
    }
    this.record(info);
  }

  /** A pending switch happens now, as a short plain crossfade (its old generation is going away). */
  private finishTransition(): void {
    const transition = this.transition;
    if (!transition) return;
    this.transition = null;
    this.platform.clearTimeout(transition.timer);
    // If a checked switch is in flight the worklet ignores this one should that one happen.
    this.crossfade(
      this.sources.get(transition.from),
      this.sources.get(transition.to),
      transition.to,
      5,
      transition,
    );
  }

  /** What a switch report says, as of now (`lag` in samples; `transition`: the one it ends). */
  private info(
    generation: number,
    method: HandoverInfo['method'],
    lag: number | null,
    transition: Transition | null,
  ): HandoverInfo {
    const now = this.platform.now();
    return {
      generation,
      method,
      lagMs: lag === null ? null : this.ms(lag),
      shortfallMs: 0,
      waitedMs: transition ? now - transition.startedAt : 0,
      measurements: transition ? { ...transition.measurements } : { taken: 0, correlated: 0 },
      at: now,
    };
  }

  /** Keeps how the switch to a generation went; the first time, tells the caller it happened. */
  private record(info: HandoverInfo): void {
    const first = !this.handovers.has(info.generation);
    this.handovers.set(info.generation, info);
    if (first) this.options.onSwitched?.(info.generation);
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
    if (this.options.speaker) {
      // A new element per track: swapping the track of a playing element silences Chromium's.
      this.stopAudible?.();
      this.stopAudible = this.platform.playAudible(track);
    }
  }
}

const round = (x: number) => Math.round(x * 10) / 10;
