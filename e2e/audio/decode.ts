// Decodes a recording of the stepped-tone signal (signal.mjs) taken at the sound server and
// measures, around given instants, how much of it was lost or garbled.
//
// 1. Goertzel over 5 ms windows every 1 ms: the strongest of the 16 tones and its share of the
//    window's energy ("purity"). Quiet or impure windows are labelled -1.
// 2. Runs of equally labelled windows are symbols heard; a run's centre marks the middle of a
//    symbol to about a millisecond.
// 3. Each run is mapped to the sender's symbol index by following the delay (recording position
//    minus sender position) and, where that breaks, by re-locking on a few symbols of context.
// 4. Around an instant: garbled = the part of the window not covered by correctly heard symbols
//    (silence, concealment, two tones at once, wrong tones); jumps = changes of the delay between
//    consecutive correct symbols (a skip loses content, a repeat plays it twice).
import { SAMPLE_RATE, SYMBOL_SAMPLES, TONES, symbolSequence } from './signal.mjs';

const WINDOW = SYMBOL_SAMPLES / 2; // 5 ms: every tone has a whole number of cycles in it
const HOP = SAMPLE_RATE / 1000; // 1 ms
const MIN_RMS = 300; // of 32767; the signal plays at about 0.3 full scale (RMS ~7000)
const MIN_PURITY = 0.6;
/** A symbol counts as heard when its run is at least this many windows (an undisturbed one has ~6). */
const MIN_RUN = 3;
/** Delay changes smaller than this are jitter of the run-centre estimate, not a jump. */
const JUMP_THRESHOLD = 2.5 * HOP;

export interface Run {
  tone: number;
  /** Centre of the symbol in the recording, in samples. */
  center: number;
  windows: number;
  /** Sender symbol index, or -1 when it could not be placed. */
  index: number;
  /** center - sender centre of `index`, in samples (meaningful when index >= 0). */
  delay: number;
}

export interface Decoded {
  runs: Run[];
  samples: number;
  /** Per 1 ms window: the tone heard, -1 for none (quiet or impure). */
  labels: Int8Array;
  /** Per 1 ms window: 1 when the window is quiet (RMS below MIN_RMS). */
  quiet: Uint8Array;
}

/**
 * `symbols`: how far into the sender's sequence to look, when `pcm` is a piece cut from a longer
 * recording (by default: as far as the recording is long, plus 20 s).
 */
export function decode(pcm: Int16Array, seed: number, symbols?: number): Decoded {
  const { labels, quiet } = labelWindows(pcm);
  const runs = findRuns(labels);
  const lastCenter = runs.length ? runs[runs.length - 1]!.center : 0;
  const sequence = symbolSequence(
    seed,
    Math.max(symbols ?? 0, Math.ceil(lastCenter / SYMBOL_SAMPLES) + 2000),
  );
  mapRuns(runs, sequence);
  return { runs, samples: pcm.length, labels, quiet };
}

