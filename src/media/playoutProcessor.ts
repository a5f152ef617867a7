/**
 * The audio-thread half of {@link RemotePlayout}: an AudioWorklet processor that mixes the remote
 * audio of up to {@link PLAYOUT_SLOTS} generations into the call's one output, sample-accurately.
 *
 * Why a worklet: during a re-key both generations carry the same audio, but each plays it with
 * its own jitter-buffer delay. To hand over without a skip or a repeat, the new generation must
 * be delayed by exactly the difference, measured on the two inputs as they are at one instant.
 * The worklet keeps each input in a ring buffer written in the same render quantum, so a
 * snapshot of two slots is aligned to the sample (AnalyserNodes read from the main thread are
 * not), and a switch starts at a known sample.
 *
 * Every slot plays its ring buffer `delay` samples late (fractional: linear interpolation). The
 * active slot's delay rests at `reserve`, a standing delay that lets a new generation that plays
 * *later* than the old one be aligned too (its delay is then `reserve` minus the difference).
 * After a switch the new slot's delay returns to `reserve` at `rate` (0.5 % faster or slower
 * playout: inaudible), so latency does not creep from re-key to re-key.
 *
 * This function is turned into the worklet module's source text with `toString()`, so it must
 * stay self-contained: no imports, no references to anything outside its own body.
 */
