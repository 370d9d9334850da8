/**
 * The bench's latency histogram: quantiles within the bucket precision, exact max, and merging
 * across generator processes equal to recording everything in one place.
 */
import { describe, expect, it } from 'vitest';
import { Histogram } from '../../../bench/lib/histogram.js';

describe('Histogram', () => {
  it('reports quantiles within 3% and the exact max', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100_000; v += 1) h.record(v);
    expect(h.count).toBe(100_000);
    for (const q of [0.5, 0.95, 0.99]) expect(Math.abs(h.quantile(q) - q * 100_000) / (q * 100_000)).toBeLessThan(0.03);
    expect(h.quantile(1)).toBe(100_000);
    expect(h.summary().maxMs).toBe(100);
  });

  it('is exact below 32 µs and empty histograms report zeros', () => {
    const h = new Histogram();
    expect(h.summary()).toEqual({ count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0 });
    for (const v of [3, 3, 3, 7]) h.record(v);
    expect(h.quantile(0.5)).toBe(3);
    expect(h.quantile(0.99)).toBe(7);
  });

  it('merges plain data from several processes into the same figures as one histogram', () => {
    const all = new Histogram();
    const parts = [new Histogram(), new Histogram(), new Histogram()];
    for (let i = 0; i < 30_000; i += 1) {
      const v = (i * 7919) % 25_000;
      all.record(v);
      parts[i % 3]!.record(v);
    }
    const merged = new Histogram();
    for (const p of parts) merged.merge(JSON.parse(JSON.stringify(p.toData())));
    expect(merged.summary()).toEqual(all.summary());
  });
});