function labelWindows(pcm: Int16Array): { labels: Int8Array; quiet: Uint8Array } {
  const count = Math.max(0, Math.floor((pcm.length - WINDOW) / HOP) + 1);
  const labels = new Int8Array(count).fill(-1);
  const quiet = new Uint8Array(count);
  const coefficients = TONES.map((f) => 2 * Math.cos((2 * Math.PI * f) / SAMPLE_RATE));
  for (let w = 0; w < count; w++) {
    const start = w * HOP;
    let energy = 0;
    for (let n = 0; n < WINDOW; n++) energy += pcm[start + n]! * pcm[start + n]!;
    if (Math.sqrt(energy / WINDOW) < MIN_RMS) {
      quiet[w] = 1;
      continue;
    }
    let best = -1;
    let bestPower = 0;
    for (let k = 0; k < coefficients.length; k++) {
      const c = coefficients[k]!;
      let s1 = 0;
      let s2 = 0;
      for (let n = 0; n < WINDOW; n++) {
        const s0 = pcm[start + n]! + c * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      const power = s1 * s1 + s2 * s2 - c * s1 * s2;
      if (power > bestPower) {
        bestPower = power;
        best = k;
      }
    }
    // A pure tone of amplitude A: power = (A N / 2)^2 and energy = A^2 N / 2.
    const purity = bestPower / ((WINDOW / 2) * energy);
    if (purity >= MIN_PURITY) labels[w] = best;
  }
  return { labels, quiet };
}

function findRuns(labels: Int8Array): Run[] {
  const runs: Run[] = [];
  let w = 0;
  while (w < labels.length) {
    const tone = labels[w]!;
    let end = w;
    while (end + 1 < labels.length && labels[end + 1] === tone) end++;
    if (tone >= 0 && end - w + 1 >= MIN_RUN) {
      const center = ((w + end) / 2) * HOP + WINDOW / 2;
      runs.push({ tone, center, windows: end - w + 1, index: -1, delay: 0 });
    }
    w = end + 1;
  }
  return runs;
}

const senderCenter = (index: number) => index * SYMBOL_SAMPLES + SYMBOL_SAMPLES / 2;
const TOLERANCE = 1.5 * HOP;
/** Consecutive symbols that must match to re-lock near the last known delay. */
const CONTEXT = 4;
/**
 * ...and to lock anywhere in the sequence: 16^4 patterns recur in a long sequence by chance
 * (a wrong lock, then nothing placed), 16^8 do not.
 */
const GLOBAL_CONTEXT = 8;
/** Runs in a row that do not fit near the last delay before the whole sequence is searched. */
const LOST_AFTER = 25;

/** Runs i..i+length-1 are consecutive symbols matching sequence[j..]. */
function contextMatches(
  runs: Run[],
  i: number,
  sequence: Uint8Array,
  j: number,
  length: number,
): boolean {
  if (j < 0 || i < 0 || i + length > runs.length || j + length > sequence.length) return false;
  for (let m = 0; m < length; m++) {
    const run = runs[i + m]!;
    if (run.tone !== sequence[j + m]) return false;
    if (m > 0 && Math.abs(run.center - runs[i]!.center - m * SYMBOL_SAMPLES) > 3 * HOP)
      return false;
  }
  return true;
}

/** Runs i-length+1..i as above, ending at j. */
function leftContextMatches(
  runs: Run[],
  i: number,
  sequence: Uint8Array,
  j: number,
  length: number,
): boolean {
  return contextMatches(runs, i - length + 1, sequence, j - length + 1, length);
}

function mapRuns(runs: Run[], sequence: Uint8Array): void {
  let delay: number | null = null;
  let misses = 0;
  const SEARCH = 80; // symbols either side of the prediction when re-locking (800 ms)
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    if (delay !== null) {
      const j = Math.round((run.center - delay - SYMBOL_SAMPLES / 2) / SYMBOL_SAMPLES);
      if (
        j >= 0 &&
        sequence[j] === run.tone &&
        Math.abs(run.center - senderCenter(j) - delay) <= TOLERANCE
      ) {
        run.index = j;
        run.delay = run.center - senderCenter(j);
        delay = run.delay;
        misses = 0;
        continue;
      }
    }
    // Re-lock: near the prediction if there is one (and it has not been lost for long),
    // anywhere otherwise, on more context.
    const global = delay === null || misses >= LOST_AFTER;
    const length = global ? GLOBAL_CONTEXT : CONTEXT;
    const predicted = delay === null ? null : Math.round((run.center - delay) / SYMBOL_SAMPLES);
    const from = global || predicted === null ? 0 : Math.max(0, predicted - SEARCH);
    const to =
      global || predicted === null
        ? sequence.length - 1
        : Math.min(sequence.length - 1, predicted + SEARCH);
    let found = -1;
    let foundDistance = Infinity;
    for (let j = from; j <= to; j++) {
      if (sequence[j] !== run.tone) continue;
      if (
        !contextMatches(runs, i, sequence, j, length) &&
        !leftContextMatches(runs, i, sequence, j, length)
      )
        continue;
      const distance = predicted === null ? 0 : Math.abs(j - predicted);
      if (distance < foundDistance) {
        found = j;
        foundDistance = distance;
      }
    }
    if (found >= 0) {
      run.index = found;
      run.delay = run.center - senderCenter(found);
      delay = run.delay;
      misses = 0;
    } else {
      misses += 1;
    }
  }
}

export interface Disruption {
  /** Instant analysed, in ms of the recording. */
  atMs: number;
  /** Window analysed, ms of recording. */
  fromMs: number;
  toMs: number;
  /** Recording time in the window not covered by correctly heard symbols. */
  garbledMs: number;
  /** Sum of |delay changes| between consecutive correct symbols (skips and repeats). */
  jumpMs: number;
  /** Net delay change across the window: > 0 the timeline moved later (content repeated). */
  netShiftMs: number;
  /** Longest stretch of the window without a correctly heard symbol. */
  longestGapMs: number;
  /** Longest stretch of quiet (below ~1% of full scale) in the window. */
  longestSilenceMs: number;
  /** garbledMs + jumpMs: the figure of merit. */
  disruptionMs: number;
  /** Delay before and after, ms (recording minus sender), from the correct symbols nearest the window. */
  delayBeforeMs: number | null;
  delayAfterMs: number | null;
}

