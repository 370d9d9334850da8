/**
 * Issue 16 on the shard host: `to_shard` (front's stamp → the batch arriving) and `actor_step` recorded per
 * write, units stamped with the `sentAt` the writer ends `to_writer` with; and the expiry bookkeeping that
 * replaced the scan of every actor after every batch (deadline-index.ts): a renewed grant is not expired at
 * its old deadline, many actors expire each at their own time, and a connect or drop reaches the actors
 * where that terminal holds something.
 */
import { describe, expect, it } from 'vitest';
import { holdsGrant } from '../../../actors/table/context.js';
import type { Unit } from '../../../actors/table/types.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { noopMetrics, stageTimer, type HubMetrics, type WriteStage } from '../../../src/ports/metrics.js';
import { DeadlineIndex } from '../../../workers/shard/deadline-index.js';
import { ShardHost } from '../../../workers/shard/shard-host.js';
import { ann, bob, tableEnv as env } from '../../fixtures/table-actors.js';
import { TestClock } from '../../helpers/clocks.js';

function host() {
  const clock = new TestClock({ start: 0 });
  const units: Unit[][] = [];
  const recorded: Array<[WriteStage, number]> = [];
  const metrics: HubMetrics = { ...noopMetrics, writeStage: (stage, seconds) => void recorded.push([stage, seconds]) };
  // Every reading is 1 ms after the one before it.
  let t = 5_000;
  const h = new ShardHost({
    index: 0,
    env,
    clock,
    metrics,
    log: createLogger({ level: 'silent' }),
    sink: (u) => units.push(u),
    stages: stageTimer(metrics, () => (t += 1)),
  });
  h.load([]);
  const types = (): string[] => units.flat().flatMap((u) => u.out.map((o) => o.msg.type));
  return { h, clock, units, recorded, types };
}

describe('write stages on the shard', () => {
  it('records to_shard from the front stamp, actor_step per input, and stamps the flushed units', () => {
    const { h, units, recorded } = host();
    h.handleBatch([
      {
        type: 'terminal',
        input: {
          key: 't:1',
          from: ann,
          msg: { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 },
          receivedAt: 0,
          sentAt: 4_990,
        },
      },
      {
        type: 'terminal',
        input: {
          key: 't:2',
          from: bob,
          msg: { type: 'LEASE_ACQUIRE', posReference: 'B', baseVersion: 0 },
          receivedAt: 0,
        },
      },
    ]);
    // Readings: 5_001 the batch arrives; 5_002–5_003 and 5_004–5_005 the two steps; 5_006 the flush.
    expect(recorded).toEqual([
      ['to_shard', 0.011],
      ['actor_step', 0.001],
      ['actor_step', 0.001],
    ]);
    expect(units).toHaveLength(1);
    expect(units[0]!.map((u) => u.sentAt)).toEqual([5_006, 5_006]);
  });
});

describe('expiry without a scan of every actor', () => {
  it('does not revoke a lease renewed by heartbeat at its first deadline', () => {
    const { h, clock, types } = host();
    h.handleBatch([
      {
        type: 'terminal',
        input: {
          key: 't:1',
          from: ann,
          msg: { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 },
          receivedAt: 0,
        },
      },
    ]);
    clock.advance(50_000);
    h.handleBatch([
      {
        type: 'terminal',
        input: { key: 't:1', from: ann, msg: { type: 'LEASE_HEARTBEAT', posReference: 'A' }, receivedAt: 0 },
      },
    ]);
    clock.advance(20_000);
    expect(types()).not.toContain('LEASE_REVOKED');
    clock.advance(41_000);
    expect(types().filter((t) => t === 'LEASE_REVOKED')).toHaveLength(1);
    h.stop();
  });

  it('expires each of many actors at its own deadline, each once', () => {
    const { h, clock, units } = host();
    for (let i = 0; i < 50; i += 1) {
      h.handleBatch([
        {
          type: 'terminal',
          input: {
            key: `t:${i}`,
            from: ann,
            msg: { type: 'LEASE_ACQUIRE', posReference: `O${i}`, baseVersion: 0 },
            receivedAt: 0,
          },
        },
      ]);
      clock.advance(100);
    }
    const revoked = (): string[] =>
      units
        .flat()
        .flatMap((u) =>
          u.out
            .filter((o) => o.msg.type === 'LEASE_REVOKED')
            .map((o) => (o.msg as { posReference: string }).posReference),
        );
    // O0 was granted at 0 and O24 at 2_400: at 62_450 exactly those 25 have lapsed.
    clock.advance(62_450 - 5_000);
    expect(revoked()).toEqual(Array.from({ length: 25 }, (_, i) => `O${i}`));
    clock.advance(10_000);
    expect(revoked()).toHaveLength(50);
    h.stop();
  });

  it('cuts a dropped terminal to its grace only where it holds a grant', () => {
    const { h, clock, types } = host();
    h.handleBatch([
      {
        type: 'terminal',
        input: {
          key: 't:1',
          from: ann,
          msg: { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 },
          receivedAt: 0,
        },
      },
      {
        type: 'terminal',
        input: { key: 't:2', from: bob, msg: { type: 'TABLE_LOCK_ACQUIRE', tableId: 2 }, receivedAt: 0 },
      },
      { type: 'disconnected', input: { terminalId: 'bob' } },
    ]);
    clock.advance(10_001);
    expect(types()).toContain('TABLE_LOCK_RELEASED');
    expect(types()).not.toContain('LEASE_REVOKED');
    h.stop();
  });

  it('holdsGrant names the lock holder and lease holders only', () => {
    const grant = { role: 'cashier', expiresAt: 1, storedExpiresAt: 1, epoch: 1, connected: true };
    const order = { posReference: 'A', tableId: 1, version: 0, snapshot: null, leaseEpoch: 1, finalizing: false };
    const ctx = {
      key: 't:1',
      tableId: 1,
      lock: { ...grant, terminalId: 'bob' },
      lockEpoch: 1,
      table: null,
      orders: new Map([['A', { ...order, lease: { ...grant, terminalId: 'ann' } }]]),
      mutations: new Set<string>(),
    };
    expect(holdsGrant(ctx, 'ann')).toBe(true);
    expect(holdsGrant(ctx, 'bob')).toBe(true);
    expect(holdsGrant(ctx, 'max')).toBe(false);
  });
});

describe('DeadlineIndex', () => {
  it('gives the earliest live deadline and takes due keys in order, skipping replaced ones', () => {
    const index = new DeadlineIndex();
    index.set('a', 30);
    index.set('b', 10);
    index.set('c', 20);
    index.set('b', 40);
    expect(index.earliest()).toBe(20);
    expect(index.takeDue(30)).toEqual(['c', 'a']);
    expect(index.earliest()).toBe(40);
    index.set('b', null);
    expect(index.earliest()).toBeNull();
    expect(index.takeDue(1_000)).toEqual([]);
  });

  it('stays correct through many renewals of one key', () => {
    const index = new DeadlineIndex();
    index.set('x', 5);
    for (let at = 100; at < 100_100; at += 1) index.set('k', at);
    expect(index.size).toBe(2);
    expect(index.takeDue(99)).toEqual(['x']);
    expect(index.takeDue(100_098)).toEqual([]);
    expect(index.takeDue(100_099)).toEqual(['k']);
    expect(index.earliest()).toBeNull();
  });
});
