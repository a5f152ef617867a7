/** Smallest normalised correlation accepted as "the same audio". */
export const MIN_CORRELATION = 0.6;

/** Decimation of the coarse search: every 4th sample's neighbourhood (12 kHz at 48 kHz). */
const COARSE = 4;

/**
 * The shift d (samples, |d| <= maxLag) that best matches a[n] with b[n - d], i.e. how much b
 * must be delayed to line up with a; null when the best normalised correlation is weak (silence,
 * different audio). Coarse search on 4x-decimated signals, then refined at full rate.
 */
export function bestLag(a: Float32Array, b: Float32Array, maxLag: number): number | null {
  const n = Math.min(a.length, b.length);
  if (maxLag < 0 || n <= 2 * maxLag + 64) return null;
  const short = Math.floor(n / COARSE);
  const da = new Float32Array(short);
  const db = new Float32Array(short);
  for (let i = 0; i < short; i++) {
    let x = 0;
    let y = 0;
    for (let k = 0; k < COARSE; k++) {
      x += a[COARSE * i + k]!;
      y += b[COARSE * i + k]!;
    }
    da[i] = x;
    db[i] = y;
  }
  const coarseMax = Math.ceil(maxLag / COARSE);
  let best = 0;
  let bestScore = -Infinity;
  for (let lag = -coarseMax; lag <= coarseMax; lag++) {
    const score = correlation(da, db, short, lag, coarseMax + 1);
    if (score > bestScore) {
      bestScore = score;
      best = lag * COARSE;
    }
  }
  const fine = bestLagNear(a, b, best, COARSE + 1, maxLag + COARSE + 2);
  return fine !== null && Math.abs(fine) <= maxLag ? fine : null;
}

/**
 * Like {@link bestLag}, at full rate over lags within `radius` of `around` only: cheap tracking
 * of a lag already found. null when none of them correlates well.
 */
export function bestLagNear(
  a: Float32Array,
  b: Float32Array,
  around: number,
  radius: number,
  margin = Math.abs(around) + radius + 1,
): number | null {
  const n = Math.min(a.length, b.length);
  if (n <= 2 * margin + 64) return null;
  let best = around;
  let bestScore = -Infinity;
  for (let lag = around - radius; lag <= around + radius; lag++) {
    const score = correlation(a, b, n, lag, margin);
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  return bestScore >= MIN_CORRELATION ? best : null;
}

/** Normalised correlation of a[n] and b[n - lag] (what {@link bestLag} maximises), NaN if it cannot tell. */
export function correlationAt(a: Float32Array, b: Float32Array, lag: number): number {
  const n = Math.min(a.length, b.length);
  const margin = Math.abs(lag) + 1;
  if (n <= 2 * margin + 64) return Number.NaN;
  return correlation(a, b, n, lag, margin);
}

/** Normalised correlation of x[i] and y[i - lag] over i in [margin, length - margin). */
function correlation(
  x: Float32Array,
  y: Float32Array,
  length: number,
  lag: number,
  margin: number,
): number {
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
}
