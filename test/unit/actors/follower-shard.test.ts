/**
 * A follower hub's shard (workers/shard/shard-host.ts) on a simulated clock: its actors are a cache of the
 * leader's rows, so they act on no expiry and no presence change (their units would only be refused
 * NOT_LEADER); a tail refresh drops the actors the leader's events touched; the promotion's catch-up rebuilds
 * every grant holder granted at least now + TTL, drops grant holders the store no longer has, and starts the
 * timers again.
 */
import { describe, expect, it } from 'vitest';
import type { Unit } from '../../../actors/table/types.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import { emptySeed, type ActorSeed } from '../../../src/threads/seed.js';
import { ShardHost } from '../../../workers/shard/shard-host.js';
import { TestClock } from '../../helpers/clocks.js';
import { bob, tableEnv } from '../../fixtures/table-actors.js';

const T0 = 1_800_000_000_000;
const { leaseTtlMs } = tableEnv.timings;

function leased(key: string, posReference: string, expiresAt: number, terminalId = 'ann'): ActorSeed {
  return {
    ...emptySeed(key),
    orders: [{ posReference, tableId: 1, version: 1, snapshot: null, state: null }],
    leases: [{ posReference, terminalId, role: 'cashier', tableId: 1, expiresAt, epoch: 1 }],
  };
}

function followerShard(seed: ActorSeed[]) {
  const clock = new TestClock({ start: T0 });
  const units: Unit[] = [];
  const host = new ShardHost({
    index: 0,
    env: tableEnv,
    clock,
    metrics: noopMetrics,
    log: createLogger({ level: 'silent' }),
    sink: (batch) => units.push(...batch),
  });
  host.load(seed, true);
  const out = (terminalId: string) =>
    units.flatMap((u) => u.out.filter((o) => o.to === 'terminal' && o.terminalId === terminalId).map((o) => o.msg as { type: string }));
  return { clock, host, units, out };
}

describe('a follower hub\'s shard', () => {
  it('acts on no expiry and no disconnect while following: nothing for the writer to refuse', () => {
    const s = followerShard([leased('t:1', 'A', T0 + 5_000)]);
    s.host.handleBatch([{ type: 'disconnected', input: { terminalId: 'ann' } }]);
    s.clock.advance(10 * leaseTtlMs);
    expect(s.units).toEqual([]);
    expect(s.clock.pending()).toBe(0);
    s.host.stop();
  });

  it('a tail refresh drops the actors touched, by key or by an order they hold, and no other', () => {
    const s = followerShard([leased('t:1', 'A', T0 + 60_000), leased('t:2', 'B', T0 + 60_000), leased('t:3', 'C', T0 + 60_000)]);
    expect(s.host.actorCount).toBe(3);
    expect(s.host.refresh({ keys: ['t:1'], posReferences: ['C'] })).toBe(2);
    expect(s.host.actorCount).toBe(1);
    expect(s.host.refresh({ keys: [], posReferences: [], all: true })).toBe(1);
    expect(s.host.actorCount).toBe(0);
    s.host.stop();
  });

  it('the catch-up grants every re-read holder at least now + TTL, drops holders the store lost, and runs timers again', () => {
    // In memory since start: ann on A (t:1) and bob on B (t:2); the leader since released B (its row is gone).
    const s = followerShard([leased('t:1', 'A', T0 + 5_000), leased('t:2', 'B', T0 + 60_000, 'bob')]);
    s.clock.advance(30_000);
    // Re-read at the takeover: A's row still says the expiry ann's last stored renewal gave (already past).
    s.host.catchUp({ keys: [], posReferences: [] }, [leased('t:1', 'A', T0 + 5_000)]);
    expect(s.host.actorCount).toBe(1);
    // A tail notice that crossed the promotion drops nothing: the grant holder's timer must keep running.
    expect(s.host.refresh({ keys: ['t:1'], posReferences: [] })).toBe(0);
    s.host.handleBatch([{ type: 'terminal', input: { key: 't:1', from: bob, msg: { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 1 }, receivedAt: s.clock.now() } }]);
    expect(s.out('bob').at(-1)).toMatchObject({ type: 'LEASE_DENIED' });
    // Ann's promise (renewed on the old leader up to the takeover) holds a full TTL from the catch-up, then lapses.
    s.clock.advance(leaseTtlMs - 1);
    expect(s.out('ann').map((m) => m.type)).not.toContain('LEASE_REVOKED');
    s.clock.advance(2);
    expect(s.out('ann').at(-1)).toMatchObject({ type: 'LEASE_REVOKED' });
    s.host.stop();
  });
});
