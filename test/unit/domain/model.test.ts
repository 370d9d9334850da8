/**
 * Model-based tests of the order domain. xstate/graph walks every reachable (state, event) edge of
 * the machine over a finite event alphabet; fast-check drives random event sequences and random
 * offline histories. Each step is checked against the seed's rules and against the hub's validator.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, type ActorLogic, type SnapshotFrom } from 'xstate';
import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import {
  addLine,
  goCheckout,
  goEditing,
  isLocked,
  kitchenStatusesFor,
  markPaid,
  mergeOffline,
  removeLine,
  setLineQty,
  setTableMeta,
  validateSnapshotChange,
  type OpContext,
} from '../../../src/domain/index.js';
import { orderMachine, type OrderEvent, type OrderMachineInput } from '../../../src/domain/order.machine.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { PRICING, checkoutOrder, editingOrder, header, line } from '../../helpers/domain-orders.js';

type Snap = SnapshotFrom<typeof orderMachine>;
const LINE_EVENTS = new Set(['LINE_ADD', 'LINE_SET_QTY', 'LINE_REMOVE']);
const REPLACING = new Set(['ORDER_NEW', 'ORDER_LOAD', 'ORDER_CLEAR']);

function sameBill(a: OrderSnapshot, b: OrderSnapshot): boolean {
  return JSON.stringify(a.lines) === JSON.stringify(b.lines) && a.amountTotal === b.amountTotal && a.amountTax === b.amountTax && (a.partnerId ?? null) === (b.partnerId ?? null);
}

/** Every rule one machine step must keep; returns the broken rule's name, or null. */
function brokenRule(prev: Snap, event: OrderEvent, next: Snap, sendChangesToKitchen: boolean): string | null {
  const before = prev.context.order;
  const after = next.context.order;
  if (next.value === 'idle') return after === null ? null : 'idle holds no draft';
  if (after === null) return 'a non-idle state holds a draft';
  if (next.value !== after.state) return `machine state ${String(next.value)} ≠ snapshot state ${after.state}`;
  if (!kitchenStatusesFor(after.state).includes(after.kitchenStatus)) return `status ${after.kitchenStatus} in ${after.state}`;
  if (REPLACING.has(event.type)) return validateSnapshotChange(null, after, { sendChangesToKitchen }).ok ? null : 'a new order the hub would refuse';
  if (before === null) return null;
  // Entering paid blocks all edits: nothing but FINALIZE moves a paid order, and it keeps the bill.
  if (isLocked(before.state)) {
    if (event.type === 'FINALIZE') return sameBill(before, after) ? null : 'FINALIZE changed the bill';
    return after === before ? null : `${event.type} edited a ${before.state} order`;
  }
  if (after.state === 'paid' && after.kitchenStatus !== 'paid') return 'paid entry must force status paid';
  if (prev.value === 'editing' && next.value === 'checkout' && after.kitchenStatus !== 'sent') return 'checkout entry must be sent';
  if (before.kitchenStatus !== 'open' && after.kitchenStatus === 'open') return 'open again after a send';
  if (before.kitchenStatus === 'open' && after.state === 'editing' && after.kitchenStatus !== 'open') return 'status moved in editing before the first send';
  if (LINE_EVENTS.has(event.type) && after !== before && before.kitchenStatus === 'sent') {
    const expected = sendChangesToKitchen || event.type === 'LINE_SET_QTY' ? 'changed' : 'sent';
    if (after.kitchenStatus !== expected) return `${event.type} after the send gave ${after.kitchenStatus}, not ${expected}`;
  }
  if (!LINE_EVENTS.has(event.type) && event.type !== 'GO_CHECKOUT' && after.kitchenStatus !== before.kitchenStatus && after.state !== 'paid') {
    return `${event.type} moved the kitchen status`;
  }
  const verdict = validateSnapshotChange(before, after, { sendChangesToKitchen });
  return verdict.ok ? null : `the hub would refuse this step: ${verdict.code} ${verdict.message}`;
}

const PAY_ENOUGH: OrderEvent = { type: 'MARK_PAID', payments: [{ uid: 'p1', journalId: 1, statementId: 1, amount: 1000 }] };
const ALPHABET: OrderEvent[] = [
  { type: 'ORDER_NEW', header: header() },
  { type: 'ORDER_CLEAR' },
  { type: 'LINE_ADD', line: line('a') },
  { type: 'LINE_ADD', line: line('b', 1, 5) },
  { type: 'LINE_SET_QTY', uid: 'a', qty: 2 },
  { type: 'LINE_SET_QTY', uid: 'a', qty: 1 },
  { type: 'LINE_REMOVE', uid: 'a' },
  { type: 'LINE_REMOVE', uid: 'b' },
  { type: 'ORDER_SET_CUSTOMER', partnerId: 5 },
  { type: 'SET_TABLE_META', guestCount: 3, staffName: 'Ana' },
  { type: 'PRICING_CONTEXT_SET', pricelistId: 2 },
  { type: 'GO_CHECKOUT', kitchenTicketId: 'K', sentAt: '2026-11-23T12:00:00Z' },
  { type: 'GO_EDITING' },
  PAY_ENOUGH,
  { type: 'MARK_PAID', payments: [{ uid: 'p1', journalId: 1, statementId: 1, amount: 1 }] },
  { type: 'FINALIZE' },
  { type: 'DRAFT_SAVE' },
];

