/**
 * Lease and table-lock renewals without a commit each (docs/architecture.md "Lease renewals"): a
 * heartbeat or a holder's write moves the expiry in memory only, the stored row catches up when three
 * quarters of its stored TTL are gone (renewals of one shard going out together), the stored expiry of a held grant is
 * never in the past, and every load grants at least a full TTL (the grace on load). Driven on a simulated
 * clock through a real ShardHost and the XState table actor; the stored rows are replayed from the units.
 */
import { describe, expect, it } from 'vitest';
import { graceOnLoad, nextDeadline, renewalDue, type TableSeed } from '../../../actors/table/context.js';
import type { Principal, ShardMessage, Unit, WriteOp } from '../../../actors/table/types.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import { emptySeed, type ShardSeed } from '../../../src/threads/seed.js';
import { ShardHost } from '../../../workers/shard/shard-host.js';
import { TestClock } from '../../helpers/clocks.js';
import { snapshot } from '../../helpers/terminal.js';
import { ann, bob, tableEnv } from '../../fixtures/table-actors.js';

const T0 = 1_800_000_000_000;
const timings = tableEnv.timings;

/** A shard on a simulated clock, with the stored lease and lock rows replayed from every unit it emits. */
function shard(seed: ShardSeed = []) {
  const clock = new TestClock({ start: T0 });
  const batches: Unit[][] = [];
  const leases = new Map<string, number>();
  const locks = new Map<number, number>();
  const host = new ShardHost({
    index: 0,
    env: tableEnv,
    clock,
    metrics: noopMetrics,
    log: createLogger({ level: 'silent' }),
    sink: (units) => {
      batches.push(units);
      for (const op of units.flatMap((u) => u.ops)) store(op);
    },
  });
  const store = (op: WriteOp): void => {
    if (op.op === 'lease_put') leases.set(op.posReference, op.expiresAt);
    if (op.op === 'lease_delete') leases.delete(op.posReference);
    if (op.op === 'lock_put') locks.set(op.tableId, op.expiresAt);
    if (op.op === 'lock_delete') locks.delete(op.tableId);
  };
  host.load(seed);
  const send = (key: string, from: Principal, msg: ShardMessage): void =>
    host.handleBatch([{ type: 'terminal', input: { key, from, msg, receivedAt: clock.now() } }]);
  const units = (): Unit[] => batches.flat();
  const ops = (op: WriteOp['op']): WriteOp[] => units().flatMap((u) => u.ops.filter((o) => o.op === op));
  const out = (terminalId: string): Array<Record<string, unknown>> =>
    units().flatMap((u) =>
      u.out
        .filter((o) => o.to === 'terminal' && o.terminalId === terminalId)
        .map((o) => o.msg as unknown as Record<string, unknown>),
    );
  return { clock, host, batches, leases, locks, send, units, ops, out };
}