/**
 * Measures the disruption in [atMs - beforeMs, atMs + afterMs] of the recording.
 */
export function measureAround(
  decoded: Decoded,
  atMs: number,
  beforeMs: number,
  afterMs: number,
): Disruption {
  const from = ((atMs - beforeMs) * SAMPLE_RATE) / 1000;
  const to = ((atMs + afterMs) * SAMPLE_RATE) / 1000;
  const good = decoded.runs.filter((r) => r.index >= 0);
  const inside = good.filter((r) => r.center >= from && r.center < to);
  const before = [...good].reverse().find((r) => r.center < from) ?? null;
  const after = good.find((r) => r.center >= to) ?? null;
  const chain = [...(before ? [before] : []), ...inside, ...(after ? [after] : [])];
  // Each correct symbol covers SYMBOL_SAMPLES of the window around its centre; two consecutive
  // symbols heard at the same delay also cover everything between their centres (the windows
  // that straddle a symbol boundary are impure by construction, and a run centre is only known
  // to about a millisecond: neither is audio lost). Overlapping cover (a repeat heard twice at
  // once) counts once.
  const covered = coverage(chain, from, to);
  const garbled = to - from - covered;
  let jump = 0;
  for (let m = 1; m < chain.length; m++) {
    const change = chain[m]!.delay - chain[m - 1]!.delay;
    if (Math.abs(change) > JUMP_THRESHOLD) jump += Math.abs(change);
  }
  const ms = (samples: number) => (samples * 1000) / SAMPLE_RATE;
  let longestGap = 0;
  let coveredTo = from;
  for (const r of [...inside].sort((a, b) => a.center - b.center)) {
    longestGap = Math.max(longestGap, r.center - SYMBOL_SAMPLES / 2 - coveredTo);
    coveredTo = Math.max(coveredTo, r.center + SYMBOL_SAMPLES / 2);
  }
  longestGap = Math.max(longestGap, to - coveredTo);
  let longestQuiet = 0;
  let quietRun = 0;
  const firstWindow = Math.max(0, Math.floor(from / HOP));
  const lastWindow = Math.min(decoded.quiet.length, Math.ceil(to / HOP));
  for (let w = firstWindow; w < lastWindow; w++) {
    quietRun = decoded.quiet[w] ? quietRun + 1 : 0;
    longestQuiet = Math.max(longestQuiet, quietRun);
  }
  return {
    longestGapMs: round(ms(longestGap)),
    longestSilenceMs: longestQuiet,
    atMs,
    fromMs: atMs - beforeMs,
    toMs: atMs + afterMs,
    garbledMs: round(ms(garbled)),
    jumpMs: round(ms(jump)),
    netShiftMs: before && after ? round(ms(after.delay - before.delay)) : 0,
    disruptionMs: round(ms(garbled + jump)),
    delayBeforeMs: before ? round(ms(before.delay)) : null,
    delayAfterMs: after ? round(ms(after.delay)) : null,
  };
}

/** Whether b follows a without a skip, a repeat or a timeline jump. */
function continuous(a: Run, b: Run): boolean {
  return b.index === a.index + 1 && Math.abs(b.delay - a.delay) <= JUMP_THRESHOLD;
}

/** Samples of [from, to) covered by the correct runs of `chain` (in recording order). */
function coverage(chain: Run[], from: number, to: number): number {
  const intervals: (readonly [number, number])[] = chain.map(
    (r) => [r.center - SYMBOL_SAMPLES / 2, r.center + SYMBOL_SAMPLES / 2] as const,
  );
  for (let m = 1; m < chain.length; m++)
    if (continuous(chain[m - 1]!, chain[m]!))
      intervals.push([chain[m - 1]!.center, chain[m]!.center]);
  const clipped = intervals
    .map(([a, b]) => [Math.max(from, a), Math.min(to, b)] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of clipped) {
    const start = Math.max(a, end);
    if (b > start) total += b - start;
    end = Math.max(end, b);
  }
  return total;
}

const round = (x: number) => Math.round(x * 10) / 10;

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
