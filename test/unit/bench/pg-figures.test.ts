/**
 * The pg bench's pure rules: the failover gap counts only a commit sent after the fault as recovery;
 * ratios are Postgres ÷ SQLite and say "—" rather than divide by nothing; the step verdict and the
 * doubling-then-refining search are the saturation scenario's; the units are the writer's three ops
 * with unique mutation ids; the README keeps the pg block apart from the full run's; the rendered section
 * says why a part was not measured instead of leaving it blank.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparisonRows, comparisonTable, cpuSplit, gapOf, ratio } from '../../../bench/pg/figures.js';
import { figuresOf, stepUp, stepVerdict, type JudgedStep } from '../../../bench/pg/saturate.js';
import type { StoreStep } from '../../../bench/pg/store-load.js';
import { snapshotUnits, withDedupe } from '../../../bench/pg/units.js';
import { updateReadme } from '../../../bench/lib/results.js';
import type { BenchContext } from '../../../bench/scenarios/context.js';
import { renderPg } from '../../../bench/scenarios/pg.js';
import { PLANS } from '../../../bench/scenarios/plan.js';

const lat = (p50Ms: number, p99Ms: number) => ({ count: 100, meanMs: p50Ms, p50Ms, p95Ms: p99Ms, p99Ms, maxMs: p99Ms });

function step(offeredRate: number, ackedShare: number, p99Ms: number, extra: Partial<StoreStep> = {}): StoreStep {
  const offered = offeredRate * 3;
  const acked = Math.round(offered * ackedShare);
  return {
    offeredRate,
    offered,
    acked,
    ackedPerS: Math.round(offeredRate * ackedShare),
    elapsedMs: 3000,
    ack: lat(p99Ms / 3, p99Ms),
    commits: 10,
    failedCommits: 0,
    errors: 0,
    unitsPerCommit: acked / 10,
    cpuMs: { process: 300, postgres: 150, agents: 30 },
    cpuUsPerWrite: acked > 0 ? Math.round((450 * 1000) / acked) : null,
    ...extra,
  };
}

describe('gapOf', () => {
  it('is the longest silence between acks from the last ack before the fault on', () => {
    const acks = [
      { startedUs: 0, atUs: 1_000 },
      { startedUs: 2_000, atUs: 3_000 },
      // a commit sent after the kill, served by a backend that has not yet noticed its postmaster died
      { startedUs: 5_500, atUs: 6_000 },
      { startedUs: 6_500, atUs: 9_000_000 },
      { startedUs: 9_000_100, atUs: 9_001_000 },
    ];
    expect(gapOf(acks, 5_000)).toEqual({ gapMs: 8994, faultToFirstAckMs: 8995 });
  });

  it('counts the silence that began before the fault was sent (the last ack before it)', () => {
    expect(gapOf([{ startedUs: 0, atUs: 1_000 }, { startedUs: 900_000, atUs: 2_000_000 }], 1_500_000)).toEqual({
      gapMs: 1999,
      faultToFirstAckMs: 500,
    });
  });

  it('is null when nothing came back after the fault, or nothing was acked before it', () => {
    expect(gapOf([{ startedUs: 0, atUs: 10 }], 100)).toEqual({ gapMs: null, faultToFirstAckMs: null });
    expect(gapOf([{ startedUs: 200, atUs: 300 }], 100)).toEqual({ gapMs: null, faultToFirstAckMs: null });
  });
});

describe('ratio and the comparison table', () => {
  it('ratio is b ÷ a, null when either is missing or a is 0', () => {
    expect(ratio(4, 10)).toBe(2.5);
    expect(ratio(0, 10)).toBeNull();
    expect(ratio(null, 10)).toBeNull();
    expect(ratio(3, undefined)).toBeNull();
  });

  it('has one row per figure with both stores and Postgres ÷ SQLite', () => {
    const sqlite = figuresOf(
      [step(125, 1, 4), step(250, 1, 6), step(500, 1, 12)].map((s) => ({ ...s, ...stepVerdict(s, 10) })),
    );
    const postgres = figuresOf([step(125, 1, 8), step(250, 0.5, 900)].map((s) => ({ ...s, ...stepVerdict(s, 10) })));
    const rows = comparisonRows({ sqlite, postgres }, 10);
    expect(rows.map((r) => r[0])).toEqual([
      'ack p50 / p99 at 125 writes/s offered, ms',
      'sustained writes/s with p99 ack < 10 ms',
      'highest writes/s kept up with (≥ 90% acked, p99 < 1 s)',
      'CPU per write at that rate, µs (hub or bench process + Postgres)',
      'CPU per write at 125 writes/s, µs',
    ]);
    expect(rows[0]).toEqual([
      'ack p50 / p99 at 125 writes/s offered, ms',
      '1.33 / 4.00',
      '2.67 / 8.00',
      '2.00× / 2.00×',
    ]);
    expect(rows[1]!.slice(1)).toEqual(['250', '125', '0.50×']);
    expect(rows[2]!.slice(1)).toEqual(['500', '125', '0.25×']);
    expect(comparisonTable({ sqlite, postgres: null }, 10)).toContain(
      '| sustained writes/s with p99 ack < 10 ms | 250 | — | — |',
    );
  });

  it('splits CPU at the top step into the process, Postgres per write and the agents as % of a core', () => {
    const f = figuresOf([{ ...step(100, 1, 5), ...stepVerdict(step(100, 1, 5), 10) }]);
    expect(cpuSplit(f)).toBe('process 1,000 + Postgres 500 µs/write; HA agents 1.0 % of a core');
    expect(cpuSplit(null)).toBe('—');
  });
});

describe('stepVerdict and stepUp (the saturation rules)', () => {
  it('passes under the limit with ≥ 95 % acked; keeps up to 90 % and 1 s; errors over 1 % fail', () => {
    expect(stepVerdict(step(100, 1, 9), 10)).toMatchObject({ pass: true, keepsUp: true });
    expect(stepVerdict(step(100, 1, 10), 10)).toMatchObject({ pass: false, keepsUp: true });
    expect(stepVerdict(step(100, 0.93, 5), 10)).toMatchObject({ pass: false, keepsUp: true });
    expect(stepVerdict(step(100, 0.85, 5), 10)).toMatchObject({ pass: false, keepsUp: false });
    expect(stepVerdict(step(100, 1, 1000), 10)).toMatchObject({ pass: false, keepsUp: false });
    expect(stepVerdict(step(100, 1, 5, { errors: 4 }), 10)).toMatchObject({
      pass: false,
      keepsUp: false,
      why: '4 errors',
    });
    expect(stepVerdict(step(100, 1, 5, { errors: 3 }), 10)).toMatchObject({ pass: true });
    expect(stepVerdict(step(100, 0, 5), 10)).toMatchObject({ pass: false, keepsUp: false, why: 'nothing acked' });
  });

  it('doubles until the store stops keeping up, then refines once between the last pass and the miss', async () => {
    const rates: number[] = [];
    // Passes up to 750/s, misses the limit at 1000 but keeps up, saturates at 2000.
    const run = (rate: number): Promise<StoreStep> => {
      rates.push(rate);
      return Promise.resolve(rate <= 750 ? step(rate, 1, 5) : rate < 2000 ? step(rate, 1, 20) : step(rate, 0.5, 2000));
    };
    const logged: JudgedStep[] = [];
    const steps = await stepUp({ startRate: 125, maxRate: 16_000, maxSteps: 9, p99LimitMs: 10 }, run, (s) =>
      logged.push(s),
    );
    expect(rates).toEqual([125, 250, 500, 1000, 2000, 707]);
    expect(logged).toHaveLength(6);
    const f = figuresOf(steps);
    expect(f.sustainedPerS).toBe(707);
    expect(f.keepsUpPerS).toBe(1000);
    expect(f.firstStep?.offeredRate).toBe(125);
  });

  it('stops at maxSteps and maxRate', async () => {
    const rates: number[] = [];
    await stepUp(
      { startRate: 125, maxRate: 300, maxSteps: 9, p99LimitMs: 10 },
      (rate) => {
        rates.push(rate);
        return Promise.resolve(step(rate, 1, 1));
      },
      () => undefined,
    );
    expect(rates).toEqual([125, 250]);
  });
});

describe('snapshotUnits', () => {
  it('makes the writer’s three ops per write, the next version of the order, a unique mutation id', () => {
    const source = snapshotUnits('r1', 3);
    const units = Array.from({ length: 7 }, () => source.next());
    for (const u of units) expect(u.ops.map((o) => o.op)).toEqual(['order_put', 'event', 'mutation']);
    const ids = units.map((u) => u.ops[2]!.op === 'mutation' && u.ops[2].mutationId);
    expect(new Set(ids).size).toBe(7);
    const first = units[0]!.ops[0]!;
    const fourth = units[3]!.ops[0]!;
    expect(first.op === 'order_put' && fourth.op === 'order_put').toBe(true);
    if (first.op === 'order_put' && fourth.op === 'order_put') {
      expect(fourth.order.posReference).toBe(first.order.posReference);
      expect([first.order.version, fourth.order.version]).toEqual([1, 2]);
      expect(first.order.snapshot?.lines.length).toBeGreaterThanOrEqual(5);
    }
    expect(units[0]!.dedupe).toBeUndefined();
  });

  it('withDedupe keys a retried unit by its own mutation id', () => {
    const unit = snapshotUnits('r2', 1).next();
    const mutation = unit.ops[2]!;
    expect(withDedupe(unit).dedupe).toEqual({
      terminalId: mutation.op === 'mutation' ? mutation.terminalId : '',
      owner: '',
      mutationId: 'r2-m1',
    });
  });
});

describe('updateReadme with a named block', () => {
  it('rewrites only its own markers and leaves the full run’s block alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pos-hub-readme-test-'));
    try {
      const path = join(dir, 'README.md');
      writeFileSync(
        path,
        '# B\n<!-- results:start -->\nold results\n<!-- results:end -->\n<!-- pg:start -->\nold pg\n<!-- pg:end -->\n',
      );
      updateReadme(path, 'new pg', 'pg');
      expect(readFileSync(path, 'utf8')).toBe(
        '# B\n<!-- results:start -->\nold results\n<!-- results:end -->\n<!-- pg:start -->\nnew pg\n<!-- pg:end -->\n',
      );
      updateReadme(path, 'new results');
      expect(readFileSync(path, 'utf8')).toContain('<!-- results:start -->\nnew results\n<!-- results:end -->');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('renderPg', () => {
  const ctx = {
    plan: PLANS.all,
    startedAt: '2026-12-02T09:00:00.000Z',
    machine: { cpuModel: 'AMD EPYC', cores: 2, node: 'v20', memoryBytes: 0, kernel: '', loadAverage1m: 3, uws: null },
  } as unknown as BenchContext;
  const judged = (s: StoreStep): JudgedStep => ({ ...s, ...stepVerdict(s, 10) });
  const side = (store: 'sqlite' | 'postgres', p99: number) => {
    const steps = [judged(step(125, 1, p99))];
    return { store, figures: figuresOf(steps), steps };
  };
  const base = {
    clusterUpMs: 30_000,
    settings: 'tuned' as const,
    loadAverage: { start: [3, 2, 1], end: [4, 3, 2] },
    idleCluster: { postgresPercent: 5, agentsPercent: 12 },
    storeLevel: { sqlite: side('sqlite', 4), postgres: side('postgres', 8) },
    storeGap: {
      fault: 'kill -9 of the primary postmaster' as const,
      rate: 50,
      gapMs: 9100,
      faultToFirstAckMs: 9000,
      primaryBefore: 'node1',
      primaryAfter: 'node2',
      acked: 500,
      failedCommits: 3,
      lastError: 'Connection terminated',
      ackedMissing: 0,
    },
  };

  it('says why the hub on Postgres was not measured, and leaves its gap out', () => {
    const md = renderPg(ctx, {
      ...base,
      hubLevel: {
        sqlite: { store: 'sqlite', notMeasured: null, figures: side('sqlite', 5).figures, steps: [] },
        postgres: {
          store: 'postgres',
          notMeasured: 'the hub’s writer does not commit to Postgres',
          figures: null,
          steps: [],
        },
      },
      hubGap: null,
    });
    expect(md).toContain('load average 3 / 2 / 1 at the start and 4 / 3 / 2 at the end');
    expect(md).toContain('| ack p50 / p99 at 125 writes/s offered, ms | 1.33 / 4.00 | 2.67 / 8.00 | 2.00× / 2.00× |');
    expect(md).toContain('Hub on Postgres not measured: the hub’s writer does not commit to Postgres.');
    expect(md).toContain(
      '| store port, 50 writes/s | 9.1 s | 9.0 s | node1 → node2 | 500 acked, 0 of them missing after |',
    );
    expect(md).toContain('| through a hub | — | — | — | not measured (the hub on Postgres was not measured) |');
    expect(md).toContain('Idle cluster: Postgres 5 %, keepers + monitor 12 % of a core.');
  });

  it('puts the hubs’ gap next to the store’s when both were measured', () => {
    const md = renderPg(ctx, {
      ...base,
      hubLevel: {
        sqlite: { store: 'sqlite', notMeasured: null, figures: side('sqlite', 5).figures, steps: [] },
        postgres: { store: 'postgres', notMeasured: null, figures: side('postgres', 9).figures, steps: [] },
      },
      hubGap: {
        notMeasured: null,
        hubs: 2,
        gapMs: 12_300,
        faultToFirstAckMs: 12_250,
        acked: 90,
        resent: 14,
        errors: { 'ERROR NOT_LEADER': 10, 'socket closed': 4 },
        primaryBefore: 'node2',
        primaryAfter: 'node1',
      },
    });
    expect(md).toContain(
      '| through the hubs (one beside each node), one terminal, one write in flight | 12.3 s | 12.3 s | node2 → node1 | 90 acked, 14 resent |',
    );
    expect(md).not.toContain('not measured');
  });
});

describe('renderPg, a hub that never acked again', () => {
  it('names the refusals the terminal got instead of a gap', () => {
    const ctx = {
      plan: PLANS.all,
      startedAt: '2026-12-02T09:00:00.000Z',
      machine: { cpuModel: 'AMD EPYC', cores: 2, node: 'v20', memoryBytes: 0, kernel: '', loadAverage1m: 3, uws: null },
    } as unknown as BenchContext;
    const md = renderPg(ctx, {
      clusterUpMs: 30_000,
      settings: 'tuned',
      loadAverage: { start: [1, 1, 1], end: [1, 1, 1] },
      idleCluster: { postgresPercent: 5, agentsPercent: 12 },
      storeLevel: { sqlite: null, postgres: null },
      hubLevel: { sqlite: null, postgres: { store: 'postgres', notMeasured: null, figures: null, steps: [] } },
      storeGap: null,
      hubGap: {
        notMeasured: null,
        hubs: 1,
        gapMs: null,
        faultToFirstAckMs: null,
        acked: 27,
        resent: 498,
        errors: {
          'sign-in: lease refused: STORAGE_UNAVAILABLE': 473,
          'ERROR STORAGE_UNAVAILABLE': 1,
          'sign-in: AUTH_FAIL': 24,
        },
        primaryBefore: 'node1',
        primaryAfter: 'node2',
      },
    });
    expect(md).toContain(
      '| through one hub (its writer follows the promoted node), one terminal, one write in flight | — | — | node1 → node2 | 27 acked, 498 resent; no ack within 60.0 s of the fault: 473 × sign-in: lease refused: STORAGE_UNAVAILABLE, 24 × sign-in: AUTH_FAIL |',
    );
  });
});