describe('renewals are memory-only, their stored rows catch up when due', () => {
  it('a heartbeat writes nothing and answers nothing, yet keeps the lease past its first TTL', () => {
    const s = shard();
    s.send('t:1', ann, { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 });
    const afterGrant = s.units().length;
    s.clock.advance(20_000);
    s.send('t:1', ann, { type: 'LEASE_HEARTBEAT', posReference: 'A' });
    expect(s.units().length).toBe(afterGrant);
    s.clock.advance(45_000); // 65 s after the grant: past the TTL the stored row first said
    s.send('t:1', bob, { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 });
    expect(s.out('bob').at(-1)).toMatchObject({ type: 'LEASE_DENIED', holder: 'ann' });
    expect(s.out('ann').map((m) => m.type)).toEqual(['LEASE_GRANTED']);
    s.host.stop();
  });

  it('a heartbeat from a non-holder is still refused at once', () => {
    const s = shard();
    s.send('t:1', ann, { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 });
    s.send('t:1', bob, { type: 'LEASE_HEARTBEAT', posReference: 'A' });
    s.send('t:1', bob, { type: 'TABLE_LOCK_HEARTBEAT', tableId: 1 });
    expect(s.out('bob').map((m) => m.code)).toEqual(['LEASE_NOT_HELD', 'LOCK_NOT_HELD']);
    s.host.stop();
  });

  it('over an evening of heartbeats the stored expiry of a held lease and lock is never in the past, with fewer rows than heartbeats', () => {
    const s = shard();
    s.send('t:1', ann, { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 });
    s.send('t:1', ann, { type: 'TABLE_LOCK_ACQUIRE', tableId: 1 });
    let heartbeats = 0;
    // 30 minutes in 1 s steps; the SDK's periods: leases every 20 s, locks every 15 s.
    for (let second = 1; second <= 1800; second++) {
      s.clock.advance(1000);
      if (second % 20 === 0) {
        s.send('t:1', ann, { type: 'LEASE_HEARTBEAT', posReference: 'A' });
        heartbeats += 1;
      }
      if (second % 15 === 0) {
        s.send('t:1', ann, { type: 'TABLE_LOCK_HEARTBEAT', tableId: 1 });
        heartbeats += 1;
      }
      // What SYNC_INIT and /api/state read: always a future expiry, a quarter of the TTL away (less this loop's 1 s step).
      expect(s.leases.get('A')).toBeGreaterThan(s.clock.now() + timings.leaseTtlMs / 4 - 1001);
      expect(s.locks.get(1)).toBeGreaterThan(s.clock.now() + timings.lockTtlMs / 4 - 1001);
    }
    const rows = s.ops('lease_put').length + s.ops('lock_put').length;
    expect(rows).toBeLessThan(heartbeats * 0.75);
    expect(s.out('ann').map((m) => m.type)).toEqual(['LEASE_GRANTED', 'TABLE_LOCK_GRANTED']);
    s.host.stop();
  });

  it('a holder that stops heartbeating loses the lease at its last renewal + TTL, and its row showed that expiry first', () => {
    const s = shard();
    s.send('t:1', ann, { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 });
    s.clock.advance(20_000);
    s.send('t:1', ann, { type: 'ORDER_SNAPSHOT', posReference: 'A', baseVersion: 0, snapshot: snapshot('A', 1) });
    const lastRenewal = s.clock.now();
    s.clock.advance(timings.leaseTtlMs - 1);
    expect(s.leases.get('A')).toBe(lastRenewal + timings.leaseTtlMs);
    expect(s.out('ann').map((m) => m.type)).not.toContain('LEASE_REVOKED');
    s.clock.advance(2);
    expect(s.out('ann').at(-1)).toMatchObject({ type: 'LEASE_REVOKED', reason: 'Lease expired' });
    expect(s.leases.has('A')).toBe(false);
    s.host.stop();
  });

  it('a lease released (or taken over) while its renewal is pending is not written back', () => {
    const s = shard();
    s.send('t:1', ann, { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 });
    s.send('t:1', ann, { type: 'LEASE_ACQUIRE', posReference: 'B', baseVersion: 0 });
    s.clock.advance(5_000);
    s.send('t:1', ann, { type: 'LEASE_HEARTBEAT', posReference: 'A' });
    s.send('t:1', ann, { type: 'LEASE_HEARTBEAT', posReference: 'B' });
    s.send('t:1', ann, { type: 'LEASE_RELEASE', posReference: 'A' });
    s.send(
      't:1',
      { ...bob, role: 'manager' },
      { type: 'LEASE_ACQUIRE', posReference: 'B', baseVersion: 0, force: true },
    );
    const bobsExpiry = s.leases.get('B');
    s.clock.advance(50_000);
    expect(s.leases.has('A')).toBe(false);
    expect(s.leases.get('B')).toBe(bobsExpiry);
    expect(
      s.ops('lease_put').filter((o) => o.op === 'lease_put' && o.terminalId === 'ann' && o.posReference === 'B'),
    ).toHaveLength(1);
    s.host.stop();
  });

  it('the renewals of a shard that fall due within the window go to the writer together', () => {
    const s = shard();
    for (let t = 1; t <= 8; t++) {
      s.send(`t:${t}`, ann, { type: 'LEASE_ACQUIRE', posReference: `O${t}`, baseVersion: 0 });
      s.clock.advance(500);
    }
    for (let t = 1; t <= 8; t++) s.send(`t:${t}`, ann, { type: 'LEASE_HEARTBEAT', posReference: `O${t}` });
    const before = s.batches.length;
    s.clock.advance((timings.leaseTtlMs * 3) / 4);
    const renewals = s.batches.slice(before).filter((b) => b.some((u) => u.ops.some((o) => o.op === 'lease_put')));
    expect(renewals).toHaveLength(1);
    expect(renewals[0]!.flatMap((u) => u.ops.map((o) => o.op))).toEqual(Array.from({ length: 8 }, () => 'lease_put'));
    s.host.stop();
  });

  it('a reconnect within the disconnect grace renews in memory; the short stored row is rewritten at once', () => {
    const s = shard();
    s.send('t:1', ann, { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 });
    s.host.handleBatch([{ type: 'disconnected', input: { terminalId: 'ann' } }]);
    expect(s.leases.get('A')).toBe(T0 + timings.leaseGraceMs);
    s.clock.advance(5_000);
    s.host.handleBatch([{ type: 'connected', input: { terminalId: 'ann' } }]);
    s.clock.advance(1);
    expect(s.leases.get('A')).toBe(T0 + 5_000 + timings.leaseTtlMs);
    s.host.stop();
  });
});