/** getAdjacencyMap's typing has no slot for emitted events (DRAFT_SAVE emits), so the machine is viewed as plain logic. */
const model = orderMachine as unknown as ActorLogic<Snap, OrderEvent, OrderMachineInput>;

/** Revisions and the last refusal are bookkeeping; the model's state is the machine state and the order. */
const serializeState = (snap: Snap) => JSON.stringify([snap.value, snap.context.order]);

describe('xstate/graph: every reachable edge', () => {
  for (const sendChangesToKitchen of [true, false]) {
    it(`keeps the seed's rules and the hub's validator on every edge (send_changes_to_kitchen=${sendChangesToKitchen})`, () => {
      const options = { events: ALPHABET, serializeState, serializeEvent: (event: OrderEvent) => JSON.stringify(event), input: { pricing: PRICING, sendChangesToKitchen }, limit: 100_000 };
      const edges = adjacencyMapToArray(getAdjacencyMap(model, options));
      const broken = edges
        .map(({ state, event, nextState }) => ({ event: event.type, from: state.value, rule: brokenRule(state, event, nextState, sendChangesToKitchen) }))
        .filter((edge) => edge.rule !== null);
      expect(broken.slice(0, 5)).toEqual([]);
      const visited = new Set(edges.map((edge) => String(edge.nextState.value)));
      expect([...visited].sort()).toEqual(['checkout', 'editing', 'finalized', 'idle', 'paid']);
      expect(edges.length).toBeGreaterThan(1000);
    });
  }

  it('on every shortest path, once paid the bill never changes and once sent the order is never open again', () => {
    const paths = getShortestPaths(orderMachine, { events: ALPHABET, serializeState, serializeEvent: (event: OrderEvent) => JSON.stringify(event), input: { pricing: PRICING } });
    expect(paths.length).toBeGreaterThan(100);
    for (const path of paths) {
      let paid: OrderSnapshot | null = null;
      let sent = false;
      for (const step of path.steps) {
        const order = step.state.context.order;
        if (REPLACING.has(step.event.type) || order === null) {
          paid = null;
          sent = false;
          continue;
        }
        if (paid !== null) expect(sameBill(paid, order)).toBe(true);
        if (sent) expect(order.kitchenStatus).not.toBe('open');
        if (isLocked(order.state)) paid ??= order;
        if (order.kitchenStatus !== 'open') sent = true;
      }
    }
  });
});

const uidArb = fc.constantFrom('a', 'b', 'c', 'd');
const eventArb: fc.Arbitrary<OrderEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ uid: uidArb, qty: fc.integer({ min: -2, max: 4 }), price: fc.integer({ min: 0, max: 50 }), discount: fc.constantFrom(0, 10, 100) }).map(({ uid, qty, price, discount }) => ({ type: 'LINE_ADD' as const, line: line(uid, qty, price, { discount }) })) },
  { weight: 3, arbitrary: fc.record({ uid: uidArb, qty: fc.integer({ min: -1, max: 5 }) }).map(({ uid, qty }) => ({ type: 'LINE_SET_QTY' as const, uid, qty })) },
  { weight: 2, arbitrary: uidArb.map((uid) => ({ type: 'LINE_REMOVE' as const, uid })) },
  { weight: 3, arbitrary: fc.constant<OrderEvent>({ type: 'GO_CHECKOUT' }) },
  { weight: 2, arbitrary: fc.constant<OrderEvent>({ type: 'GO_EDITING' }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 500 }).map((amount) => ({ type: 'MARK_PAID' as const, payments: [{ uid: 'p', journalId: 1, statementId: 1, amount }] })) },
  { weight: 1, arbitrary: fc.constant<OrderEvent>({ type: 'FINALIZE' }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }).map((partnerId) => ({ type: 'ORDER_SET_CUSTOMER' as const, partnerId })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 12 }).map((guestCount) => ({ type: 'SET_TABLE_META' as const, guestCount })) },
  { weight: 1, arbitrary: fc.constant<OrderEvent>({ type: 'DRAFT_SAVE' }) },
);

