/**
 * The seed's order state machine (seed 004), one test per row of its tables and per business rule,
 * driven through the XState machine so state and snapshot are checked together.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { orderMachine, type OrderEvent, type OrderMachineInput } from '../../../src/domain/order.machine.js';
import { PRICING, TAX_ID, header, line } from '../../helpers/domain-orders.js';

function start(input: OrderMachineInput = { pricing: PRICING }, events: OrderEvent[] = []) {
  const actor = createActor(orderMachine, { input }).start();
  for (const event of events) actor.send(event);
  return actor;
}

const NEW: OrderEvent = { type: 'ORDER_NEW', header: header() };
const ADD_A: OrderEvent = { type: 'LINE_ADD', line: line('a', 2, 10) };
const ADD_B: OrderEvent = { type: 'LINE_ADD', line: line('b', 1, 5) };
const PAY: OrderEvent = { type: 'MARK_PAID', payments: [{ uid: 'p1', journalId: 1, statementId: 1, amount: 100 }] };

describe('order states', () => {
  it('idle: no draft loaded', () => {
    const snap = start().getSnapshot();
    expect(snap.value).toBe('idle');
    expect(snap.context.order).toBeNull();
  });

  it('editing: building or modifying the draft (ORDER_NEW)', () => {
    const snap = start(undefined, [NEW]).getSnapshot();
    expect(snap.value).toBe('editing');
    expect(snap.context.order).toMatchObject({ state: 'editing', kitchenStatus: 'open', lines: [], posReference: header().posReference });
  });

  it('checkout: ticket prepared / sent to kitchen', () => {
    const snap = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }]).getSnapshot();
    expect(snap.value).toBe('checkout');
    expect(snap.context.order?.state).toBe('checkout');
  });

  it('paid: payment collected — no edits allowed', () => {
    const actor = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, PAY]);
    const before = actor.getSnapshot().context.order;
    actor.send(ADD_B);
    expect(actor.getSnapshot().value).toBe('paid');
    expect(actor.getSnapshot().context.order).toBe(before);
    expect(actor.getSnapshot().context.lastError?.code).toBe('ORDER_PAID');
  });

  it('finalized: terminal archival', () => {
    const snap = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, PAY, { type: 'FINALIZE' }]).getSnapshot();
    expect(snap.value).toBe('finalized');
    expect(snap.context.order?.state).toBe('finalized');
  });

  it('ORDER_CLEAR returns to idle from any state', () => {
    const snap = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, PAY, { type: 'ORDER_CLEAR' }]).getSnapshot();
    expect(snap.value).toBe('idle');
    expect(snap.context.order).toBeNull();
  });
});

describe('kitchen status mapping', () => {
  it('editing (before send) → open', () => {
    const snap = start(undefined, [NEW, ADD_A, ADD_B, { type: 'LINE_SET_QTY', uid: 'a', qty: 3 }, { type: 'LINE_REMOVE', uid: 'b' }]).getSnapshot();
    expect(snap.context.order?.kitchenStatus).toBe('open');
  });

  it('checkout entry → sent', () => {
    expect(start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }]).getSnapshot().context.order?.kitchenStatus).toBe('sent');
  });

  it('edits after send → changed: any line change post-checkout flips to changed', () => {
    const cases: OrderEvent[] = [ADD_B, { type: 'LINE_SET_QTY', uid: 'a', qty: 5 }, { type: 'LINE_REMOVE', uid: 'a' }];
    for (const edit of cases) {
      const inCheckout = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, edit]).getSnapshot();
      expect(inCheckout.context.order?.kitchenStatus, edit.type).toBe('changed');
      const backInEditing = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, { type: 'GO_EDITING' }, edit]).getSnapshot();
      expect(backInEditing.context.order?.kitchenStatus, edit.type).toBe('changed');
    }
  });

  it('non-line edits after send (customer, table meta) leave the status alone', () => {
    const snap = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, { type: 'ORDER_SET_CUSTOMER', partnerId: 9 }, { type: 'SET_TABLE_META', guestCount: 3 }]).getSnapshot();
    expect(snap.context.order?.kitchenStatus).toBe('sent');
    expect(snap.context.order?.partnerId).toBe(9);
  });

  it('paid entry → paid', () => {
    const actor = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, ADD_B]);
    expect(actor.getSnapshot().context.order?.kitchenStatus).toBe('changed');
    actor.send(PAY);
    expect(actor.getSnapshot().context.order?.kitchenStatus).toBe('paid');
  });

  it('finalized → paid (unchanged)', () => {
    expect(start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, PAY, { type: 'FINALIZE' }]).getSnapshot().context.order?.kitchenStatus).toBe('paid');
  });

  it('re-entering checkout after a change sends again → sent', () => {
    const snap = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, ADD_B, { type: 'GO_EDITING' }, { type: 'GO_CHECKOUT' }]).getSnapshot();
    expect(snap.context.order?.kitchenStatus).toBe('sent');
  });

  it('GO_EDITING keeps the status the kitchen already has', () => {
    expect(start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, { type: 'GO_EDITING' }]).getSnapshot().context.order?.kitchenStatus).toBe('sent');
  });
});

describe('core events', () => {
  it('GO_CHECKOUT guard: must have at least one item', () => {
    const actor = start(undefined, [NEW, { type: 'GO_CHECKOUT' }]);
    expect(actor.getSnapshot().value).toBe('editing');
    expect(actor.getSnapshot().context.lastError?.code).toBe('CHECKOUT_EMPTY');
    actor.send(ADD_A);
    actor.send({ type: 'GO_CHECKOUT' });
    expect(actor.getSnapshot().value).toBe('checkout');
  });

  it('GO_EDITING: return to editing from checkout', () => {
    const snap = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, { type: 'GO_EDITING' }]).getSnapshot();
    expect(snap.value).toBe('editing');
    expect(snap.context.order?.state).toBe('editing');
  });

  it('MARK_PAID needs payments covering the total; FINALIZE only from paid', () => {
    const short = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, { type: 'MARK_PAID', payments: [{ uid: 'p', journalId: 1, statementId: 1, amount: 1 }] }]);
    expect(short.getSnapshot().value).toBe('checkout');
    expect(short.getSnapshot().context.lastError?.code).toBe('INVALID_TRANSITION');
    const early = start(undefined, [NEW, ADD_A, { type: 'FINALIZE' }]);
    expect(early.getSnapshot().value).toBe('editing');
    const paid = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, PAY]).getSnapshot().context.order;
    expect(paid).toMatchObject({ amountTotal: 23.6, amountPaid: 100, amountReturn: 76.4 });
  });

  it('line totals: priceSubtotal and priceSubtotalIncl from qty, price, discount and the tax table', () => {
    const order = start(undefined, [NEW, { type: 'LINE_ADD', line: line('a', 3, 10, { discount: 10 }) }, { type: 'LINE_ADD', line: line('b', 1, 5, { taxIds: [] }) }]).getSnapshot().context.order;
    expect(order?.lines[0]).toMatchObject({ priceSubtotal: 27, priceSubtotalIncl: 31.86 });
    expect(order?.lines[1]).toMatchObject({ priceSubtotal: 5, priceSubtotalIncl: 5 });
    expect(order).toMatchObject({ amountTotal: 36.86, amountTax: 4.86 });
  });

  it('LINE_SET_QTY recomputes totals; unknown uids and zero quantities are refused with LINE_INVALID', () => {
    const actor = start(undefined, [NEW, ADD_A, { type: 'LINE_SET_QTY', uid: 'a', qty: 4 }]);
    expect(actor.getSnapshot().context.order?.amountTotal).toBe(47.2);
    actor.send({ type: 'LINE_SET_QTY', uid: 'zzz', qty: 1 });
    expect(actor.getSnapshot().context.lastError?.code).toBe('LINE_INVALID');
    actor.send({ type: 'LINE_SET_QTY', uid: 'a', qty: 0 });
    expect(actor.getSnapshot().context.lastError?.code).toBe('LINE_INVALID');
    actor.send({ type: 'LINE_ADD', line: line('a') });
    expect(actor.getSnapshot().context.lastError?.code).toBe('LINE_INVALID');
    expect(actor.getSnapshot().context.order?.lines).toHaveLength(1);
  });

  it('ORDER_SET_CUSTOMER, PRICING_CONTEXT_SET: customer / metadata, re-pricing with a new tax table', () => {
    const snap = start(undefined, [
      NEW,
      ADD_A,
      { type: 'ORDER_SET_CUSTOMER', partnerId: 12 },
      { type: 'PRICING_CONTEXT_SET', pricelistId: 3, fiscalPositionId: 4, taxRates: { [TAX_ID]: 0 } },
    ]).getSnapshot();
    expect(snap.context.order).toMatchObject({ partnerId: 12, pricelistId: 3, fiscalPositionId: 4, amountTotal: 20, amountTax: 0 });
  });

  it('SET_TABLE_META updates guestCount and staffName on the active order, and can edit the count later', () => {
    const actor = start(undefined, [{ type: 'ORDER_NEW', header: { ...header(), guestCount: 2, staffName: 'Ana' } }]);
    expect(actor.getSnapshot().context.order).toMatchObject({ guestCount: 2, staffName: 'Ana' });
    actor.send({ type: 'SET_TABLE_META', guestCount: 4 });
    expect(actor.getSnapshot().context.order).toMatchObject({ guestCount: 4, staffName: 'Ana' });
    actor.send({ type: 'SET_TABLE_META', staffName: 'Luis' });
    expect(actor.getSnapshot().context.order).toMatchObject({ guestCount: 4, staffName: 'Luis' });
  });

  it('DRAFT_SAVE emits the order and revision; DRAFT_SAVED marks that revision saved', () => {
    const actor = start(undefined, [NEW, ADD_A]);
    const saved: { revision: number; lines: number }[] = [];
    actor.on('draft.save', (event) => saved.push({ revision: event.revision, lines: event.order.lines.length }));
    actor.send({ type: 'DRAFT_SAVE' });
    const revision = actor.getSnapshot().context.revision;
    expect(saved).toEqual([{ revision, lines: 1 }]);
    actor.send(ADD_B);
    actor.send({ type: 'DRAFT_SAVED', revision });
    expect(actor.getSnapshot().context.savedRevision).toBe(revision);
    expect(actor.getSnapshot().context.revision).toBeGreaterThan(revision);
  });
});

describe('business rules', () => {
  it('Entering paid forces status = "paid" — no further edits are allowed', () => {
    const actor = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, PAY]);
    const paid = actor.getSnapshot().context.order;
    expect(paid?.kitchenStatus).toBe('paid');
    const edits: OrderEvent[] = [
      ADD_B,
      { type: 'LINE_SET_QTY', uid: 'a', qty: 9 },
      { type: 'LINE_REMOVE', uid: 'a' },
      { type: 'ORDER_SET_CUSTOMER', partnerId: 3 },
      { type: 'PRICING_CONTEXT_SET', pricelistId: 2, taxRates: {} },
      { type: 'SET_TABLE_META', guestCount: 9 },
      { type: 'GO_EDITING' },
      { type: 'GO_CHECKOUT' },
    ];
    for (const edit of edits) {
      actor.send(edit);
      expect(actor.getSnapshot().context.order, edit.type).toBe(paid);
      expect(actor.getSnapshot().value).toBe('paid');
    }
  });

  it('Draft loads normalize missing status to "open"', () => {
    const { kitchenStatus: _k, state: _s, ...draft } = start(undefined, [NEW, ADD_A]).getSnapshot().context.order!;
    const actor = start(undefined, [{ type: 'ORDER_LOAD', order: draft }]);
    expect(actor.getSnapshot().value).toBe('editing');
    expect(actor.getSnapshot().context.order?.kitchenStatus).toBe('open');
    const fromInput = start({ order: { ...draft, state: 'editing' } });
    expect(fromInput.getSnapshot().context.order?.kitchenStatus).toBe('open');
  });

  it('a loaded order lands in its own state with a status consistent with it', () => {
    const order = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, PAY]).getSnapshot().context.order!;
    const { kitchenStatus: _k, ...withoutStatus } = order;
    const paid = start(undefined, [{ type: 'ORDER_LOAD', order: withoutStatus }]).getSnapshot();
    expect(paid.value).toBe('paid');
    expect(paid.context.order?.kitchenStatus).toBe('paid');
    const checkout = start(undefined, [{ type: 'ORDER_LOAD', order: { ...withoutStatus, state: 'checkout' } }]).getSnapshot();
    expect(checkout.value).toBe('checkout');
    expect(checkout.context.order?.kitchenStatus).toBe('sent');
  });

  it('send_changes_to_kitchen=false: adding or removing items on a sent order keeps "sent"; a quantity change still marks "changed"', () => {
    const quiet = { pricing: PRICING, sendChangesToKitchen: false };
    expect(start(quiet, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, ADD_B]).getSnapshot().context.order?.kitchenStatus).toBe('sent');
    expect(start(quiet, [NEW, ADD_A, ADD_B, { type: 'GO_CHECKOUT' }, { type: 'LINE_REMOVE', uid: 'b' }]).getSnapshot().context.order?.kitchenStatus).toBe('sent');
    expect(start(quiet, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, { type: 'LINE_SET_QTY', uid: 'a', qty: 5 }]).getSnapshot().context.order?.kitchenStatus).toBe('changed');
  });

  it('Kitchen provenance: GO_CHECKOUT stamps kitchenTicketId / kitchenSentAt on lines not yet sent, and keeps earlier stamps', () => {
    const actor = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT', kitchenTicketId: 'K1', sentAt: '2026-11-23T12:01:00Z' }, ADD_B, { type: 'GO_EDITING' }]);
    actor.send({ type: 'GO_CHECKOUT', kitchenTicketId: 'K2', sentAt: '2026-11-23T12:09:00Z' });
    const lines = actor.getSnapshot().context.order!.lines;
    expect(lines.map((l) => [l.uid, l.kitchenTicketId, l.kitchenSentAt])).toEqual([
      ['a', 'K1', '2026-11-23T12:01:00Z'],
      ['b', 'K2', '2026-11-23T12:09:00Z'],
    ]);
  });
});

describe('checkout needs a line', () => {
  it('removing the last line at checkout drops the order and the machine back to editing', () => {
    const snap = start(undefined, [NEW, ADD_A, { type: 'GO_CHECKOUT' }, { type: 'LINE_REMOVE', uid: 'a' }]).getSnapshot();
    expect(snap.value).toBe('editing');
    expect(snap.context.order).toMatchObject({ state: 'editing', kitchenStatus: 'changed', lines: [] });
  });
});
