/**
 * The transfer protocol's pure steps between two table actors, relayed by hand: prepare/prepared/apply
 * produce one source part and one dest part that together hold both orders' new versions, fences move
 * as the host expects, and each refusal produces a reply with no durable op and lifts the fences.
 */
import { describe, expect, it } from 'vitest';
import { contextFromSeed, type TableContext, type TableEnv } from '../../../actors/table/context.js';
import {
  transferStep,
  type Relay,
  type TransferEvent,
  type TransferRequest,
  type TransferStep,
} from '../../../actors/table/transfer-logic.js';
import type { Principal } from '../../../actors/table/types.js';
import { validateSnapshotChange } from '../../../src/domain/index.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { checkoutOrder, editingOrder, paidOrder } from '../../helpers/domain-orders.js';

const env: TableEnv = {
  timings: { leaseTtlMs: 60_000, leaseGraceMs: 10_000, lockTtlMs: 45_000, lockGraceMs: 10_000 },
  sendChangesToKitchen: true,
  validate: validateSnapshotChange,
};
const ann: Principal = { terminalId: 'ann', role: 'cashier', name: 'Ann' };
const bob: Principal = { terminalId: 'bob', role: 'cashier', name: 'Bob' };
const NOW = 1_000_000;

function table(
  key: string,
  orders: Array<{ order: OrderSnapshot | null; posReference?: string; holder?: string; version?: number }>,
): TableContext {
  const tableId = Number(key.slice(2));
  return contextFromSeed({
    key,
    orders: orders
      .filter((o) => o.order !== null)
      .map((o) => ({
        posReference: o.order!.posReference,
        tableId,
        version: o.version ?? 1,
        snapshot: { ...o.order!, tableId },
      })),
    leases: orders
      .filter((o) => o.holder !== undefined)
      .map((o) => ({
        posReference: o.order?.posReference ?? o.posReference!,
        terminalId: o.holder!,
        role: 'cashier',
        tableId,
        expiresAt: NOW + 30_000,
        epoch: 3,
      })),
  });
}

function request(msg: Partial<TransferRequest['msg']>, from = ann): TransferRequest {
  return {
    txId: 'tx-1',
    from,
    fromKey: 't:1',
    toKey: 't:2',
    msg: { type: 'ORDER_TRANSFER', fromPosReference: 'X', toPosReference: 'Y', lineUids: ['a'], ...msg },
  };
}

/** Run a transfer to the end, delivering relays to the actor they name; returns every step. */
function run(actors: Map<string, TableContext>, req: TransferRequest): Array<{ key: string; step: TransferStep }> {
  const steps: Array<{ key: string; step: TransferStep }> = [];
  const queue: Array<{ key: string; event: TransferEvent }> = [
    { key: req.fromKey, event: { type: 'transfer_begin', req, now: NOW } },
  ];
  for (let guard = 0; queue.length > 0 && guard < 10; guard++) {
    const { key, event } = queue.shift()!;
    const step = transferStep(actors.get(key)!, event, env);
    actors.set(key, step.context);
    steps.push({ key, step });
    for (const r of step.relays as Relay[]) queue.push({ key: r.to, event: { ...r.event, now: NOW } });
  }
  return steps;
}

