/**
 * The goal table (issue 16): every target is computed from the same run's figures — relay latency
 * plus one fsync, ratios to the relays — each row says met, missed or not measured, and a run with
 * no results at all still yields every row (as not measured), so the table's shape never depends on luck.
 */
import { describe, expect, it } from 'vitest';
import { GOAL_IDS, goalTable, renderGoals, type Goal } from '../../../bench/scenarios/goals.js';
import type { AllResults } from '../../../bench/scenarios/report.js';

const lat = (p50Ms: number, p99Ms: number, maxMs = p99Ms) => ({ p50Ms, p99Ms, maxMs });
const satRun = (
  target: string,
  encoding: string,
  sustainedPerS: number,
  cpuUsPerWrite: number,
  ack: object,
  propagation: object,
) => ({
  target,
  encoding,
  sustainedPerS,
  cpuUsPerWrite,
  steps: [{ offeredRate: 125, measured: { run: { ack, propagation } } }],
});

const RESULTS = {
  failures: [],
  sqlite: { fsync: { p50Ms: 0.25 } },
  saturation: [
    satRun('pos-hub', 'json', 3000, 150, lat(1.4, 6), lat(1.6, 9)),
    satRun('pos-hub', 'msgpack', 1000, 300, lat(1, 5), lat(1, 5)),
    satRun('uws-ceiling', 'json', 5000, 80, lat(0.66, 3.55), lat(0.7, 4)),
    satRun('uws-ceiling', 'msgpack', 5000, 80, lat(0.6, 3), lat(0.6, 3)),
    satRun('socketio-peer', 'json', 1400, 260, lat(1.8, 5.5), lat(2, 6)),
  ],
  venue: { connect: { ok: 60 }, measured: { run: { ack: lat(2, 4.9, 30) } } },
  venueLarge: { connect: { ok: 240 }, measured: { run: { ack: lat(3, 7) } } },
  storm: [
    { target: 'pos-hub', terminals: 1000, connect: { ok: 1000, failed: 0, allInSyncMs: 2500 }, serverCpuMs: 3000 },
    { target: 'uws-ceiling', terminals: 1000, connect: { ok: 1000, failed: 0, allInSyncMs: 2000 }, serverCpuMs: 1700 },
  ],
  idle: [
    { target: 'pos-hub', terminals: 2000, connected: 2000, rssKBPerTerminal: 14 },
    { target: 'uws-ceiling', terminals: 2000, connected: 2000, rssKBPerTerminal: 11.7 },
  ],
  http: [
    { path: '/health', hubCpuUsPerRequest: 27 },
    { path: '/metrics', hubCpuUsPerRequest: 150 },
  ],
} as unknown as AllResults;

const byId = (goals: Goal[]) => new Map(goals.map((g) => [g.id, g]));

describe('goalTable', () => {
  it('computes every target from the same run and says met or missed', () => {
    const goals = byId(goalTable(RESULTS));
    expect([...goals.keys()]).toEqual([...GOAL_IDS]);
    expect(goals.get('ack-p50')).toMatchObject({ measured: 1.4, target: 1.41, met: true }); // 0.66 + 0.25 + 0.5
    expect(goals.get('ack-p99')).toMatchObject({ measured: 6, target: 5.55, met: false });
    expect(goals.get('propagation-p50')).toMatchObject({ measured: 1.6, target: 1.45, met: false });
    expect(goals.get('propagation-p99')).toMatchObject({ target: 6, met: false });
    expect(goals.get('sustained-json-uws')).toMatchObject({ measured: 3000, target: 2500, met: true });
    expect(goals.get('sustained-json-socketio')).toMatchObject({ target: 2800, met: true });
    expect(goals.get('sustained-msgpack-uws')).toMatchObject({ measured: 1000, target: 2500, met: false });
    expect(goals.get('sustained-msgpack-socketio')).toMatchObject({ target: 2800, met: false });
    expect(goals.get('cpu-per-write-json')).toMatchObject({ measured: 150, target: 160, met: true });
    expect(goals.get('cpu-per-write-msgpack')).toMatchObject({ target: 160, met: false });
    expect(goals.get('venue-p99')).toMatchObject({ measured: 4.9, target: 5, met: true });
    expect(goals.get('venue-max')).toMatchObject({ measured: 30, target: 25, met: false });
    expect(goals.get('venue-large-p99')).toMatchObject({ measured: 7, target: 5, met: false });
    expect(goals.get('storm-time')).toMatchObject({ measured: 2500, target: 2600, met: true });
    expect(goals.get('storm-cpu')).toMatchObject({ measured: 3, target: 3.4, met: true });
    expect(goals.get('idle-footprint')).toMatchObject({ measured: 14, target: 14.04, met: true });
    expect(goals.get('metrics-scrape-cpu')).toMatchObject({ measured: 0.15, target: 0.2, met: true });
  });

  it('a storm with terminals left out of sync has no comparable time', () => {
    const storm = [
      { target: 'pos-hub', terminals: 10, connect: { ok: 9, failed: 1, allInSyncMs: 100 }, serverCpuMs: 9 },
      { target: 'uws-ceiling', terminals: 10, connect: { ok: 10, failed: 0, allInSyncMs: 100 }, serverCpuMs: 10 },
    ];
    const goals = byId(goalTable({ ...RESULTS, storm } as unknown as AllResults));
    expect(goals.get('storm-time')).toMatchObject({ measured: null, met: null });
    expect(goals.get('storm-cpu')).toMatchObject({ measured: 1, target: 2, met: true });
  });

  it('a run without results gives every row, not measured', () => {
    const goals = goalTable({ failures: [] });
    expect(goals.map((g) => g.id)).toEqual([...GOAL_IDS]);
    expect(goals.every((g) => g.met === null)).toBe(true);
    const text = renderGoals(goals);
    expect(text).toContain(`0 met, 0 missed, ${GOAL_IDS.length} not measured.`);
  });

  it('renders one row per goal with its verdict', () => {
    const text = renderGoals(goalTable(RESULTS));
    expect(
      text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| goal') && !l.startsWith('| ---')),
    ).toHaveLength(GOAL_IDS.length);
    expect(text).toContain(
      '| ack p50 at 125 writes/s, JSON | 1.4 ms | ≤ 1.41 ms | uWS relay 0.66 + one fsync 0.25 + 0.5 | **met** |',
    );
    expect(text).toContain('9 met, 8 missed, 0 not measured.');
  });
});

describe('goalTable against relays that passed nothing', () => {
  it('a ratio to 0 writes/s is not measured, not met', () => {
    const saturation = (RESULTS.saturation ?? []).map((x) => ({ ...x, sustainedPerS: 0 }));
    const goals = byId(goalTable({ ...RESULTS, saturation }));
    for (const id of ['sustained-json-uws', 'sustained-json-socketio', 'sustained-msgpack-uws'] as const)
      expect(goals.get(id)).toMatchObject({ measured: 0, target: null, met: null });
  });
});
