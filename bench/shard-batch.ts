/**
 * What one shard batch costs as the shard holds more actors (issue 16): a venue's tables each with a
 * leased order in memory, then batches of one ORDER_SNAPSHOT each through a real ShardHost (sink
 * discarded). The figure should follow the work, not the number of actors held — the busy-venue profile
 * found the host re-scanning every actor's deadlines after every batch. CPU µs per batch, median of 5.
 * Run: node --import tsx bench/shard-batch.ts
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

const rows = [10, 120, 480, 2_000].map((tables) => ({ tables, us: cpuPerBatch(tables) }));
console.log(
  `shard batch of one ORDER_SNAPSHOT, CPU µs per batch (median of ${SAMPLES}; load average ${loadavg()[0]!.toFixed(2)})`,
);
for (const r of rows) console.log(`  ${String(r.tables).padStart(5)} tables leased in memory   ${r.us.toFixed(1)} µs`);