describe('the grace on load', () => {
  const seedWith = (leaseExpiresAt: number, lockExpiresAt: number): TableSeed => ({
    key: 't:1',
    leases: [
      { posReference: 'A', terminalId: 'ann', role: 'cashier', tableId: 1, expiresAt: leaseExpiresAt, epoch: 1 },
    ],
    lock: { terminalId: 'ann', role: 'cashier', expiresAt: lockExpiresAt, epoch: 1 },
  });

  it('makes every stored grant live until at least load + TTL and keeps a longer stored expiry', () => {
    const graced = graceOnLoad(seedWith(T0 - 5_000, T0 + 90_000), T0, timings);
    expect(graced.leases?.[0]).toMatchObject({ expiresAt: T0 + timings.leaseTtlMs, storedExpiresAt: T0 - 5_000 });
    expect(graced.lock).toMatchObject({ expiresAt: T0 + 90_000, storedExpiresAt: T0 + 90_000 });
  });

  it('a stored expiry short of the grace is due for rewriting at once; a current one is not', () => {
    const s = shard([
      {
        ...emptySeed('t:1'),
        leases: [{ posReference: 'A', terminalId: 'ann', role: 'cashier', tableId: 1, expiresAt: T0 - 1, epoch: 3 }],
      },
    ]);
    s.clock.advance(1);
    expect(s.ops('lease_put')).toEqual([
      expect.objectContaining({ posReference: 'A', expiresAt: T0 + timings.leaseTtlMs, epoch: 3 }),
    ]);
    const lease = { terminalId: 'ann', role: 'cashier', expiresAt: 10, storedExpiresAt: 10, epoch: 1, connected: true };
    expect(renewalDue(lease, timings.leaseTtlMs)).toBeNull();
    expect(renewalDue({ ...lease, expiresAt: 20 }, timings.leaseTtlMs)).toBe(10 - timings.leaseTtlMs / 4);
    s.host.stop();
  });

  it('a restored lease whose holder never comes back expires at load + TTL', () => {
    const s = shard([
      {
        ...emptySeed('t:1'),
        leases: [
          { posReference: 'A', terminalId: 'ann', role: 'cashier', tableId: 1, expiresAt: T0 + 1_000, epoch: 1 },
        ],
      },
    ]);
    s.clock.advance(timings.leaseTtlMs - 1);
    expect(s.out('ann')).toEqual([]);
    s.clock.advance(2);
    expect(s.out('ann')).toEqual([expect.objectContaining({ type: 'LEASE_REVOKED', posReference: 'A' })]);
    s.host.stop();
  });

  it('nextDeadline names the earlier of an expiry and a renewal due', () => {
    const s = shard();
    s.send('t:1', ann, { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 });
    const ctx = {
      key: 't:1',
      tableId: 1,
      lock: null,
      lockEpoch: 0,
      table: null,
      mutations: new Set<string>(),
      orders: new Map(),
    };
    const lease = {
      terminalId: 'ann',
      role: 'cashier',
      expiresAt: T0 + 80_000,
      storedExpiresAt: T0 + 60_000,
      epoch: 1,
      connected: true,
    };
    const order = {
      posReference: 'A',
      tableId: 1,
      version: 0,
      snapshot: null,
      lease,
      leaseEpoch: 1,
      finalizing: false,
    };
    expect(nextDeadline({ ...ctx, orders: new Map([['A', order]]) }, timings)).toBe(T0 + 45_000);
    expect(
      nextDeadline(
        { ...ctx, orders: new Map([['A', { ...order, lease: { ...lease, storedExpiresAt: lease.expiresAt } }]]) },
        timings,
      ),
    ).toBe(T0 + 80_000);
    s.host.stop();
  });
});
