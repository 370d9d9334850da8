/**
 * Order values (issue 12, item 6): the numbers the hub refuses — the attack's quantities −5 (not a refund),
 * 0 and 0.3333, unit prices −1e300 and 1e15 — and the ones it keeps: refund lines, weighed quantities,
 * discount lines, price-included taxes, totals within rounding.
 */
import { describe, expect, it } from 'vitest';
import { checkOrderValues, validateSnapshotChange, type OrderValueLimits } from '../../../src/domain/index.js';
import type { OrderLine, OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { snapshot } from '../../helpers/terminal.js';

const round2 = (v: number) => Math.round(v * 100) / 100;

function line(uid: string, qty: number, priceUnit: number, over: Partial<OrderLine> = {}): OrderLine {
  const sub = round2(qty * priceUnit);
  return { uid, productId: 1, qty, priceUnit, discount: 0, taxIds: [1], priceSubtotal: sub, priceSubtotalIncl: round2(sub * 1.18), ...over };
}

function order(lines: OrderLine[], over: Partial<OrderSnapshot> = {}): OrderSnapshot {
  const incl = lines.reduce((s, l) => s + l.priceSubtotalIncl, 0);
  const excl = lines.reduce((s, l) => s + l.priceSubtotal, 0);
  return snapshot('V-1', 3, { lines, amountTotal: round2(incl), amountTax: round2(incl - excl), ...over });
}

const verdict = (o: OrderSnapshot, limits?: OrderValueLimits) => {
  const v = checkOrderValues(o, limits);
  return v.ok ? 'ok' : v.code;
};

describe('accepted', () => {
  it('ordinary lines, weighed quantities with up to 3 decimals, discounts', () => {
    expect(verdict(order([line('a', 2, 12.5), line('b', 0.333, 24), line('c', 1, 10, { discount: 15, priceSubtotal: 8.5, priceSubtotalIncl: 10.03 })]))).toBe('ok');
  });

  it('a refund line (quantity negated, price kept), alone or beside sales, and a discount line (negative price)', () => {
    expect(verdict(order([line('r', -5, 3)]))).toBe('ok');
    expect(verdict(order([line('a', 2, 3), line('r', -1, 3)]))).toBe('ok');
    expect(verdict(order([line('a', 2, 30), line('d', 1, -5)]))).toBe('ok');
  });

  it("price-included taxes: priceSubtotalIncl is the line's base, priceSubtotal the net", () => {
    expect(verdict(order([line('a', 2, 11.8, { priceSubtotal: 20, priceSubtotalIncl: 23.6 })]))).toBe('ok');
  });

  it('totals off by rounding only', () => {
    const o = order([line('a', 3, 0.333), line('b', 1, 0.335)]);
    expect(verdict({ ...o, amountTotal: o.amountTotal + 0.01 })).toBe('ok');
  });
});

describe('refused with ORDER_VALUE_INVALID', () => {
  it('the attack values: quantity 0, 0.3333, unit price -1e300 and 1e15', () => {
    expect(verdict(order([line('a', 0, 3)]))).toBe('ORDER_VALUE_INVALID');
    expect(verdict(order([line('a', 0.3333, 3)]))).toBe('ORDER_VALUE_INVALID');
    expect(verdict(order([line('a', 1, -1e300)]))).toBe('ORDER_VALUE_INVALID');
    expect(verdict(order([line('a', 1, 1e15)]))).toBe('ORDER_VALUE_INVALID');
  });

  it('a negative quantity that is not a refund line (negative price as well)', () => {
    expect(verdict(order([line('a', -5, -2)]))).toBe('ORDER_VALUE_INVALID');
  });

  it('quantities and prices past the configured bounds, and amounts past their product', () => {
    const limits = { maxQty: 100, maxPrice: 1000 };
    expect(verdict(order([line('a', 100, 1000)]), limits)).toBe('ok');
    expect(verdict(order([line('a', 101, 1)]), limits)).toBe('ORDER_VALUE_INVALID');
    expect(verdict(order([line('a', -101, 1)]), limits)).toBe('ORDER_VALUE_INVALID');
    expect(verdict(order([line('a', 1, 1000.5)]), limits)).toBe('ORDER_VALUE_INVALID');
    expect(verdict(order([line('a', 1, 1)], { amountPaid: 1_000_001 }), limits)).toBe('ORDER_VALUE_INVALID');
    expect(verdict(order([line('a', 1, 1)], { payments: [{ uid: 'p', journalId: 1, statementId: 1, amount: -1e9 }] }), limits)).toBe('ORDER_VALUE_INVALID');
  });

  it('non-finite numbers that reached the domain by another path than the wire', () => {
    expect(verdict(order([line('a', Number.NaN, 1)]))).toBe('ORDER_VALUE_INVALID');
    expect(verdict(order([line('a', 1, 1)], { amountTotal: Number.POSITIVE_INFINITY }))).toBe('ORDER_VALUE_INVALID');
  });
});

describe('refused with ORDER_TOTALS_MISMATCH', () => {
  it('a subtotal that does not follow from quantity, price and discount', () => {
    expect(verdict(order([line('a', 2, 10, { priceSubtotal: 2, priceSubtotalIncl: 2.36 })]))).toBe('ORDER_TOTALS_MISMATCH');
  });

  it('subtotals of opposite signs', () => {
    expect(verdict(order([line('a', 2, 10, { priceSubtotalIncl: -23.6 })]))).toBe('ORDER_TOTALS_MISMATCH');
  });

  it('an amountTotal or amountTax that is not the sum of the lines', () => {
    const o = order([line('a', 2, 10), line('b', 1, 5)]);
    expect(verdict({ ...o, amountTotal: o.amountTotal + 1 })).toBe('ORDER_TOTALS_MISMATCH');
    expect(verdict({ ...o, amountTax: 0 })).toBe('ORDER_TOTALS_MISMATCH');
  });
});

describe('validateSnapshotChange', () => {
  it('applies the value checks with the limits it is given, after the lifecycle rules', () => {
    const ok = order([line('a', 50, 10)]);
    expect(validateSnapshotChange(null, ok, { sendChangesToKitchen: true })).toEqual({ ok: true });
    expect(validateSnapshotChange(null, ok, { sendChangesToKitchen: true, values: { maxQty: 10, maxPrice: 100 } })).toMatchObject({ ok: false, code: 'ORDER_VALUE_INVALID' });
    // A lifecycle refusal keeps its own code even when the values are bad too.
    const paidEmpty = { ...order([line('a', 0, 1)]), state: 'checkout' as const, kitchenStatus: 'open' as const };
    expect(validateSnapshotChange(null, paidEmpty, { sendChangesToKitchen: true })).toMatchObject({ ok: false, code: 'KITCHEN_STATUS_MISMATCH' });
  });
});
