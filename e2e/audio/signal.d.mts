export declare const SAMPLE_RATE: number;
export declare const SYMBOL_MS: number;
export declare const SYMBOL_SAMPLES: number;
export declare const TONES: number[];
export declare function symbolSequence(seed: number, count: number): Uint8Array;
/** mulberry32: a tiny seeded PRNG, identical in every JS engine. */
export function mulberry32(seed: number): () => number;
