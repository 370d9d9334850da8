/**
 * Builders for the order-domain unit tests: a fixed header, lines and pricing, and a helper that
 * unwraps a DomainResult so a test fails loudly (with the refusal) where a step was expected to pass.
 */
import type { DomainResult } from '../../src/domain/index.js';
import { addLine, goCheckout, markPaid, newOrder, type NewLine, type OpContext, type OrderHeader } from '../../src/domain/index.js';
import type { OrderSnapshot } from '../../src/protocol/snapshot.js';

export const TAX_ID = 7;
export const PRICING = { taxRates: { [TAX_ID]: 18 } } as const;
export const SEND: OpContext = { pricing: PRICING, kitchen: { sendChangesToKitchen: true } };
export const QUIET: OpContext = { pricing: PRICING, kitchen: { sendChangesToKitchen: false } };

export function header(posReference = 'NU/CFG1/S42/1709123456789-3f7a', tableId: number | null = 5): OrderHeader {
  return { posReference, tableId, sessionId: 42, userId: 2, configId: 1, createdAt: '2026-11-23T12:00:00.000Z' };
}

export function line(uid: string, qty = 1, priceUnit = 10, extra: Partial<NewLine> = {}): NewLine {
  return { uid, productId: 100, qty, priceUnit, taxIds: [TAX_ID], ...extra };
}

export function unwrap<T>(result: DomainResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  return result.value;
}

/** An editing order with the given line uids (qty 1, 10.00 + 18 %). */
export function editingOrder(uids: readonly string[], ctx: OpContext = SEND, posReference?: string): OrderSnapshot {
  let order = newOrder(header(posReference));
  for (const uid of uids) order = unwrap(addLine(order, line(uid), ctx));
  return order;
}

export function checkoutOrder(uids: readonly string[], ctx: OpContext = SEND, posReference?: string): OrderSnapshot {
  return unwrap(goCheckout(editingOrder(uids, ctx, posReference), { kitchenTicketId: 'T1', sentAt: '2026-11-23T12:05:00.000Z' }));
}

export function paidOrder(uids: readonly string[], posReference?: string): OrderSnapshot {
  const order = checkoutOrder(uids, SEND, posReference);
  return unwrap(markPaid(order, { payments: [{ uid: 'p1', journalId: 1, statementId: 1, amount: order.amountTotal }] }));
}