export function definePlayoutProcessor(scope: PlayoutWorkletScope): void {
  const SLOTS = 3;
  const RING = 32768; // per channel per slot: 682 ms at 48 kHz
  const MASK = RING - 1;
  const CHANNELS = 2;
  /** Largest delay a slot may get: the ring must still hold a full snapshot behind it. */
  const MAX_DELAY = RING / 2;
  /** Samples compared before a switch (30 ms at 48 kHz: a short window can match a periodic sound one period off). */
  const VERIFY = 1440;
  /** Normalised correlation two copies of the same audio reach; a stretched one does not. */
  const MATCH = 0.9;
  /** Mean square below which audio counts as silence (about -60 dBFS). */
  const SILENCE = 1e-6;
  /** The search's first pass scores every 4th sample (the correlation of 360 is still sharp). */
  const STRIDE = 4;

  interface Slot {
    rings: Float32Array[];
    gain: number;
    gainStep: number;
    gainSteps: number;
    gainTarget: number;
    delay: number;
    delayTarget: number;
    rate: number;
    /** Frames until the delay starts moving to `pendingTarget` (after a switch's fade). */
    holdFrames: number;
    pendingTarget: number;
    pendingRate: number;
  }

  const newSlot = (): Slot => ({
    rings: Array.from({ length: CHANNELS }, () => new Float32Array(RING)),
    gain: 0,
    gainStep: 0,
    gainSteps: 0,
    gainTarget: 0,
    delay: 0,
    delayTarget: 0,
    rate: 0,
    holdFrames: 0,
    pendingTarget: 0,
    pendingRate: 0,
  });

  const clampDelay = (d: number) => Math.min(Math.max(d, 0), MAX_DELAY);

  const ramp = (slot: Slot, target: number, frames: number) => {
    if (frames <= 0) {
      slot.gain = target;
      slot.gainSteps = 0;
      slot.gainStep = 0;
    } else {
      slot.gainTarget = target;
      slot.gainSteps = frames;
      slot.gainStep = (target - slot.gain) / frames;
    }
  };

  class PlayoutProcessor extends scope.AudioWorkletProcessor {
    slots: Slot[];
    /** Frames written so far: the ring index of the next input sample. */
    frame: number;
    /** The slot playing (or fading in), -1 for none. */
    current: number;
    constructor() {
      super();
      this.slots = Array.from({ length: SLOTS }, newSlot);
      this.frame = 0;
      this.current = -1;
      this.port.onmessage = (event: { data: PlayoutCommand }) => this.command(event.data);
    }

    command(message: PlayoutCommand): void {
      if (!message || typeof message !== 'object') return;
      const slot = this.slots[message.slot];
      if (message.type === 'snapshot') {
        const other = this.slots[message.other];
        if (!slot || !other) return;
        const length = Math.min(Math.max(0, Math.floor(message.length)), RING - 256);
        // Into the arrays the main thread sent back, when they are big enough: nothing to
        // allocate (and collect) on the audio thread from the second snapshot on.
        const [spareA, spareB] = message.buffers ?? [];
        const a = this.read(slot, length, spareA);
        const b = this.read(other, length, spareB);
        this.port.postMessage(
          { type: 'snapshot', id: message.id, frame: this.frame, a, b, delay: slot.delay },
          [a.buffer, b.buffer],
        );
        return;
      }
      if (!slot) return;
      if (message.type === 'play') {
        // This slot alone, at once (the first generation, or a switch without a measurement).
        for (const s of this.slots) if (s !== slot) ramp(s, 0, 0);
        ramp(slot, 1, 0);
        this.current = message.slot;
        slot.delay = clampDelay(message.delay);
        slot.delayTarget = slot.delay;
        slot.holdFrames = 0;
      } else if (message.type === 'switch') {
        const from = this.slots[message.from];
        // Already playing that slot: a late duplicate of a switch that happened.
        if (!from || from === slot || this.current === message.slot) return;
        let wantedDelay = message.lag === null ? from.delay : from.delay + message.lag;
        // Checked only where alignment is possible: a shortfall does not get better by waiting.
        const possible = wantedDelay === clampDelay(wantedDelay);
        let verified =
          message.verify && possible && this.score(from, slot, wantedDelay, 1) >= MATCH;
        if (message.verify && possible && !verified) {
          // A jitter buffer stretched its audio since the lag was measured. Out of time (search
          // > 0), look for the offset near it on the last 30 ms; otherwise measure again.
          const found =
            message.search > 0 ? this.near(from, slot, wantedDelay, message.search) : null;
          if (found !== null) {
            wantedDelay = found;
            verified = true;
          } else if (!message.force) {
            this.port.postMessage({ type: 'rejected', frame: this.frame });
            return;
          }
        }
        // Freeze the old slot's delay for the fade: the alignment was computed against it.
        from.delayTarget = from.delay;
        from.holdFrames = 0;
        const wanted = wantedDelay;
        slot.delay = clampDelay(wanted);
        slot.delayTarget = slot.delay;
        const fade = Math.max(0, Math.floor(message.fade));
        for (const s of this.slots) if (s !== slot) ramp(s, 0, fade);
        ramp(slot, 1, fade);
        this.current = message.slot;
        slot.holdFrames = fade;
        slot.pendingTarget = clampDelay(message.reserve);
        slot.pendingRate = Math.max(0, message.rate);
        this.port.postMessage({
          type: 'switched',
          frame: this.frame,
          delay: slot.delay,
          verified,
          // The offset switched on (samples), as `lag` in the command.
          lag: wanted - from.delay,
          // Samples of the old generation's timeline that the new one could not be aligned to.
          shortfall: Math.round(Math.abs(wanted - slot.delay)),
        });
      } else if (message.type === 'delay') {
        // Move this slot's delay to `target` at `rate`: room for a later generation to align to.
        slot.delayTarget = clampDelay(message.target);
        slot.rate = Math.max(0, message.rate);
        slot.holdFrames = 0;
      } else if (message.type === 'clear') {
        if (this.current === message.slot) this.current = -1;
        ramp(slot, 0, 0);
        for (const ring of slot.rings) ring.fill(0);
        slot.delay = 0;
        slot.delayTarget = 0;
        slot.holdFrames = 0;
      }
    }

    /**
     * The delay within `radius` of `around` at which `b` best matches `a` (>= MATCH), or null.
     * Every delay is scored on every STRIDE-th sample first, then the best one and its
     * neighbours in full: a quarter of the work on the audio thread, which must not stall.
     */
    near(a: Slot, b: Slot, around: number, radius: number): number | null {
      const low = Math.max(0, Math.round(around - radius));
      let coarse = low;
      let coarseScore = -2;
      for (let d = low; d <= around + radius; d++) {
        const score = this.score(a, b, d, STRIDE);
        if (score > coarseScore) {
          coarseScore = score;
          coarse = d;
        }
      }
      let best: number | null = null;
      let bestScore = MATCH;
      for (let d = Math.max(low, coarse - 2); d <= Math.min(coarse + 2, around + radius); d++) {
        const score = this.score(a, b, d, 1);
        if (score >= bestScore) {
          bestScore = score;
          best = d;
        }
      }
      return best;
    }

    /**
     * How well `a` as it plays now and `b` played `delay` samples late carry the same audio over
     * the last VERIFY samples (every `stride`-th): normalised correlation, 1 when both are near
     * silence (any alignment of silence is inaudible).
     */
    score(a: Slot, b: Slot, delay: number, stride: number): number {
      const ra = a.rings[0]!;
      const rb = b.rings[0]!;
      // Math.round(t - x) is t + Math.round(-x) for a whole t: rounded once, not per sample.
      const shiftA = Math.round(-a.delay);
      const shiftB = Math.round(-delay);
      let sum = 0;
      let ea = 0;
      let eb = 0;
      for (let t = this.frame - VERIFY; t < this.frame; t += stride) {
        const x = ra[(t + shiftA) & MASK]!;
        const y = rb[(t + shiftB) & MASK]!;
        sum += x * y;
        ea += x * x;
        eb += y * y;
      }
      const quiet = (SILENCE * VERIFY) / stride;
      if (ea < quiet && eb < quiet) return 1;
      return ea > 0 && eb > 0 ? sum / Math.sqrt(ea * eb) : 0;
    }

    /** The last `length` input samples of `slot` (first channel), oldest first (into `into`). */
    read(slot: Slot, length: number, into?: ArrayBuffer): Float32Array {
      const out =
        into && into.byteLength >= length * 4
          ? new Float32Array(into, 0, length)
          : new Float32Array(length);
      const ring = slot.rings[0]!;
      const start = this.frame - length;
      for (let i = 0; i < length; i++) out[i] = ring[(start + i) & MASK]!;
      return out;
    }

    process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
      const output = outputs[0];
      if (!output || output.length === 0) return true;
      const frames = output[0]!.length;
      const base = this.frame;
      for (let s = 0; s < SLOTS; s++) {
        const slot = this.slots[s]!;
        const input = inputs[s] ?? [];
        for (let c = 0; c < CHANNELS; c++) {
          const ring = slot.rings[c]!;
          const source = input[Math.min(c, input.length - 1)];
          for (let k = 0; k < frames; k++) ring[(base + k) & MASK] = source ? source[k]! : 0;
        }
      }
      for (const channel of output) channel.fill(0);
      for (let s = 0; s < SLOTS; s++) {
        const slot = this.slots[s]!;
        if (slot.gain === 0 && slot.gainSteps === 0) continue;
        for (let k = 0; k < frames; k++) {
          const position = base + k - slot.delay;
          const i0 = Math.floor(position);
          const f = position - i0;
          for (let c = 0; c < output.length; c++) {
            const ring = slot.rings[Math.min(c, CHANNELS - 1)]!;
            const v0 = ring[i0 & MASK]!;
            const v = f === 0 ? v0 : v0 + (ring[(i0 + 1) & MASK]! - v0) * f;
            output[c]![k]! += slot.gain * v;
          }
          if (slot.gainSteps > 0) {
            slot.gainSteps -= 1;
            slot.gain = slot.gainSteps === 0 ? slot.gainTarget : slot.gain + slot.gainStep;
          }
          if (slot.holdFrames > 0) {
            slot.holdFrames -= 1;
            if (slot.holdFrames === 0) {
              slot.delayTarget = slot.pendingTarget;
              slot.rate = slot.pendingRate;
            }
          } else if (slot.delay !== slot.delayTarget) {
            const step = slot.delayTarget - slot.delay;
            slot.delay =
              Math.abs(step) <= slot.rate
                ? slot.delayTarget
                : slot.delay + Math.sign(step) * slot.rate;
          }
        }
      }
      this.frame = base + frames;
      return true;
    }
  }

  scope.registerProcessor('rekey-rtc-playout', PlayoutProcessor);
}

