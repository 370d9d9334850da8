/**
 * What one table-actor event costs (issue 15 item 4): the pure step() called directly, against the same
 * events sent through the XState table machine (actors/table/table.machine.ts). A machine with states
 * measured 1.5× the one-state machine per event (README design notes); a candidate design is compared
 * by adding its row here, in the same run. A service-like mix on one table: lock, leases on
 * four orders, snapshots, heartbeats, releases, a disconnect/reconnect and expiry ticks. The validator
 * is the pass-through one, so the figure is the actor's own cost (snapshot validation is src/domain's).
 * CPU µs per event, median of 7 rounds. Run: node --import tsx bench/actor-step.ts
 */
import { loadavg } from 'node:os';
import { cpuUsage } from 'node:process';
import { contextFromSeed, type TableContext } from '../actors/table/context.js';
import { step, type TableEvent } from '../actors/table/table-logic.js';
import { startTableActor } from '../actors/table/table.machine.js';
import type { Principal } from '../actors/table/types.js';
import { newOrder } from '../src/domain/order-ops.js';
import type { OrderSnapshot } from '../src/protocol/snapshot.js';
import { ann, bob, tableEnv } from '../test/fixtures/table-actors.js';

const env = tableEnv;
const ORDERS = ['B1', 'B2', 'B3', 'B4'].map((suffix) => `NU/CFG1/S42/1709123456789-${suffix}`);

function snapshotOf(posReference: string, version: number): OrderSnapshot {
  return {
    ...newOrder({ posReference, tableId: 7, sessionId: 42, userId: 2, createdAt: '2026-01-01T10:00:00.000Z' }),
    guestCount: version,
  };
}

/** One round of service on table 7, `now` moving forward; every lease ends released or expired, so rounds repeat. */
function serviceRound(start: number): TableEvent[] {
  const events: TableEvent[] = [];
  let now = start;
  const at = (from: Principal, msg: Extract<TableEvent, { type: 'terminal' }>['msg']) =>
    events.push({ type: 'terminal', now: (now += 100), from, msg });
  at(ann, { type: 'TABLE_LOCK_ACQUIRE', tableId: 7 });
  at(bob, { type: 'TABLE_LOCK_ACQUIRE', tableId: 7 }); // denied
  for (const posReference of ORDERS) {
    at(ann, { type: 'LEASE_ACQUIRE', posReference, baseVersion: 0, tableId: 7 });
    at(bob, { type: 'LEASE_ACQUIRE', posReference, baseVersion: 0, tableId: 7 }); // denied
  }
  for (let version = 0; version < 3; version++) {
    for (const posReference of ORDERS) {
      at(ann, {
        type: 'ORDER_SNAPSHOT',
        posReference,
        baseVersion: Number.MAX_SAFE_INTEGER,
        snapshot: snapshotOf(posReference, version),
      });
    }
    at(ann, { type: 'TABLE_LOCK_HEARTBEAT', tableId: 7 });
  }
  events.push({ type: 'disconnected', now: (now += 100), terminalId: 'ann' });
  events.push({ type: 'connected', now: (now += 100), terminalId: 'ann' });
  for (const posReference of ORDERS.slice(0, 2)) at(ann, { type: 'LEASE_RELEASE', posReference });
  at(ann, { type: 'TABLE_LOCK_RELEASE', tableId: 7 });
  events.push({ type: 'tick', now: (now += 100) }); // nothing due
  events.push({ type: 'tick', now: (now += 120_000) }); // the two remaining leases expire
  return events;
}

const ROUND = serviceRound(0).length;
const ROUNDS_PER_SAMPLE = 500;
const SAMPLES = 7;

/** CPU µs per event for `drive`, which runs `rounds` service rounds from a fresh table. */
function cpuMicros(drive: (rounds: TableEvent[][]) => void): number {
  const rounds = Array.from({ length: ROUNDS_PER_SAMPLE }, (_, i) => serviceRound(i * 1_000_000));
  drive(rounds); // warm-up
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = cpuUsage();
    drive(rounds);
    const used = cpuUsage(start);
    samples.push((used.user + used.system) / (ROUNDS_PER_SAMPLE * ROUND));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(SAMPLES / 2)]!;
}

let produced = 0;
const direct = cpuMicros((rounds) => {
  let ctx: TableContext = contextFromSeed({ key: 't:7' });
  for (const round of rounds) {
    for (const event of round) {
      const r = step(ctx, event, env);
      ctx = r.context;
      if (r.unit !== null) produced++;
    }
  }
});
const machine = cpuMicros((rounds) => {
  const actor = startTableActor({ seed: { key: 't:7' }, env }, () => produced++);
  for (const round of rounds) for (const event of round) actor.send(event);
  actor.stop();
});
if (produced === 0) throw new Error('the service round produced nothing: the bench measures an empty path');

const load = loadavg()[0]!.toFixed(2);
console.log(
  `table actor, ${ROUND} events per service round, CPU µs per event (median of ${SAMPLES}; load average ${load} at the end)`,
);
console.log(`  step() called directly     ${direct.toFixed(2)} µs`);
console.log(
  `  the table machine          ${machine.toFixed(2)} µs  (${(machine / direct).toFixed(2)}× the direct step)`,
);
