/**
 * The table machine's states are the truth about the table's grants (issue 15 item 4): `snapshot.value`
 * follows the lock (free / held by a connected holder / held through the grace window) and the leases,
 * from a seed as from live traffic, and the machine emits exactly the units the pure step computes.
 */
import { describe, expect, it } from 'vitest';
import { snapshot } from '../../helpers/terminal.js';
import {
  contextFromSeed,
  grantState,
  type TableContext,
  type TableSeed,
} from '../../../actors/table/context.js';
import { step, type StepResult, type TableEvent } from '../../../actors/table/table-logic.js';
import { startTableActor } from '../../../actors/table/table.machine.js';
import type { Principal, ShardMessage } from '../../../actors/table/types.js';
import { ann, bob, max, tableEnv } from '../../fixtures/table-actors.js';

const env = tableEnv;

function table(seed: TableSeed = { key: 't:4' }) {
  const steps: StepResult[] = [];
  const actor = startTableActor({ seed, env }, (r) => steps.push(r));
  return {
    actor,
    steps,
    send: (now: number, from: Principal, msg: ShardMessage) => actor.send({ type: 'terminal', now, from, msg }),
    value: () => actor.getSnapshot().value,
    holder: () => actor.getSnapshot().context.table.lock?.terminalId ?? null,
  };
}

describe('table machine: the lock as states', () => {
  it('moves free → held.connected → held.away → held.connected → free, with the holder in the context', () => {
    const t = table();
    expect(t.value()).toEqual({ lock: 'free', leases: 'none' });
    t.send(0, ann, { type: 'TABLE_LOCK_ACQUIRE', tableId: 4 });
    expect(t.value()).toEqual({ lock: { held: 'connected' }, leases: 'none' });
    expect(t.holder()).toBe('ann');
    t.send(10, bob, { type: 'TABLE_LOCK_ACQUIRE', tableId: 4 }); // denied: nothing moves
    expect(t.value()).toEqual({ lock: { held: 'connected' }, leases: 'none' });
    expect(t.holder()).toBe('ann');
    t.actor.send({ type: 'disconnected', now: 20, terminalId: 'ann' });
    expect(t.value()).toEqual({ lock: { held: 'away' }, leases: 'none' });
    t.actor.send({ type: 'connected', now: 30, terminalId: 'ann' });
    expect(t.value()).toEqual({ lock: { held: 'connected' }, leases: 'none' });
    t.send(40, max, { type: 'TABLE_LOCK_FORCE_ACQUIRE', tableId: 4 });
    expect(t.value()).toEqual({ lock: { held: 'connected' }, leases: 'none' });
    expect(t.holder()).toBe('max');
    t.send(50, max, { type: 'TABLE_LOCK_RELEASE', tableId: 4 });
    expect(t.value()).toEqual({ lock: 'free', leases: 'none' });
    expect(t.holder()).toBeNull();
  });

  it('stays held after the expiry instant until the tick that ends the lock, then is free', () => {
    const t = table();
    t.send(0, ann, { type: 'TABLE_LOCK_ACQUIRE', tableId: 4 });
    t.actor.send({ type: 'disconnected', now: 1_000, terminalId: 'ann' });
    t.actor.send({ type: 'tick', now: 5_000 });
    expect(t.value()).toEqual({ lock: { held: 'away' }, leases: 'none' });
    t.actor.send({ type: 'tick', now: 11_000 }); // grace (10 s from the drop) is over
    expect(t.value()).toEqual({ lock: 'free', leases: 'none' });
  });

  it('starts in the state its seed says: a restored lock is held by an absent holder', () => {
    const t = table({ key: 't:4', lock: { terminalId: 'ann', role: 'cashier', expiresAt: 30_000, epoch: 3 } });
    expect(t.value()).toEqual({ lock: { held: 'away' }, leases: 'none' });
    t.actor.send({ type: 'connected', now: 1_000, terminalId: 'ann' });
    expect(t.value()).toEqual({ lock: { held: 'connected' }, leases: 'none' });
  });
});

