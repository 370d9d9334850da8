/**
 * Are an order's numbers ones a till could produce? Finite, bounded quantities and prices, a negative
 * quantity only where Odoo 12 puts one (a refund line: the quantity negated, the price kept), and line
 * and order totals that follow from the lines within rounding. Pure; docs/order-domain.md has the why.
 */
import type { ErrorCode } from '../protocol/errors.js';
import type { OrderLine, OrderSnapshot } from '../protocol/snapshot.js';

export interface OrderValueLimits {
  /** Largest |qty| on one line (HUB_ORDER_MAX_QTY). */
  readonly maxQty: number;
  /** Largest |priceUnit| (HUB_ORDER_MAX_PRICE); amounts may reach AMOUNT_FACTOR × maxQty × maxPrice. */
  readonly maxPrice: number;
}

export const DEFAULT_ORDER_VALUE_LIMITS: OrderValueLimits = Object.freeze({ maxQty: 10_000, maxPrice: 1_000_000_000 });

/** Subtotals, amounts and payments may reach this many times maxQty × maxPrice. */
export const AMOUNT_FACTOR = 10;

/** Odoo's default "Product Unit of Measure" precision: quantities carry at most 3 decimals (weighed goods). */
export const QTY_DECIMALS = 3;

/** Slack on one line's subtotal: Odoo rounds each line to the currency, and a split shares rounding out. */
export const LINE_TOLERANCE = 0.02;

/** Slack on the order's amounts: half a cent per line, at least two cents. */
export function amountTolerance(lines: number): number {
  return Math.max(0.02, 0.005 * lines);
}

export type ValueVerdict = { ok: true } | { ok: false; code: Extract<ErrorCode, 'ORDER_VALUE_INVALID' | 'ORDER_TOTALS_MISMATCH'>; message: string };

const OK: ValueVerdict = { ok: true };
const invalid = (message: string): ValueVerdict => ({ ok: false, code: 'ORDER_VALUE_INVALID', message });
const mismatch = (message: string): ValueVerdict => ({ ok: false, code: 'ORDER_TOTALS_MISMATCH', message });

const scale = 10 ** QTY_DECIMALS;
const hasAtMostQtyDecimals = (qty: number): boolean => Math.abs(qty * scale - Math.round(qty * scale)) < 1e-6;
const close = (a: number, b: number, tolerance: number): boolean => Math.abs(a - b) <= tolerance + Math.abs(b) * 1e-12;

function checkLine(line: OrderLine, limits: OrderValueLimits, maxAmount: number): ValueVerdict {
  const where = `line ${line.uid.slice(0, 64)}`;
  const { qty, priceUnit, discount, priceSubtotal, priceSubtotalIncl } = line;
  if (!Number.isFinite(qty) || qty === 0 || Math.abs(qty) > limits.maxQty) return invalid(`${where}: quantity must be non-zero and at most ${limits.maxQty} either way.`);
  if (!hasAtMostQtyDecimals(qty)) return invalid(`${where}: quantity may carry at most ${QTY_DECIMALS} decimals.`);
  if (!Number.isFinite(priceUnit) || Math.abs(priceUnit) > limits.maxPrice) return invalid(`${where}: unit price must be at most ${limits.maxPrice} either way.`);
  // A refund line negates the quantity and keeps the price; a discount line has a negative price. Both at once
  // would turn a "refund" into a sale of nothing, so it is refused.
  if (qty < 0 && priceUnit < 0) return invalid(`${where}: a negative quantity (a refund line) must keep a price of zero or more.`);
  if (!Number.isFinite(discount) || discount < 0 || discount > 100) return invalid(`${where}: discount must be between 0 and 100.`);
  if (!Number.isFinite(priceSubtotal) || !Number.isFinite(priceSubtotalIncl) || Math.abs(priceSubtotal) > maxAmount || Math.abs(priceSubtotalIncl) > maxAmount) {
    return invalid(`${where}: subtotals must be finite and at most ${maxAmount} either way.`);
  }
  const base = qty * priceUnit * (1 - discount / 100);
  // Prices are tax-exclusive (priceSubtotal = base) or, with Odoo's price-included taxes, tax-inclusive (priceSubtotalIncl = base).
  if (!close(priceSubtotal, base, LINE_TOLERANCE) && !close(priceSubtotalIncl, base, LINE_TOLERANCE)) {
    return mismatch(`${where}: subtotals do not follow from quantity × unit price × (1 − discount).`);
  }
  if (priceSubtotal !== 0 && priceSubtotalIncl !== 0 && Math.sign(priceSubtotal) !== Math.sign(priceSubtotalIncl)) {
    return mismatch(`${where}: the subtotals with and without tax have opposite signs.`);
  }
  return OK;
}

/** The whole check; the first problem found is named. */
export function checkOrderValues(order: OrderSnapshot, limits: OrderValueLimits = DEFAULT_ORDER_VALUE_LIMITS): ValueVerdict {
  // Room for taxes and several full lines; the bound is there to stop 1e300, not to audit a bill.
  const maxAmount = AMOUNT_FACTOR * limits.maxQty * limits.maxPrice;
  let incl = 0;
  let excl = 0;
  for (const line of order.lines) {
    const verdict = checkLine(line, limits, maxAmount);
    if (!verdict.ok) return verdict;
    incl += line.priceSubtotalIncl;
    excl += line.priceSubtotal;
  }
  for (const [name, value] of [
    ['amountTotal', order.amountTotal],
    ['amountTax', order.amountTax],
    ['amountPaid', order.amountPaid],
    ['amountReturn', order.amountReturn],
  ] as const) {
    if (!Number.isFinite(value) || Math.abs(value) > maxAmount) return invalid(`${name} must be finite and at most ${maxAmount} either way.`);
  }
  for (const payment of order.payments) {
    if (!Number.isFinite(payment.amount) || Math.abs(payment.amount) > maxAmount) return invalid(`payment ${payment.uid.slice(0, 64)}: amount must be at most ${maxAmount} either way.`);
  }
  const tolerance = amountTolerance(order.lines.length);
  if (!close(order.amountTotal, incl, tolerance)) return mismatch(`amountTotal ${order.amountTotal} is not the sum of the lines (${Math.round(incl * 100) / 100}).`);
  if (!close(order.amountTax, incl - excl, tolerance)) return mismatch(`amountTax ${order.amountTax} is not the lines' tax (${Math.round((incl - excl) * 100) / 100}).`);
  return OK;
}
