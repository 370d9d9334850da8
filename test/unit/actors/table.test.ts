/**
 * The table actor on a simulated clock: the XState machine driven by hand-set `now` values, and the
 * shard host whose expiry timer runs on a fake Clock — lease and lock TTL, grace, force, fencing and
 * restore from persisted rows, with no real time passing.
 */
import { describe, expect, it } from 'vitest';
import { TestClock } from '../../helpers/clocks.js';
import { snapshot } from '../../helpers/terminal.js';
import { type TableEnv, type TableSeed } from '../../../actors/table/context.js';
import { startTableActor } from '../../../actors/table/table.machine.js';
import type { StepResult } from '../../../actors/table/table-logic.js';
import type { Outbound, Principal, ShardMessage, Unit } from '../../../actors/table/types.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { ShardHost } from '../../../workers/shard/shard-host.js';
import { ann, bob, max, tableEnv } from '../../fixtures/table-actors.js';

const env = tableEnv;

const snap = (posReference: string, tableId: number | null, staffName = 'x'): OrderSnapshot => snapshot(posReference, tableId, { staffName });

/** A table actor plus everything it emitted; `at(now).send(from, msg)` drives it. */
function harness(seed: TableSeed = { key: 't:1' }, environment: TableEnv = env) {
  const steps: StepResult[] = [];
  const actor = startTableActor({ seed, env: environment }, (r) => steps.push(r));
  const outOf = (): Outbound[] => steps.flatMap((s) => s.unit?.out ?? []);
  return {
    actor,
    steps,
    send(now: number, from: Principal, msg: ShardMessage) {
      const before = steps.length;
      actor.send({ type: 'terminal', now, from, msg });
      return steps.slice(before).flatMap((s) => s.unit?.out ?? []);
    },
    event(e: Parameters<typeof actor.send>[0]) {
      const before = steps.length;
      actor.send(e);
      return steps.slice(before).flatMap((s) => s.unit?.out ?? []);
    },
    to(out: Outbound[], terminalId: string) {
      return out.filter((o) => o.to === 'terminal' && o.terminalId === terminalId).map((o) => o.msg);
    },
    all: outOf,
  };
}

