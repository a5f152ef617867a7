export declare const SAMPLE_RATE: number;
export declare const SYMBOL_MS: number;
export declare const SYMBOL_SAMPLES: number;
export declare const TONES: number[];
export declare function symbolSequence(seed: number, count: number): Uint8Array;
