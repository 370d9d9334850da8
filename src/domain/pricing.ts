/**
 * Line and order totals. Deliberately simple: prices are tax-exclusive and each tax is a flat
 * percent looked up by id, so terminal and hub compute the same numbers without Odoo's tax engine.
 * Unknown tax ids count as 0 % (the terminal's figures win whenever it sends its own totals).
 */
import type { OrderLine, OrderSnapshot } from '../protocol/snapshot.js';

export interface Pricing {
  /** Tax id → percent (e.g. 18 for 18 %), applied to the price-exclusive subtotal and summed. */
  readonly taxRates: Readonly<Record<number, number>>;
  /** Currency decimals; 2 unless told. */
  readonly decimals?: number;
}

export const NO_TAXES: Pricing = { taxRates: {} };

/** Half away from zero, so refunds (negative lines) round like sales. */
export function roundMoney(value: number, decimals = 2): number {
  const factor = 10 ** decimals;
  const sign = value < 0 ? -1 : 1;
  return (sign * Math.round(Math.abs(value) * factor + 1e-9)) / factor;
}

export function taxPercent(taxIds: readonly number[], pricing: Pricing): number {
  let percent = 0;
  for (const id of taxIds) percent += pricing.taxRates[id] ?? 0;
  return percent;
}

/** priceSubtotal = qty × priceUnit × (1 − discount/100); priceSubtotalIncl adds the summed tax percent. */
export function priceLine<L extends OrderLine>(line: L, pricing: Pricing): L {
  const decimals = pricing.decimals ?? 2;
  const base = line.qty * line.priceUnit * (1 - line.discount / 100);
  const priceSubtotal = roundMoney(base, decimals);
  const priceSubtotalIncl = roundMoney(base * (1 + taxPercent(line.taxIds, pricing) / 100), decimals);
  return { ...line, priceSubtotal, priceSubtotalIncl };
}

/** Order amounts from the lines' own totals (no tax table needed, so merges can use it too). */
export function orderAmounts(lines: readonly OrderLine[], decimals = 2): { amountTotal: number; amountTax: number } {
  let incl = 0;
  let excl = 0;
  for (const line of lines) {
    incl += line.priceSubtotalIncl;
    excl += line.priceSubtotal;
  }
  const amountTotal = roundMoney(incl, decimals);
  return { amountTotal, amountTax: roundMoney(amountTotal - roundMoney(excl, decimals), decimals) };
}

/** Replace the order's lines and recompute its amounts from them. */
export function withLines<O extends OrderSnapshot>(order: O, lines: OrderLine[], decimals = 2): O {
  return { ...order, lines, ...orderAmounts(lines, decimals) };
}

/** What was tendered: the payment lines, or amountPaid when a terminal sends no payment lines. */
export function tendered(order: OrderSnapshot): number {
  let sum = 0;
  for (const payment of order.payments) sum += payment.amount;
  return Math.max(sum, order.amountPaid);
}

/** Half a cent of slack so a terminal's rounding never makes a settled order look unpaid. */
const SETTLE_TOLERANCE = 0.005;

/** Paid in full: tendered ≥ total (the change, amountReturn, is the excess). */
export function isSettled(order: OrderSnapshot): boolean {
  return tendered(order) >= order.amountTotal - SETTLE_TOLERANCE;
}