describe('table actor: leases', () => {
  it('grants, re-enters, denies, and lets only a manager force', () => {
    const h = harness();
    const g1 = h.send(0, ann, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0 });
    expect(h.to(g1, 'ann')).toEqual([{ type: 'LEASE_GRANTED', posReference: 'P', version: 0, expiresAt: 60_000, epoch: 1 }]);
    const again = h.send(1000, ann, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0 });
    expect(h.to(again, 'ann')[0]).toMatchObject({ type: 'LEASE_GRANTED', epoch: 2, expiresAt: 61_000 });
    expect(h.to(h.send(1000, bob, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0 }), 'bob')[0]).toMatchObject({ type: 'LEASE_DENIED', holder: 'ann', code: 'LEASE_HELD' });
    expect(h.to(h.send(1000, bob, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0, force: true }), 'bob')[0]).toMatchObject({ type: 'LEASE_DENIED', code: 'FORBIDDEN' });
    const forced = h.send(2000, max, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0, force: true });
    expect(h.to(forced, 'ann')[0]).toMatchObject({ type: 'LEASE_REVOKED', posReference: 'P' });
    expect(h.to(forced, 'max')[0]).toMatchObject({ type: 'LEASE_GRANTED', epoch: 3 });
  });

  it('orders writes: lease, epoch, version, then one commit unit with ack and broadcast', () => {
    const h = harness();
    h.send(0, ann, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0 });
    expect(h.to(h.send(1, bob, { type: 'ORDER_SNAPSHOT', posReference: 'P', baseVersion: 0, snapshot: snap('P', 1) }), 'bob')[0]).toMatchObject({ type: 'LEASE_DENIED', holder: 'ann' });
    expect(h.to(h.send(1, ann, { type: 'ORDER_SNAPSHOT', posReference: 'P', baseVersion: 0, epoch: 0, snapshot: snap('P', 1) }), 'ann')[0]).toMatchObject({ type: 'ERROR', code: 'STALE_EPOCH' });
    const before = h.steps.length;
    const ok = h.send(2, ann, { type: 'ORDER_SNAPSHOT', posReference: 'P', baseVersion: 0, epoch: 1, mutationId: 'm1', snapshot: snap('P', 1, 'v1') });
    const unit = h.steps[before]!.unit as Unit;
    // The lease's renewal by this write is memory-only: its row is written later, when due (renewalDue).
    expect(unit.ops.map((o) => o.op)).toEqual(['order_put', 'event', 'mutation']);
    expect(ok).toEqual([
      { to: 'terminal', terminalId: 'ann', msg: { type: 'ORDER_ACK', posReference: 'P', version: 1, mutationId: 'm1' }, stamp: true },
      { to: 'others', except: 'ann', msg: expect.objectContaining({ type: 'ORDER_UPDATED', version: 1, sourceTerminal: 'ann' }), stamp: true },
    ]);
    const replay = h.steps.length;
    h.send(3, ann, { type: 'ORDER_SNAPSHOT', posReference: 'P', baseVersion: 0, mutationId: 'm1', snapshot: snap('P', 1, 'v1') });
    expect(h.steps[replay]!.unit?.ops).toEqual([{ op: 'replay', terminalId: 'ann', mutationId: 'm1' }]);
    expect(h.to(h.send(4, ann, { type: 'ORDER_SNAPSHOT', posReference: 'P', baseVersion: 0, snapshot: snap('P', 1, 'old') }), 'ann')[0]).toMatchObject({ type: 'CONFLICT', hubVersion: 1, hubSnapshot: expect.objectContaining({ staffName: 'v1' }) });
  });

  it('refuses a change the domain rules refuse', () => {
    const strict: TableEnv = { ...env, validate: () => ({ ok: false, code: 'ORDER_PAID', message: 'paid' }) };
    const h = harness({ key: 't:1' }, strict);
    h.send(0, ann, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0 });
    expect(h.to(h.send(1, ann, { type: 'ORDER_SNAPSHOT', posReference: 'P', baseVersion: 0, snapshot: snap('P', 1) }), 'ann')[0]).toMatchObject({ type: 'ERROR', code: 'ORDER_PAID' });
  });

  it('expires a lease on the tick after its TTL, with the last snapshot', () => {
    const h = harness();
    h.send(0, ann, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0 });
    h.send(10, ann, { type: 'ORDER_SNAPSHOT', posReference: 'P', baseVersion: 0, snapshot: snap('P', 1, 'last') });
    expect(h.event({ type: 'tick', now: 60_009 })).toEqual([]);
    h.send(30_000, ann, { type: 'LEASE_HEARTBEAT', posReference: 'P' });
    expect(h.event({ type: 'tick', now: 60_011 })).toEqual([]);
    const expired = h.event({ type: 'tick', now: 90_000 });
    expect(h.to(expired, 'ann')[0]).toMatchObject({ type: 'LEASE_REVOKED', reason: 'Lease expired', snapshot: expect.objectContaining({ staffName: 'last' }) });
    expect(h.to(h.send(90_001, bob, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 1 }), 'bob')[0]).toMatchObject({ type: 'LEASE_GRANTED', version: 1 });
  });

  it('cuts a dropped holder to the grace window and restores it on reconnect', () => {
    const h = harness();
    h.send(0, ann, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0 });
    h.event({ type: 'disconnected', now: 1000, terminalId: 'ann' });
    h.event({ type: 'connected', now: 5000, terminalId: 'ann' });
    expect(h.event({ type: 'tick', now: 11_001 })).toEqual([]);
    expect(h.to(h.send(11_002, bob, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0 }), 'bob')[0]).toMatchObject({ type: 'LEASE_DENIED' });
    h.event({ type: 'disconnected', now: 20_000, terminalId: 'ann' });
    expect(h.to(h.event({ type: 'tick', now: 30_000 }), 'ann')[0]).toMatchObject({ type: 'LEASE_REVOKED' });
  });

  it('restores from persisted rows with epochs that only increase', () => {
    const h = harness({
      key: 't:1',
      orders: [{ posReference: 'P', tableId: 1, version: 7, snapshot: snap('P', 1) }],
      leases: [{ posReference: 'P', terminalId: 'ann', role: 'cashier', tableId: 1, expiresAt: 50_000, epoch: 4 }],
      epochs: [{ key: 'lease:Q', epoch: 9 }],
      mutations: [{ terminalId: 'ann', mutationId: 'old' }],
    });
    expect(h.to(h.send(1, bob, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 7 }), 'bob')[0]).toMatchObject({ type: 'LEASE_DENIED', holder: 'ann' });
    expect(h.to(h.send(1, ann, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 7 }), 'ann')[0]).toMatchObject({ type: 'LEASE_GRANTED', version: 7, epoch: 5 });
    expect(h.to(h.send(1, bob, { type: 'LEASE_ACQUIRE', posReference: 'Q', baseVersion: 0 }), 'bob')[0]).toMatchObject({ type: 'LEASE_GRANTED', epoch: 10 });
  });
});

