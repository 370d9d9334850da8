/**
 * The idle scenario's figure is a least-squares slope over several readings, reported as median and range
 * over repeated runs (bench/lib/slope.ts): a one-time cost in the first reading must not be divided among
 * the terminals, as the single difference it replaces did.
 */
import { describe, expect, it } from 'vitest';
import { slope, spread } from '../../../bench/lib/slope.js';

describe('slope', () => {
  it('is the per-unit growth, whatever the offset a one-time cost adds to every reading', () => {
    const perTerminal = 2;
    const points = [500, 1000, 1500, 2000].map((x) => ({ x, y: 30_000 + perTerminal * x }));
    expect(slope(points)).toBeCloseTo(2, 10);
  });

  it('fits noisy readings by least squares', () => {
    expect(slope([{ x: 0, y: 1 }, { x: 1, y: 2 }, { x: 2, y: 2 }, { x: 3, y: 4 }])).toBeCloseTo(0.9, 10);
  });

  it('is null without two distinct counts', () => {
    expect(slope([])).toBeNull();
    expect(slope([{ x: 1, y: 1 }])).toBeNull();
    expect(slope([{ x: 1, y: 1 }, { x: 1, y: 5 }])).toBeNull();
  });
});

describe('spread', () => {
  it('gives the median (middle two averaged) and the range', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(spread([])).toBeNull();
  });
});