/** Name the processor registers under. */
export const PLAYOUT_PROCESSOR = 'rekey-rtc-playout';
/** Inputs of the worklet node: generations that can be mixed at once. */
export const PLAYOUT_SLOTS = 3;

/** What {@link definePlayoutProcessor} needs of the AudioWorkletGlobalScope. */
export interface PlayoutWorkletScope {
  AudioWorkletProcessor: new () => { readonly port: MessagePort };
  registerProcessor(name: string, processor: new () => unknown): void;
}

/** Main thread -> worklet. Delays, lags and fades are in samples. */
export type PlayoutCommand =
  | { type: 'play'; slot: number; delay: number }
  | {
      type: 'snapshot';
      id: number;
      slot: number;
      other: number;
      length: number;
      /** The last snapshot's arrays, handed back (transferred) for this one. */
      buffers?: [ArrayBuffer, ArrayBuffer];
    }
  | {
      type: 'switch';
      /** Slot playing now. */
      from: number;
      /** Slot to play. */
      slot: number;
      /** How much later than `from`'s input `slot`'s input must play to line up; null: unknown. */
      lag: number | null;
      /** Switch only if the two are aligned over the last 30 ms; else reply `rejected`. */
      verify: boolean;
      /** When the check fails, look this far (samples) either side for the offset on the last 30 ms. */
      search: number;
      /** When the check fails and nothing is found, switch anyway (the end of the budget). */
      force: boolean;
      fade: number;
      /** Delay the new slot returns to after the fade, at `rate` samples per sample. */
      reserve: number;
      rate: number;
    }
  | { type: 'delay'; slot: number; target: number; rate: number }
  | { type: 'clear'; slot: number };

/** Worklet -> main thread. */
export type PlayoutReply =
  | { type: 'snapshot'; id: number; frame: number; a: Float32Array; b: Float32Array; delay: number }
  | {
      type: 'switched';
      frame: number;
      delay: number;
      shortfall: number;
      /** The alignment passed the check (or was found near the one asked for). */
      verified: boolean;
      lag: number;
    }
  | { type: 'rejected'; frame: number };

/** The worklet module's source text. */
export function playoutProcessorSource(): string {
  return `(${definePlayoutProcessor.toString()})(globalThis);`;
}
