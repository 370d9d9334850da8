/**
 * What one shard batch costs as the shard holds more actors (issue 16): a venue's tables each with a
 * leased order in memory, then batches of one ORDER_SNAPSHOT each through a real ShardHost (sink
 * discarded). The figure should follow the work, not the number of actors held — the busy-venue profile
 * found the host re-scanning every actor's deadlines after every batch. CPU µs per batch, median of 5.
 * A last row runs the host as shard.worker.ts wires it — src/domain's snapshot validator, prom-client
 * thread metrics, the stage timer — with the bench generator's orders (5–15 lines, one waiter's edit per
 * snapshot): the per-event cost the shard pays in service.
 * Run: node --import tsx bench/shard-batch.ts [--wired]
 */
import { loadavg } from 'node:os';
import { cpuUsage } from 'node:process';
import type { Principal } from '../actors/table/types.js';
import { createLogger } from '../src/adapters/log/logger.js';
import { systemClock } from '../src/ports/clock.js';
import { noopMetrics } from '../src/ports/metrics.js';
import { newOrder } from '../src/domain/order-ops.js';
import type { ShardInput } from '../src/threads/contract.js';
import { ShardHost } from '../workers/shard/shard-host.js';
import { tableEnv } from '../test/fixtures/table-actors.js';
import type { TableEnv } from '../actors/table/context.js';
import { createThreadMetrics } from '../src/adapters/metrics/index.js';
import { validateSnapshotChange } from '../src/domain/index.js';
import { editDraft, newDraft, rng, toSnapshot, type OrderDraft } from './venue/orders.js';

const BATCHES = 2_000;
const SAMPLES = 5;

function cpuPerBatch(tables: number): number {
  let units = 0;
  const host = new ShardHost({
    index: 0,
    env: tableEnv,
    clock: systemClock,
    metrics: noopMetrics,
    log: createLogger({ level: 'silent' }),
    sink: (u) => void (units += u.length),
  });
  host.load([]);
  const waiters: Principal[] = Array.from({ length: 60 }, (_, i) => ({
    terminalId: `pos-${i}`,
    role: 'cashier',
    name: `W${i}`,
  }));
  const posOf = (t: number) => `NU/CFG1/S42/1709123456789-${t}`;
  const input = (t: number, msg: Extract<ShardInput, { type: 'terminal' }>['input']['msg']): ShardInput => ({
    type: 'terminal',
    input: { key: `t:${t}`, from: waiters[t % waiters.length]!, msg, receivedAt: 0 },
  });
  for (let t = 0; t < tables; t++)
    host.handleBatch([input(t, { type: 'LEASE_ACQUIRE', posReference: posOf(t), baseVersion: 0, tableId: t })]);
  let version = 0;
  const run = () => {
    for (let b = 0; b < BATCHES; b++) {
      const t = (b * 7919) % tables;
      const snapshot = {
        ...newOrder({
          posReference: posOf(t),
          tableId: t,
          sessionId: 42,
          userId: 2,
          createdAt: '2026-01-01T10:00:00.000Z',
        }),
        guestCount: ++version % 50,
      };
      host.handleBatch([
        input(t, { type: 'ORDER_SNAPSHOT', posReference: posOf(t), baseVersion: Number.MAX_SAFE_INTEGER, snapshot }),
      ]);
    }
  };
  run(); // warm-up
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = cpuUsage();
    run();
    const used = cpuUsage(start);
    samples.push((used.user + used.system) / BATCHES);
  }
  host.stop();
  if (units < BATCHES) throw new Error('the snapshots produced no units: the bench measures an empty path');
  samples.sort((a, b) => a - b);
  return samples[Math.floor(SAMPLES / 2)]!;
}

/** The shard worker's wiring (shard.worker.ts): the domain validator with the default value limits, real metrics. */
function cpuPerBatchAsWired(tables: number): number {
  const env: TableEnv = {
    ...tableEnv,
    validate: (previous, next, options) =>
      validateSnapshotChange(previous, next, { ...options, values: { maxQty: 10_000, maxPrice: 1_000_000 } }),
  };
  let units = 0;
  const host = new ShardHost({
    index: 0,
    env,
    clock: systemClock,
    metrics: createThreadMetrics('shard-bench'),
    log: createLogger({ level: 'silent' }),
    sink: (u) => void (units += u.length),
  });
  host.load([]);
  const waiter: Principal = { terminalId: 'pos-1', role: 'cashier', name: 'W1' };
  const random = rng(42);
  const drafts: OrderDraft[] = [];
  const posOf = (t: number) => `NU/CFG1/S42/1709123456789-${t}`;
  for (let t = 0; t < tables; t++) {
    drafts.push(newDraft(posOf(t), t + 1, random, '2026-01-01T10:00:00.000Z'));
    host.handleBatch([
      {
        type: 'terminal',
        input: {
          key: `t:${t + 1}`,
          from: waiter,
          msg: { type: 'LEASE_ACQUIRE', posReference: posOf(t), baseVersion: 0, tableId: t + 1 },
          receivedAt: 0,
        },
      },
    ]);
  }
  // The snapshots are built before the clock starts: the figure is the shard's, not the generator's.
  const batches = (): ShardInput[][] =>
    Array.from({ length: BATCHES }, (_, b) => {
      const t = (b * 7919) % tables;
      const draft = drafts[t]!;
      editDraft(draft, random);
      const snapshot = toSnapshot(draft, { state: 'editing', staffName: 'W1' });
      const sentAt = performance.timeOrigin + performance.now();
      return [
        {
          type: 'terminal',
          input: {
            key: `t:${t + 1}`,
            from: waiter,
            msg: { type: 'ORDER_SNAPSHOT', posReference: posOf(t), baseVersion: Number.MAX_SAFE_INTEGER, snapshot },
            receivedAt: 0,
            sentAt,
          },
        },
      ];
    });
  const run = (inputs: ShardInput[][]) => {
    for (const batch of inputs) host.handleBatch(batch);
  };
  run(batches()); // warm-up
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const inputs = batches();
    const start = cpuUsage();
    run(inputs);
    const used = cpuUsage(start);
    samples.push((used.user + used.system) / BATCHES);
  }
  host.stop();
  if (units < BATCHES) throw new Error('the snapshots produced no units: the bench measures an empty path');
  samples.sort((a, b) => a - b);
  return samples[Math.floor(SAMPLES / 2)]!;
}

// `--wired` runs only the last row (before/after figures of one change to the shard's per-event cost).
const rows = process.argv.includes('--wired')
  ? []
  : [10, 120, 480, 2_000].map((tables) => ({ tables, us: cpuPerBatch(tables) }));
const wired = cpuPerBatchAsWired(120);
console.log(
  `shard batch of one ORDER_SNAPSHOT, CPU µs per batch (median of ${SAMPLES}; load average ${loadavg()[0]!.toFixed(2)})`,
);
for (const r of rows) console.log(`  ${String(r.tables).padStart(5)} tables leased in memory   ${r.us.toFixed(1)} µs`);
console.log(
  `    120 tables, as shard.worker.ts wires it (domain validator, thread metrics, 5–15-line orders)   ${wired.toFixed(1)} µs`,
);