describe('transfer steps', () => {
  it('moves lines in two parts that carry both new versions, fencing both actors until the commit', () => {
    const x = editingOrder(['a', 'b'], undefined, 'X');
    const y = checkoutOrder(['c'], undefined, 'Y');
    const actors = new Map([
      ['t:1', table('t:1', [{ order: x, holder: 'ann' }])],
      ['t:2', table('t:2', [{ order: y, holder: 'ann', version: 4 }])],
    ]);
    const steps = run(actors, request({ mutationId: 'm-1' }));
    expect(steps.map((s) => [s.key, s.step.fence?.phase])).toEqual([
      ['t:1', 'awaiting_prepared'],
      ['t:2', 'reserved'],
      ['t:1', 'awaiting_commit'],
      ['t:2', 'awaiting_commit'],
    ]);
    const source = steps[2]!.step.unit!;
    const dest = steps[3]!.step.unit!;
    expect(source.join).toEqual({ txId: 'tx-1', part: 'source' });
    expect(dest.join).toEqual({ txId: 'tx-1', part: 'dest' });
    expect(source.ops.map((o) => o.op)).toEqual(['order_put', 'event', 'mutation', 'lease_put']);
    expect(source.ops[3]).toMatchObject({ posReference: 'X', terminalId: 'ann', expiresAt: NOW + 60_000, epoch: 3 });
    expect(dest.ops.map((o) => o.op)).toEqual(['order_put', 'event']);
    expect(source.ops[0]).toMatchObject({ posReference: 'X', version: 2, homeKey: 't:1' });
    expect(dest.ops[0]).toMatchObject({ posReference: 'Y', version: 5, homeKey: 't:2' });
    expect(source.out.map((o) => o.msg.type)).toEqual(['ORDER_UPDATED', 'ORDER_TRANSFERRED']);
    expect(source.out[1]).toMatchObject({
      to: 'terminal',
      terminalId: 'ann',
      msg: { fromVersion: 2, toVersion: 5, mutationId: 'm-1' },
    });
    expect(dest.out).toMatchObject([
      { to: 'all', msg: { type: 'ORDER_UPDATED', posReference: 'Y', version: 5 } },
    ]);
    expect(actors.get('t:1')!.orders.get('X')).toMatchObject({ version: 2 });
    expect(
      actors
        .get('t:1')!
        .orders.get('X')!
        .snapshot!.lines.map((l) => l.uid),
    ).toEqual(['b']);
    expect(
      actors
        .get('t:2')!
        .orders.get('Y')!
        .snapshot!.lines.map((l) => l.uid),
    ).toEqual(['c', 'a']);
    expect(actors.get('t:2')!.orders.get('Y')!.snapshot!.kitchenStatus).toBe('changed');

    // The same mutation again is answered from the mutation row: no relay, no fence.
    const replay = run(actors, request({ mutationId: 'm-1' }));
    expect(replay).toHaveLength(1);
    expect(replay[0]!.step.unit!.ops).toEqual([{ op: 'replay', terminalId: 'ann', mutationId: 'm-1' }]);
    expect(replay[0]!.step.fence).toBeNull();
  });

  it('creates a split check with the sender holding its new lease', () => {
    const x = checkoutOrder(['a', 'b'], undefined, 'X');
    const actors = new Map([
      ['t:1', table('t:1', [{ order: x, holder: 'ann' }])],
      ['t:2', table('t:2', [])],
    ]);
    const steps = run(actors, request({ toPosReference: 'N', split: true, toTableId: 2 }));
    const dest = steps[3]!.step.unit!;
    expect(dest.ops.map((o) => o.op)).toEqual(['order_put', 'lease_put', 'event']);
    expect(dest.out[0]).toMatchObject({
      to: 'terminal',
      terminalId: 'ann',
      msg: { type: 'LEASE_GRANTED', posReference: 'N', version: 1, epoch: 1 },
    });
    const created = actors.get('t:2')!.orders.get('N')!;
    expect(created).toMatchObject({ version: 1, tableId: 2, lease: { terminalId: 'ann' } });
    expect(created.snapshot).toMatchObject({ state: 'checkout', kitchenStatus: 'sent', tableId: 2 });
    expect(actors.get('t:1')!.orders.get('X')!.snapshot!.kitchenStatus).toBe('changed');
  });

  const refusals: Array<
    [string, () => { actors: Map<string, TableContext>; req: TransferRequest }, Record<string, unknown>, number]
  > = [
    [
      'source lease held by another terminal',
      () => ({
        actors: new Map([
          ['t:1', table('t:1', [{ order: editingOrder(['a'], undefined, 'X'), holder: 'bob' }])],
          ['t:2', table('t:2', [])],
        ]),
        req: request({}),
      }),
      { type: 'LEASE_DENIED', posReference: 'X', holder: 'bob', code: 'LEASE_HELD' },
      1,
    ],
    [
      'destination exists without the sender’s lease',
      () => ({
        actors: new Map([
          ['t:1', table('t:1', [{ order: editingOrder(['a'], undefined, 'X'), holder: 'ann' }])],
          ['t:2', table('t:2', [{ order: editingOrder(['c'], undefined, 'Y') }])],
        ]),
        req: request({}),
      }),
      { type: 'LEASE_DENIED', posReference: 'Y', code: 'LEASE_NOT_HELD' },
      3,
    ],
    [
      'a new destination leased to someone else',
      () => ({
        actors: new Map([
          ['t:1', table('t:1', [{ order: editingOrder(['a'], undefined, 'X'), holder: 'ann' }])],
          ['t:2', table('t:2', [{ order: null, posReference: 'Y', holder: 'bob' }])],
        ]),
        req: request({}),
      }),
      { type: 'LEASE_DENIED', posReference: 'Y', holder: 'bob', code: 'LEASE_HELD' },
      3,
    ],
    [
      'an unknown line',
      () => ({
        actors: new Map([
          ['t:1', table('t:1', [{ order: editingOrder(['a'], undefined, 'X'), holder: 'ann' }])],
          ['t:2', table('t:2', [{ order: editingOrder(['c'], undefined, 'Y'), holder: 'ann' }])],
        ]),
        req: request({ lineUids: ['zz'] }),
      }),
      { type: 'ERROR', code: 'TRANSFER_INVALID', ref: { type: 'ORDER_TRANSFER', posReference: 'X' } },
      4,
    ],
    [
      'a paid source',
      () => ({
        actors: new Map([
          ['t:1', table('t:1', [{ order: paidOrder(['a'], 'X'), holder: 'ann' }])],
          ['t:2', table('t:2', [])],
        ]),
        req: request({}),
      }),
      { type: 'ERROR', code: 'ORDER_PAID' },
      1,
    ],
    [
      'a paid destination',
      () => ({
        actors: new Map([
          ['t:1', table('t:1', [{ order: editingOrder(['a'], undefined, 'X'), holder: 'ann' }])],
          ['t:2', table('t:2', [{ order: paidOrder(['c'], 'Y'), holder: 'ann' }])],
        ]),
        req: request({}),
      }),
      { type: 'ERROR', code: 'ORDER_PAID' },
      4,
    ],
  ];

  it.each(refusals)('refuses %s with no durable op and no fence left', (_name, setup, reply, stepCount) => {
    const { actors, req } = setup();
    const before = new Map(actors);
    const steps = run(actors, req);
    expect(steps).toHaveLength(stepCount);
    const units = steps.flatMap((s) => (s.step.unit ? [s.step.unit] : []));
    expect(units.flatMap((u) => u.ops)).toEqual([]);
    expect(units.flatMap((u) => u.out)).toMatchObject([{ to: 'terminal', terminalId: 'ann', msg: reply }]);
    // Every fence that went up came down (the last change per actor is `free`, or none was raised).
    const last = new Map<string, string>();
    for (const s of steps) if (s.step.fence) last.set(s.key, s.step.fence.phase);
    for (const phase of last.values()) expect(phase).toBe('free');
    for (const [key, ctx] of actors) expect(ctx.orders).toEqual(before.get(key)!.orders);
  });

  it('lets only the lease holder move lines (bob asks, ann holds both)', () => {
    const actors = new Map([
      ['t:1', table('t:1', [{ order: editingOrder(['a'], undefined, 'X'), holder: 'ann' }])],
      ['t:2', table('t:2', [{ order: editingOrder(['c'], undefined, 'Y'), holder: 'ann' }])],
    ]);
    const steps = run(actors, request({}, bob));
    expect(steps[0]!.step.unit!.out[0]).toMatchObject({
      terminalId: 'bob',
      msg: { type: 'LEASE_DENIED', holder: 'ann' },
    });
  });
});
