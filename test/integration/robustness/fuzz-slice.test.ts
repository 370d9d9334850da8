/**
 * The CI slice of the fuzz harness (bench/fuzz): 8,000 hostile frames over every category at a real
 * hub in a child process, while a control terminal writes. The hub must not die once. Latency and
 * memory figures belong to the full run (`npm run fuzz`); here they are printed, not asserted.
 */
import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../../bench/fuzz/frames.js';
import { runFuzz } from '../../../bench/fuzz/harness.js';

describe('fuzz slice', () => {
  it('survives 8,000 hostile frames of every category without a crash', { timeout: 150_000 }, async () => {
    const result = await runFuzz({
      frames: 8_000,
      categories: [...CATEGORIES],
      sockets: 128,
      rate: 10_000,
      seed: 7,
      baselineMs: 1000,
      controlIntervalMs: 50,
      maxMs: 100_000,
    });
    console.log(
      `fuzz slice: ${result.framesSent} frames; ${result.categories.map((c) => `${c.category} ${c.sent}${c.crashed ? ' CRASH' : ''}`).join(', ')}; ` +
        `control p99 ${result.controlBefore.p99Ms} → ${result.controlDuring.p99Ms} ms; RSS ${(result.rssBeforeBytes / 2 ** 20).toFixed(0)} → ${(result.rssAfterBytes / 2 ** 20).toFixed(0)} MB`,
    );
    expect(result.crashes.map((c) => ({ category: c.category, tail: c.tail.slice(-600) }))).toEqual([]);
    expect(result.framesSent).toBeGreaterThanOrEqual(7_600);
    expect(result.controlDuring.count).toBeGreaterThan(0);
  });
});
