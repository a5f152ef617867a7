// Offset measurement between two copies of the same audio.
import { describe, expect, it } from 'vitest';
import { bestLag, bestLagNear, correlationAt } from '../../src/media/bestLag.js';
import { noise } from '../fakes/playoutWorklet.js';

const SOURCE = noise(3, 40_000);
/** The source, `late` samples late, cut to `length` samples ending at the same instant. */
const copy = (late: number, length = 31_200) =>
  Float32Array.from({ length }, (_, i) => SOURCE[i + 5_000 - late] ?? 0);

describe('bestLag', () => {
  for (const [old, fresh] of [
    [1000, 400],
    [400, 1000],
    [2400, 2400],
    [11_900, 100],
    [100, 11_900],
  ] as const)
    it(`finds how much later the second copy must play (old ${old}, new ${fresh})`, () => {
      expect(bestLag(copy(old), copy(fresh), 12_000)).toBe(old - fresh);
    });

  it('finds nothing beyond maxLag, in silence, or between different sounds', () => {
    expect(bestLag(copy(12_500), copy(0), 12_000)).toBeNull();
    expect(bestLag(new Float32Array(31_200), copy(0), 12_000)).toBeNull();
    const other = Float32Array.from(noise(4, 31_200));
    expect(bestLag(copy(0), other, 12_000)).toBeNull();
  });

  it('refuses inputs too short for the search', () => {
    expect(bestLag(copy(0, 1000), copy(0, 1000), 600)).toBeNull();
    expect(bestLag(copy(0), copy(0), -1)).toBeNull();
  });
});

describe('tracking an offset already found', () => {
  it('correlationAt is about 1 at the offset and about 0 one sample of noise away', () => {
    expect(correlationAt(copy(900), copy(300), 600)).toBeGreaterThan(0.99);
    expect(Math.abs(correlationAt(copy(900), copy(300), 610))).toBeLessThan(0.1);
  });

  it('bestLagNear follows a small step and gives up on a large one', () => {
    expect(bestLagNear(copy(900), copy(300), 560, 144)).toBe(600);
    expect(bestLagNear(copy(900), copy(300), 100, 144)).toBeNull();
  });
});
