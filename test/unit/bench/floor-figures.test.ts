/**
 * The pipeline floor's pure parts: medians with their spread, differences paired within a round (a round the
 * neighbours slowed moves both sides and cancels), a seam's saving as a share of the shard hop, and the three
 * messages encoded and decoded the same way in every seam.
 */
import { describe, expect, it } from 'vitest';
import {
  aggregate,
  difference,
  shareOfHop,
  spread,
  wakeCost,
  wakeCosts,
  type FloorSample,
} from '../../../bench/scenarios/floor-figures.js';
import {
  doneIn,
  doneOut,
  inputIn,
  inputOut,
  SEAMS,
  Versions,
  writeIn,
  writeOut,
  type FloorDone,
  type FloorInput,
} from '../../../bench/ceilings/floor-wire.js';

function sample(label: string, round: number, ackMeanMs: number, cpuUsPerWrite: number | null): FloorSample {
  return {
    label,
    round,
    ackP50Ms: ackMeanMs / 2,
    ackP99Ms: ackMeanMs * 3,
    ackMeanMs,
    cpuUsPerWrite,
    threadCpuUs: { main: 100 * round, writer: 50 },
    waitPerWakeUs: { main: 10 },
    wakeUpsPerWrite: { main: 2 },
    sustainedPerS: 1000,
    keepsUpPerS: 2000,
    topCpuUsPerWrite: 90,
  };
}

describe('spread', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even one', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
  });

  it('skips unknown values and says null when none is left', () => {
    expect(spread([null, 5, undefined, Number.NaN])).toEqual({ median: 5, min: 5, max: 5, n: 1 });
    expect(spread([null])).toBeNull();
  });
});

describe('aggregate', () => {
  it('gives one row per target in first-seen order, each figure and thread group over the rounds', () => {
    const rows = aggregate([
      sample('b', 1, 4, 800),
      sample('a', 1, 1, 300),
      sample('b', 2, 6, 900),
      sample('b', 3, 5, 1000),
    ]);
    expect(rows.map((r) => r.label)).toEqual(['b', 'a']);
    expect(rows[0]!.ackMeanMs).toEqual({ median: 5, min: 4, max: 6, n: 3 });
    expect(rows[0]!.threadCpuUs.main).toEqual({ median: 200, min: 100, max: 300, n: 3 });
    expect(rows[1]!.cpuUsPerWrite?.n).toBe(1);
  });
});

describe('difference', () => {
  it('subtracts within each round before the median, so a slow round cancels', () => {
    // Round 2 is slow for both: unpaired medians would say 5 − 2 = 3; paired, every round says 1.
    const samples = [
      sample('with', 1, 2, 500),
      sample('without', 1, 1, 400),
      sample('with', 2, 11, 900),
      sample('without', 2, 10, 800),
      sample('with', 3, 5, 700),
      sample('without', 3, 2, 650),
    ];
    const d = difference(samples, 'x', 'with', 'without');
    expect(d.ackMeanMs).toEqual({ median: 1, min: 1, max: 3, n: 3 });
    expect(d.cpuUsPerWrite).toEqual({ median: 100, min: 50, max: 100, n: 3 });
  });

  it('leaves out a round in which either side failed, and an unknown figure', () => {
    const d = difference(
      [sample('with', 1, 3, null), sample('without', 1, 1, 100), sample('with', 2, 4, 200)],
      'x',
      'with',
      'without',
    );
    expect(d.ackMeanMs).toEqual({ median: 2, min: 2, max: 2, n: 1 });
    expect(d.cpuUsPerWrite).toBeNull();
  });
});

describe('shareOfHop', () => {
  it('is the saving over the hop, and null when the hop costs nothing or is unknown', () => {
    const s = (median: number) => ({ median, min: median, max: median, n: 1 });
    expect(shareOfHop(s(30), s(200))).toBeCloseTo(0.15);
    expect(shareOfHop(s(30), s(0))).toBeNull();
    expect(shareOfHop(null, s(10))).toBeNull();
  });
});

describe('wakeCost', () => {
  it('splits CPU per write into a part per write and a part per wake-up', () => {
    // 40 µs per write + 60 µs per wake-up, exactly.
    const points = [0.25, 0.5, 1, 2].map((w) => ({ group: 'main', wakeUpsPerWrite: w, cpuUsPerWrite: 40 + 60 * w }));
    const c = wakeCost(points);
    expect(c?.perWriteUs).toBeCloseTo(40);
    expect(c?.perWakeUpUs).toBeCloseTo(60);
    expect(c?.r2).toBeCloseTo(1);
  });

  it('says null with fewer than three points or when wake-ups do not vary', () => {
    expect(wakeCost([{ group: 'main', wakeUpsPerWrite: 1, cpuUsPerWrite: 5 }])).toBeNull();
    expect(wakeCost([1, 2, 3].map((c) => ({ group: 'main', wakeUpsPerWrite: 1, cpuUsPerWrite: c })))).toBeNull();
  });

  it('pools one target’s steps over the rounds, per thread group', () => {
    const withPoints = (round: number, ws: number[]): FloorSample => ({
      ...sample('full/clone', round, 1, 1),
      stepPoints: ws.flatMap((w) => [
        { group: 'main', wakeUpsPerWrite: w, cpuUsPerWrite: 100 + 10 * w },
        { group: 'writer', wakeUpsPerWrite: w, cpuUsPerWrite: 50 },
      ]),
    });
    const costs = wakeCosts([withPoints(1, [1, 2]), withPoints(2, [3]), sample('other', 1, 1, 1)], 'full/clone');
    expect(costs.main?.points).toBe(3);
    expect(costs.main?.perWakeUpUs).toBeCloseTo(10);
    expect(costs.writer?.perWakeUpUs).toBeCloseTo(0);
  });
});

describe('floor wire', () => {
  const snapshot = { posReference: 'NU/1', tableId: 7, lines: [{ note: 'sin\ncebolla "ya"' }] };
  const msg = { type: 'ORDER_SNAPSHOT', posReference: 'NU/1', mutationId: 'm-1', baseVersion: 2, snapshot };
  const input: FloorInput = { terminalId: 't3', tableId: 7, msg, frameText: JSON.stringify(msg) };

  it.each(SEAMS)('%s: input, write and deliveries cross intact', (seam) => {
    const crossed = inputIn(seam, inputOut(seam, input));
    expect(crossed).toMatchObject({ terminalId: 't3', tableId: 7, msg });
    const write = writeIn(seam, writeOut(seam, crossed, 3));
    expect(write).toEqual({
      terminalId: 't3',
      tableId: 7,
      posReference: 'NU/1',
      mutationId: 'm-1',
      version: 3,
      snapshot,
    });
    const done: FloorDone[] = [
      { terminalId: 't3', tableId: 7, ack: '{"type":"ORDER_ACK"}', updated: JSON.stringify({ snapshot }) },
      { terminalId: 't4', tableId: -1, ack: '{}', updated: '{}' },
    ];
    expect(doneIn(seam, doneOut(seam, done))).toEqual(done);
  });

  it('gives each order its own next version', () => {
    const v = new Versions();
    expect([v.next('a'), v.next('a'), v.next('b'), v.next('a')]).toEqual([1, 2, 1, 3]);
  });
});
