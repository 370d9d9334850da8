/**
 * The bench's reading of where an ack goes: per-thread CPU and run-queue wait between two /proc samples
 * (grouped by the names the hub's workers give themselves), the stage histograms of one phase as the
 * difference of two scrapes, and the budget that puts the two next to the client's mean ack.
 */
import { describe, expect, it } from 'vitest';
import { groupOf, readThreads, threadDelta, type ThreadSample } from '../../../bench/lib/threads.js';
import { ackBudget } from '../../../bench/scenarios/ack-budget.js';
import { stageFiguresBetween } from '../../../bench/scenarios/stages.js';

const sample = (tid: number, group: string, runMs: number, waitMs: number, slices: number): ThreadSample => ({
  tid,
  group,
  runNs: runMs * 1e6,
  waitNs: waitMs * 1e6,
  slices,
});

describe('thread groups', () => {
  it('names the first thread main, a hub worker by its own name, every other thread a helper', () => {
    expect(groupOf(100, 100, 'node')).toBe('main');
    expect(groupOf(101, 100, 'pos-writer')).toBe('writer');
    expect(groupOf(102, 100, 'pos-shard-1')).toBe('shard-1');
    expect(groupOf(103, 100, 'node')).toBe('helpers');
  });

  it('reads this process: its first thread is main', () => {
    const threads = readThreads(process.pid);
    expect(threads.find((t) => t.tid === process.pid)?.group).toBe('main');
    expect(threads.every((t) => t.runNs >= 0 && t.waitNs >= 0)).toBe(true);
  });
});

describe('threadDelta', () => {
  it('sums each group over its threads, per write and per wake-up; a thread born in between counts from zero', () => {
    const before = [sample(1, 'main', 100, 50, 10), sample(2, 'helpers', 10, 1, 1), sample(3, 'helpers', 10, 1, 1)];
    const after = [
      sample(1, 'main', 130, 70, 30),
      sample(2, 'helpers', 12, 2, 2),
      sample(3, 'helpers', 13, 3, 3),
      sample(4, 'writer', 5, 4, 8),
    ];
    const figures = threadDelta(before, after, 10);
    expect(figures.map((f) => f.group)).toEqual(['main', 'writer', 'helpers']);
    expect(figures[0]).toEqual({
      group: 'main',
      threads: 1,
      cpuMs: 30,
      waitMs: 20,
      slices: 20,
      cpuUsPerWrite: 3000,
      waitUsPerWrite: 2000,
      waitUsPerSlice: 1000,
    });
    expect(figures[1]).toMatchObject({ cpuMs: 5, waitMs: 4, slices: 8, waitUsPerSlice: 500 });
    expect(figures[2]).toMatchObject({ threads: 2, cpuMs: 5, waitMs: 3, slices: 3 });
  });

  it('has no per-write figures without writes', () => {
    expect(threadDelta([], [sample(1, 'main', 1, 1, 1)], 0)[0]).toMatchObject({
      cpuUsPerWrite: null,
      waitUsPerWrite: null,
    });
  });
});

const scrape = (decodeCount: number, decodeSum: number, fast: number) => `
pos_hub_write_stage_seconds_bucket{le="0.001",stage="decode",thread="front"} ${fast}
pos_hub_write_stage_seconds_bucket{le="+Inf",stage="decode",thread="front"} ${decodeCount}
pos_hub_write_stage_seconds_sum{stage="decode",thread="front"} ${decodeSum}
pos_hub_write_stage_seconds_count{stage="decode",thread="front"} ${decodeCount}
`;

describe('stageFiguresBetween', () => {
  it('keeps only the samples recorded between the two scrapes', () => {
    const figures = stageFiguresBetween(scrape(100, 1, 100), scrape(110, 1.02, 110));
    const decode = figures.find((f) => f.stage === 'decode')!;
    expect(decode.count).toBe(10);
    expect(decode.meanMs).toBeCloseTo(2, 6);
    expect(decode.p50Ms).toBeCloseTo(0.5, 6);
    expect(figures.find((f) => f.stage === 'commit')?.count).toBe(0);
  });
});

describe('ackBudget', () => {
  it('puts the stages and the run-queue waits of one write next to the mean ack', () => {
    const stages = stageFiguresBetween('', scrape(10, 0.02, 10));
    const threads = threadDelta(
      [],
      [
        sample(1, 'main', 10, 4, 20),
        sample(2, 'shard-0', 10, 1, 10),
        sample(3, 'writer', 10, 3, 10),
        sample(9, 'generator', 10, 6, 20),
      ],
      10,
    );
    const b = ackBudget({ count: 10, meanMs: 5, p50Ms: 4, p95Ms: 6, p99Ms: 7, maxMs: 8 }, stages, threads);
    expect(b.stagesMs).toBe(2);
    expect(b.outsideMs).toBe(3);
    expect(b.wakeWaitUs).toEqual({ front: 200, shard: 100, writer: 300, generator: 300 });
    expect(b.waitInsideMs).toBe(0.9); // shard 100 + 2 × writer 300 + front 200
    expect(b.waitOutsideMs).toBe(0.5); // front 200 + generator 300
  });
});