describe('fast-check: random event sequences', () => {
  it('no sequence edits a paid order, and every step follows the kitchen status mapping', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(eventArb, { maxLength: 40 }), (sendChangesToKitchen, events) => {
        const actor = createActor(orderMachine, { input: { pricing: PRICING, sendChangesToKitchen } }).start();
        actor.send({ type: 'ORDER_NEW', header: header() });
        for (const event of events) {
          const prev = actor.getSnapshot();
          actor.send(event);
          const rule = brokenRule(prev, event, actor.getSnapshot(), sendChangesToKitchen);
          if (rule !== null) throw new Error(`${event.type} from ${String(prev.value)}: ${rule}`);
        }
        actor.stop();
      }),
      { numRuns: 400, seed: 4004 },
    );
  });
});

type Op =
  | { kind: 'add'; uid: string; qty: number }
  | { kind: 'qty'; uid: string; qty: number }
  | { kind: 'remove'; uid: string }
  | { kind: 'checkout' }
  | { kind: 'editing' }
  | { kind: 'meta'; guestCount: number }
  | { kind: 'pay' };

function apply(order: OrderSnapshot, ops: readonly Op[], ctx: OpContext): OrderSnapshot {
  let current = order;
  for (const op of ops) {
    const result = (() => {
      switch (op.kind) {
        case 'add':
          return addLine(current, line(op.uid, op.qty), ctx);
        case 'qty':
          return setLineQty(current, op.uid, op.qty, ctx);
        case 'remove':
          return removeLine(current, op.uid, ctx);
        case 'checkout':
          return goCheckout(current);
        case 'editing':
          return goEditing(current);
        case 'meta':
          return setTableMeta(current, { guestCount: op.guestCount });
        case 'pay':
          return markPaid(current, { payments: [{ uid: `pay-${current.lines.length}`, journalId: 1, statementId: 1, amount: current.amountTotal }] });
        default: {
          const never: never = op;
          return never;
        }
      }
    })();
    if (result.ok) current = result.value;
  }
  return current;
}

function opsArb(own: readonly string[], shared: readonly string[]): fc.Arbitrary<Op[]> {
  const any = fc.constantFrom(...own, ...shared);
  return fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ uid: fc.constantFrom(...own), qty: fc.integer({ min: 1, max: 3 }) }).map((r) => ({ kind: 'add' as const, ...r })) },
      { weight: 3, arbitrary: fc.record({ uid: any, qty: fc.integer({ min: 1, max: 4 }) }).map((r) => ({ kind: 'qty' as const, ...r })) },
      { weight: 2, arbitrary: any.map((uid) => ({ kind: 'remove' as const, uid })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'checkout' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'editing' as const }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }).map((guestCount) => ({ kind: 'meta' as const, guestCount })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'pay' as const }) },
    ),
    { maxLength: 12 },
  );
}

describe('fast-check: offline merge', () => {
  it('never loses a line either side added (or reports it when the hub order is paid) and yields a snapshot the hub accepts', () => {
    const baseUids = ['b0', 'b1', 'b2'];
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.subarray(baseUids),
        opsArb(['l0', 'l1', 'l2', 'x'], baseUids),
        opsArb(['r0', 'r1', 'x'], baseUids),
        (sendChangesToKitchen, baseInCheckout, initial, localOps, remoteOps) => {
          const ctx: OpContext = { pricing: PRICING, kitchen: { sendChangesToKitchen } };
          const base = baseInCheckout && initial.length > 0 ? checkoutOrder(initial, ctx) : editingOrder(initial, ctx);
          const local = apply(base, localOps, ctx);
          const remote = apply(base, remoteOps, ctx);
          const out = mergeOffline(base, local, remote, { sendChangesToKitchen });
          const inResult = new Set(out.result.lines.map((l) => l.uid));
          const lost = new Set(out.lostLocalLines.map((l) => l.uid));
          const baseSet = new Set(base.lines.map((l) => l.uid));
          const remoteSet = new Set(remote.lines.map((l) => l.uid));
          for (const l of remote.lines) if (!baseSet.has(l.uid)) expect(inResult.has(l.uid)).toBe(true);
          for (const l of local.lines) {
            if (baseSet.has(l.uid)) continue;
            if (isLocked(remote.state)) expect(remoteSet.has(l.uid) || lost.has(l.uid)).toBe(true);
            else expect(inResult.has(l.uid)).toBe(true);
          }
          expect(mergeOffline(base, local, remote, { sendChangesToKitchen })).toEqual(out);
          if (!isLocked(remote.state)) {
            const verdict = validateSnapshotChange(remote, out.result, { sendChangesToKitchen });
            if (!verdict.ok) throw new Error(`${verdict.code}: ${verdict.message}`);
          }
        },
      ),
      { numRuns: 500, seed: 4005 },
    );
  });
});