describe('table actor: handing on steps', () => {
  it('hands each producing step on once, and nothing for an event a stopped actor did not take', () => {
    const h = harness();
    h.send(0, ann, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0 });
    h.send(1, ann, { type: 'LEASE_HEARTBEAT', posReference: 'P' }); // memory only: nothing to hand on
    h.send(2, ann, { type: 'LEASE_RELEASE', posReference: 'P' });
    expect(h.steps.map((s) => s.unit?.out.map((o) => o.msg.type))).toEqual([['LEASE_GRANTED'], ['LEASE_RELEASED']]);
    h.actor.stop();
    h.send(3, bob, { type: 'LEASE_ACQUIRE', posReference: 'P', baseVersion: 0 });
    expect(h.steps).toHaveLength(2);
  });
});

describe('table actor: lock', () => {
  it('grants, denies, forces for managers only, and expires with a broadcast', () => {
    const h = harness();
    const granted = h.send(0, ann, { type: 'TABLE_LOCK_ACQUIRE', tableId: 1 });
    expect(granted.map((o) => [o.to, o.msg.type])).toEqual([
      ['terminal', 'TABLE_LOCK_GRANTED'],
      ['all', 'TABLE_LOCKED'],
    ]);
    expect(h.to(h.send(1, bob, { type: 'TABLE_LOCK_ACQUIRE', tableId: 1 }), 'bob')[0]).toMatchObject({ type: 'TABLE_LOCK_DENIED', lockedBy: 'ann' });
    expect(h.to(h.send(1, bob, { type: 'TABLE_LOCK_FORCE_ACQUIRE', tableId: 1 }), 'bob')[0]).toMatchObject({ type: 'TABLE_LOCK_DENIED', code: 'FORBIDDEN' });
    const forced = h.send(2, max, { type: 'TABLE_LOCK_FORCE_ACQUIRE', tableId: 1 });
    expect(h.to(forced, 'ann')[0]).toMatchObject({ type: 'TABLE_LOCK_REVOKED', by: 'max' });
    expect(h.to(forced, 'max')[0]).toMatchObject({ type: 'TABLE_LOCK_GRANTED', epoch: 2, expiresAt: 45_002 });
    h.send(15_000, max, { type: 'TABLE_LOCK_HEARTBEAT', tableId: 1 });
    expect(h.event({ type: 'tick', now: 45_003 })).toEqual([]);
    const expired = h.event({ type: 'tick', now: 60_000 });
    expect(expired.map((o) => o.msg.type)).toEqual(['TABLE_LOCK_REVOKED', 'TABLE_LOCK_RELEASED']);
    expect(h.to(h.send(60_001, ann, { type: 'TABLE_LOCK_HEARTBEAT', tableId: 1 }), 'ann')[0]).toMatchObject({ type: 'ERROR', code: 'LOCK_NOT_HELD' });
  });
});

/** A clock the test advances by hand; due timers fire in order. */

describe('shard host on a simulated clock', () => {
  it('ticks lease expiry by itself and batches each turn into one sink call', () => {
    const clock = new TestClock({ start: 0 });
    const batches: Unit[][] = [];
    const host = new ShardHost({ index: 0, env, clock, metrics: noopMetrics, log: createLogger({ level: 'silent' }), sink: (u) => batches.push(u) });
    host.load([]);
    host.handleBatch([
      { type: 'terminal', input: { key: 't:1', from: ann, msg: { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 }, receivedAt: 0 } },
      { type: 'terminal', input: { key: 't:2', from: bob, msg: { type: 'TABLE_LOCK_ACQUIRE', tableId: 2 }, receivedAt: 0 } },
    ]);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(2);
    host.handleBatch([{ type: 'disconnected', input: { terminalId: 'bob' } }]);
    clock.advance(10_001);
    expect(batches.flat().flatMap((u) => u.out.map((o) => o.msg.type))).toContain('TABLE_LOCK_RELEASED');
    expect(batches.flat().flatMap((u) => u.out.map((o) => o.msg.type))).not.toContain('LEASE_REVOKED');
    clock.advance(50_000);
    expect(batches.flat().flatMap((u) => u.out.map((o) => o.msg.type))).toContain('LEASE_REVOKED');
    host.stop();
  });
});
