// The measurement signal, shared by the sender page (browser) and the decoder (Node).
// A sine whose frequency steps every SYMBOL_MS through a pseudo-random sequence of TONES.length
// tones. Every tone is a multiple of 200 Hz, so any 5 ms window that lies inside one symbol holds
// a whole number of cycles of it and none of the others (the tones are orthogonal there): the
// decoder can tell each 10 ms of audio apart and so see silence, repeats, skips and garbling.

export const SAMPLE_RATE = 48_000;
export const SYMBOL_MS = 10;
export const SYMBOL_SAMPLES = (SAMPLE_RATE * SYMBOL_MS) / 1000;
/** 16 tones, 600 Hz .. 3600 Hz: well inside Opus's band, away from its low-frequency filtering. */
export const TONES = Array.from({ length: 16 }, (_, k) => 600 + 200 * k);

/** mulberry32: a tiny seeded PRNG, identical in every JS engine. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Tone indexes of symbols 0..count-1 for `seed`. No tone repeats its predecessor, so every
 * symbol boundary is visible.
 * @param {number} seed
 * @param {number} count
 * @returns {Uint8Array}
 */
export function symbolSequence(seed, count) {
  const random = mulberry32(seed);
  const out = new Uint8Array(count);
  let previous = -1;
  for (let i = 0; i < count; i++) {
    let k = Math.floor(random() * (TONES.length - 1));
    if (k >= previous && previous >= 0) k += 1;
    out[i] = k;
    previous = k;
  }
  return out;
}
