/**
 * Split and transfer (seed 004: split behaviour, send_changes_to_kitchen, kitchen provenance):
 * statuses of both checks, provenance kept, totals conserved, and every refusal as a typed result.
 */
import { describe, expect, it } from 'vitest';
import { splitOrder, transferLines, validateSnapshotChange } from '../../../src/domain/index.js';
import { checkoutOrder, editingOrder, paidOrder, unwrap } from '../../helpers/domain-orders.js';

const ON = { sendChangesToKitchen: true };
const OFF = { sendChangesToKitchen: false };
const NEW_REF = 'NU/CFG1/S42/1709123456999-0001';
const OTHER_REF = 'NU/CFG1/S42/1709123457000-0002';

describe('split', () => {
  it('Split behavior: source check becomes "changed", destination checks inherit "sent" (not treated as new tickets)', () => {
    const source = checkoutOrder(['a', 'b', 'c']);
    const { source: after, created } = unwrap(splitOrder(source, ['b', 'c'], NEW_REF, ON));
    expect(after.kitchenStatus).toBe('changed');
    expect(after.lines.map((l) => l.uid)).toEqual(['a']);
    expect(created).toMatchObject({ posReference: NEW_REF, kitchenStatus: 'sent', state: 'checkout', tableId: source.tableId, payments: [] });
    expect(created.lines.map((l) => l.uid)).toEqual(['b', 'c']);
  });

  it('send_changes_to_kitchen=false: splitting a sent order preserves the source status', () => {
    const { source, created } = unwrap(splitOrder(checkoutOrder(['a', 'b']), ['b'], NEW_REF, OFF));
    expect(source.kitchenStatus).toBe('sent');
    expect(created.kitchenStatus).toBe('sent');
  });

  it('Kitchen provenance: the new check knows which kitchen ticket its items came from', () => {
    const { created } = unwrap(splitOrder(checkoutOrder(['a', 'b']), ['b'], NEW_REF, ON));
    expect(created.lines[0]).toMatchObject({ uid: 'b', kitchenTicketId: 'T1', kitchenSentAt: '2026-11-23T12:05:00.000Z' });
  });

  it('a never-sent order splits into two open checks', () => {
    const { source, created } = unwrap(splitOrder(editingOrder(['a', 'b']), ['a'], NEW_REF, ON));
    expect([source.kitchenStatus, created.kitchenStatus]).toEqual(['open', 'open']);
  });

  it('amounts are recomputed on both checks and their sum is conserved, partial quantities included', () => {
    const source = checkoutOrder(['a', 'b']);
    const half = { ...source, lines: source.lines.map((l) => (l.uid === 'a' ? { ...l, qty: 3, priceSubtotal: 30, priceSubtotalIncl: 35.4 } : l)) };
    const withTotals = { ...half, amountTotal: 47.2, amountTax: 7.2 };
    const { source: after, created } = unwrap(splitOrder(withTotals, ['a'], NEW_REF, { ...ON, quantities: { a: 1 } }));
    expect(after.lines.find((l) => l.uid === 'a')).toMatchObject({ qty: 2, priceSubtotal: 20, priceSubtotalIncl: 23.6 });
    expect(created.lines).toEqual([expect.objectContaining({ uid: 'a~1', qty: 1, priceSubtotal: 10, priceSubtotalIncl: 11.8 })]);
    expect(after.amountTotal + created.amountTotal).toBeCloseTo(withTotals.amountTotal, 10);
  });

  it('refusals: paid source (ORDER_PAID), unknown / repeated / no lines, bad quantity, emptying the source, same reference (TRANSFER_INVALID)', () => {
    const source = checkoutOrder(['a', 'b']);
    expect(splitOrder(paidOrder(['a', 'b']), ['a'], NEW_REF, ON)).toMatchObject({ ok: false, code: 'ORDER_PAID' });
    expect(splitOrder(source, ['zz'], NEW_REF, ON)).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
    expect(splitOrder(source, ['a', 'a'], NEW_REF, ON)).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
    expect(splitOrder(source, [], NEW_REF, ON)).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
    expect(splitOrder(source, ['a'], NEW_REF, { ...ON, quantities: { a: 2 } })).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
    expect(splitOrder(source, ['a'], NEW_REF, { ...ON, quantities: { a: -1 } })).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
    expect(splitOrder(source, ['a'], NEW_REF, { ...ON, quantities: { b: 1 } })).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
    expect(splitOrder(source, ['a', 'b'], NEW_REF, ON)).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
    expect(splitOrder(source, ['a'], source.posReference, ON)).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
  });

  it('the hub accepts both results of a split (source against its stored self, the new check as a new order)', () => {
    for (const options of [ON, OFF]) {
      const source = checkoutOrder(['a', 'b']);
      const result = unwrap(splitOrder(source, ['a'], NEW_REF, options));
      expect(validateSnapshotChange(source, result.source, options)).toEqual({ ok: true });
      expect(validateSnapshotChange(null, result.created, options)).toEqual({ ok: true });
    }
  });
});