describe('table machine: the leases as states', () => {
  it('is leased while any order has a lease, and each order reads its own through grantState', () => {
    const t = table();
    t.send(0, ann, { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 });
    t.send(0, bob, { type: 'LEASE_ACQUIRE', posReference: 'B', baseVersion: 0 });
    expect(t.value()).toEqual({ lock: 'free', leases: 'held' });
    t.actor.send({ type: 'disconnected', now: 100, terminalId: 'bob' });
    const orders = t.actor.getSnapshot().context.table.orders;
    expect(grantState(orders.get('A')?.lease ?? null)).toBe('connected');
    expect(grantState(orders.get('B')?.lease ?? null)).toBe('away');
    t.send(200, ann, { type: 'LEASE_RELEASE', posReference: 'A' });
    expect(t.value()).toEqual({ lock: 'free', leases: 'held' });
    t.actor.send({ type: 'tick', now: 10_100 }); // B's grace window is over
    expect(t.value()).toEqual({ lock: 'free', leases: 'none' });
    expect(grantState(t.actor.getSnapshot().context.table.orders.get('B')?.lease ?? null)).toBe('free');
  });

  it('starts leased from a seed with a lease on record', () => {
    const t = table({
      key: 't:4',
      leases: [{ posReference: 'A', terminalId: 'ann', role: 'cashier', tableId: 4, expiresAt: 60_000, epoch: 2 }],
    });
    expect(t.value()).toEqual({ lock: 'free', leases: 'held' });
  });
});

describe('table machine: outputs', () => {
  it('emits exactly the units, decisions and contexts the pure step computes for the same events', () => {
    const events: TableEvent[] = [
      { type: 'terminal', now: 0, from: ann, msg: { type: 'TABLE_LOCK_ACQUIRE', tableId: 4 } },
      { type: 'terminal', now: 10, from: ann, msg: { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 } },
      { type: 'terminal', now: 20, from: bob, msg: { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 } },
      {
        type: 'terminal',
        now: 30,
        from: ann,
        msg: {
          type: 'ORDER_SNAPSHOT',
          posReference: 'A',
          baseVersion: 0,
          mutationId: 'm1',
          snapshot: snapshot('A', 4),
        },
      },
      {
        type: 'terminal',
        now: 31,
        from: ann,
        msg: {
          type: 'ORDER_SNAPSHOT',
          posReference: 'A',
          baseVersion: 0,
          mutationId: 'm1',
          snapshot: snapshot('A', 4),
        },
      },
      { type: 'terminal', now: 40, from: bob, msg: { type: 'TABLE_UPDATE', tableId: 4, status: 'occupied' } },
      { type: 'disconnected', now: 50, terminalId: 'ann' },
      { type: 'tick', now: 5_000 },
      { type: 'connected', now: 6_000, terminalId: 'ann' },
      {
        type: 'terminal',
        now: 7_000,
        from: max,
        msg: { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 1, force: true },
      },
      { type: 'terminal', now: 8_000, from: ann, msg: { type: 'TABLE_LOCK_RELEASE', tableId: 4 } },
      { type: 'tick', now: 200_000 },
    ];
    const t = table();
    let ctx: TableContext = contextFromSeed({ key: 't:4' });
    const expected: StepResult[] = [];
    for (const event of events) {
      const r = step(ctx, event, env);
      ctx = r.context;
      if (r.unit !== null || r.leaseDecisions.length > 0 || r.lockDecisions.length > 0) expected.push(r);
      t.actor.send(event);
    }
    expect(t.steps.map((s) => [s.unit, s.leaseDecisions, s.lockDecisions])).toEqual(
      expected.map((s) => [s.unit, s.leaseDecisions, s.lockDecisions]),
    );
    expect(t.steps.length).toBeGreaterThan(8);
    expect(t.actor.getSnapshot().context.table).toEqual(ctx);
    expect(t.value()).toEqual({ lock: 'free', leases: 'none' });
  });
});