describe('transfer', () => {
  it('Transferring items between orders marks both sent orders "changed" (send_changes_to_kitchen=true)', () => {
    const from = checkoutOrder(['a', 'b']);
    const to = checkoutOrder(['x'], undefined, OTHER_REF);
    const result = unwrap(transferLines(from, to, ['b'], ON));
    expect(result.from.lines.map((l) => l.uid)).toEqual(['a']);
    expect(result.to.lines.map((l) => l.uid)).toEqual(['x', 'b']);
    expect([result.from.kitchenStatus, result.to.kitchenStatus]).toEqual(['changed', 'changed']);
    expect(result.from.amountTotal + result.to.amountTotal).toBeCloseTo(from.amountTotal + to.amountTotal, 10);
    expect(result.to.lines[1]).toMatchObject({ kitchenTicketId: 'T1' });
  });

  it('send_changes_to_kitchen=false: transferring items preserves the original status of both orders', () => {
    const result = unwrap(transferLines(checkoutOrder(['a', 'b']), checkoutOrder(['x'], undefined, OTHER_REF), ['a'], OFF));
    expect([result.from.kitchenStatus, result.to.kitchenStatus]).toEqual(['sent', 'sent']);
  });

  it('moving everything out of a checkout order drops it back to editing (checkout needs a line)', () => {
    const result = unwrap(transferLines(checkoutOrder(['a']), editingOrder([], undefined, OTHER_REF), ['a'], ON));
    expect(result.from).toMatchObject({ state: 'editing', kitchenStatus: 'changed', lines: [], amountTotal: 0 });
    expect(result.to).toMatchObject({ state: 'editing', kitchenStatus: 'open' });
    expect(validateSnapshotChange(checkoutOrder(['a']), result.from, ON)).toEqual({ ok: true });
  });

  it('partial quantity moves mint a fresh uid unique on both orders', () => {
    const from = checkoutOrder(['a']);
    const to = { ...checkoutOrder(['x'], undefined, OTHER_REF) };
    const twoOfA = { ...from, lines: [{ ...from.lines[0]!, qty: 2, priceSubtotal: 20, priceSubtotalIncl: 23.6 }] };
    const toWithClash = { ...to, lines: [...to.lines, { ...to.lines[0]!, uid: 'a~1' }] };
    const result = unwrap(transferLines(twoOfA, toWithClash, ['a'], { ...ON, quantities: { a: 1 } }));
    expect(result.to.lines.map((l) => l.uid)).toEqual(['x', 'a~1', 'a~2']);
    expect(result.from.lines[0]).toMatchObject({ uid: 'a', qty: 1 });
  });

  it('refusals: a paid side (ORDER_PAID), the same order, unknown lines, a uid clash (TRANSFER_INVALID)', () => {
    const from = checkoutOrder(['a', 'b']);
    const to = checkoutOrder(['x'], undefined, OTHER_REF);
    expect(transferLines(from, paidOrder(['x'], OTHER_REF), ['a'], ON)).toMatchObject({ ok: false, code: 'ORDER_PAID' });
    expect(transferLines(paidOrder(['a']), to, ['a'], ON)).toMatchObject({ ok: false, code: 'ORDER_PAID' });
    expect(transferLines(from, from, ['a'], ON)).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
    expect(transferLines(from, to, ['nope'], ON)).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
    expect(transferLines(from, checkoutOrder(['a'], undefined, OTHER_REF), ['a'], ON)).toMatchObject({ ok: false, code: 'TRANSFER_INVALID' });
  });

  it('both results pass the hub validator against the stored orders', () => {
    for (const options of [ON, OFF]) {
      const from = checkoutOrder(['a', 'b']);
      const to = checkoutOrder(['x'], undefined, OTHER_REF);
      const result = unwrap(transferLines(from, to, ['a'], options));
      expect(validateSnapshotChange(from, result.from, options)).toEqual({ ok: true });
      expect(validateSnapshotChange(to, result.to, options)).toEqual({ ok: true });
    }
  });
});
