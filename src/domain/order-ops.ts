/**
 * The order operations as plain pure functions: snapshot in, result out. The lifecycle machine
 * calls these, and the hub and the SDK call them directly when they have no actor at hand, so
 * the rules (kitchen status, paid lock, totals) live in exactly one place.
 */
import type { KitchenStatus, OrderLine, OrderSnapshot, OrderState, PaymentLine, orderSnapshotSchema } from '../protocol/snapshot.js';
import { kitchenStatusAfterLineChange, type KitchenOptions, type LineChangeKind } from './kitchen-status.js';
import { priceLine, withLines, isSettled, roundMoney, type Pricing } from './pricing.js';
import { lifecycleMove } from './lifecycle.js';
import { fail, ok, type DomainResult } from './result.js';

/** What every line operation needs: the tax table and the kitchen option. */
export interface OpContext {
  readonly pricing: Pricing;
  readonly kitchen: KitchenOptions;
}

export interface OrderHeader {
  readonly posReference: string;
  readonly tableId: number | null;
  readonly sessionId: number;
  readonly userId: number;
  readonly createdAt: string;
  readonly configId?: number;
  readonly guestCount?: number;
  readonly staffName?: string;
  readonly partnerId?: number | null;
  readonly pricelistId?: number;
  readonly fiscalPositionId?: number | null;
}

/** A snapshot as a terminal may have stored it: older drafts lack state and kitchen status. */
export type LoadableOrder = Pick<OrderSnapshot, Exclude<SnapshotKey, 'state' | 'kitchenStatus'>> & {
  state?: OrderState;
  kitchenStatus?: KitchenStatus;
  [extra: string]: unknown;
};
/** The declared keys only: `Omit` over the loose snapshot type would keep nothing but its index signature. */
type SnapshotKey = keyof typeof orderSnapshotSchema.shape;

export interface NewLine {
  readonly uid: string;
  readonly productId: number;
  readonly qty: number;
  readonly priceUnit: number;
  readonly discount?: number;
  readonly taxIds?: readonly number[];
  readonly name?: string;
  readonly note?: string;
  readonly kitchenTicketId?: string;
  readonly kitchenSentAt?: string;
}

export interface PricingContext {
  readonly pricelistId?: number;
  readonly fiscalPositionId?: number | null;
}

export interface TableMeta {
  readonly guestCount?: number;
  readonly staffName?: string;
}

export interface KitchenSend {
  /** Stamped on lines that have no provenance yet, so a later split knows their ticket. */
  readonly kitchenTicketId?: string;
  readonly sentAt?: string;
}

export interface Payment {
  readonly payments?: readonly PaymentLine[];
  readonly amountPaid?: number;
  readonly amountReturn?: number;
}

const MAX_UID = 64;

export function newOrder(header: OrderHeader): OrderSnapshot {
  const order: OrderSnapshot = {
    posReference: header.posReference,
    tableId: header.tableId,
    state: 'editing',
    kitchenStatus: 'open',
    sessionId: header.sessionId,
    userId: header.userId,
    lines: [],
    payments: [],
    amountTotal: 0,
    amountTax: 0,
    amountPaid: 0,
    amountReturn: 0,
    createdAt: header.createdAt,
  };
  if (header.configId !== undefined) order.configId = header.configId;
  if (header.guestCount !== undefined) order.guestCount = header.guestCount;
  if (header.staffName !== undefined) order.staffName = header.staffName;
  if (header.partnerId !== undefined) order.partnerId = header.partnerId;
  if (header.pricelistId !== undefined) order.pricelistId = header.pricelistId;
  if (header.fiscalPositionId !== undefined) order.fiscalPositionId = header.fiscalPositionId;
  return order;
}

/**
 * Normalise a loaded draft. The seed: a missing status becomes `open`. Where the state itself says
 * more, the mapping wins: checkout was sent, paid/finalized are `paid`, so a loaded order is never
 * inconsistent with the machine state it lands in. A missing state means a draft: editing.
 */
export function loadOrder(order: LoadableOrder): OrderSnapshot {
  const state: OrderState = order.state ?? 'editing';
  const kitchenStatus = normaliseStatus(state, order.kitchenStatus);
  return { ...order, state, kitchenStatus };
}

function normaliseStatus(state: OrderState, status: KitchenStatus | undefined): KitchenStatus {
  switch (state) {
    case 'editing':
      return status === undefined || status === 'paid' ? 'open' : status;
    case 'checkout':
      return status === 'changed' ? 'changed' : 'sent';
    case 'paid':
    case 'finalized':
      return 'paid';
    default: {
      const never: never = state;
      return never;
    }
  }
}

function editable(order: OrderSnapshot): DomainResult<OrderSnapshot> {
  const move = lifecycleMove(order.state, 'EDIT');
  if (!move.ok) return fail(move.code, `Order ${order.posReference} is ${order.state}; it can no longer be edited.`);
  return ok(order);
}

function validQty(qty: number): boolean {
  return Number.isFinite(qty) && qty !== 0;
}

/**
 * Put new lines in place, recompute amounts and move the kitchen status for this kind of change.
 * Removing the last line of a checkout order drops it back to editing: checkout needs a line.
 */
export function applyLineChange(order: OrderSnapshot, lines: OrderLine[], kind: LineChangeKind, kitchen: KitchenOptions): OrderSnapshot {
  const next: OrderSnapshot = { ...withLines(order, lines), kitchenStatus: kitchenStatusAfterLineChange(order.kitchenStatus, kind, kitchen) };
  if (lines.length > 0) return next;
  const move = lifecycleMove(next.state, 'LINES_EMPTIED');
  return move.ok && move.to !== next.state ? { ...next, state: move.to } : next;
}

export function addLine(order: OrderSnapshot, input: NewLine, ctx: OpContext): DomainResult<OrderSnapshot> {
  const check = editable(order);
  if (!check.ok) return check;
  if (input.uid.length === 0 || input.uid.length > MAX_UID) return fail('LINE_INVALID', `Line uid must be 1–${MAX_UID} characters.`);
  if (order.lines.some((line) => line.uid === input.uid)) return fail('LINE_INVALID', `Line ${input.uid} already exists.`);
  if (!Number.isInteger(input.productId) || input.productId <= 0) return fail('LINE_INVALID', 'productId must be a positive integer.');
  if (!validQty(input.qty)) return fail('LINE_INVALID', 'Quantity must be a finite, non-zero number.');
  const discount = input.discount ?? 0;
  if (!Number.isFinite(input.priceUnit) || !(discount >= 0 && discount <= 100)) return fail('LINE_INVALID', 'Price must be finite and discount within 0–100.');
  const line: OrderLine = {
    uid: input.uid,
    productId: input.productId,
    qty: input.qty,
    priceUnit: input.priceUnit,
    discount,
    taxIds: [...(input.taxIds ?? [])],
    priceSubtotal: 0,
    priceSubtotalIncl: 0,
  };
  if (input.name !== undefined) line.name = input.name;
  if (input.note !== undefined) line.note = input.note;
  if (input.kitchenTicketId !== undefined) line.kitchenTicketId = input.kitchenTicketId;
  if (input.kitchenSentAt !== undefined) line.kitchenSentAt = input.kitchenSentAt;
  return ok(applyLineChange(order, [...order.lines, priceLine(line, ctx.pricing)], 'add', ctx.kitchen));
}

export function setLineQty(order: OrderSnapshot, uid: string, qty: number, ctx: OpContext): DomainResult<OrderSnapshot> {
  const check = editable(order);
  if (!check.ok) return check;
  if (!validQty(qty)) return fail('LINE_INVALID', 'Quantity must be a finite, non-zero number; remove the line instead.');
  const index = order.lines.findIndex((line) => line.uid === uid);
  const current = order.lines[index];
  if (current === undefined) return fail('LINE_INVALID', `Line ${uid} is not on order ${order.posReference}.`);
  if (current.qty === qty) return ok(order);
  const lines = order.lines.slice();
  lines[index] = priceLine({ ...current, qty }, ctx.pricing);
  return ok(applyLineChange(order, lines, 'qty', ctx.kitchen));
}

export function removeLine(order: OrderSnapshot, uid: string, ctx: OpContext): DomainResult<OrderSnapshot> {
  const check = editable(order);
  if (!check.ok) return check;
  if (!order.lines.some((line) => line.uid === uid)) return fail('LINE_INVALID', `Line ${uid} is not on order ${order.posReference}.`);
  return ok(applyLineChange(order, order.lines.filter((line) => line.uid !== uid), 'remove', ctx.kitchen));
}

export function setCustomer(order: OrderSnapshot, partnerId: number | null): DomainResult<OrderSnapshot> {
  const check = editable(order);
  if (!check.ok) return check;
  return ok({ ...order, partnerId });
}

/** A new pricelist / fiscal position (and with it, possibly a new tax table): every line is re-priced. */
export function setPricingContext(order: OrderSnapshot, context: PricingContext, ctx: OpContext): DomainResult<OrderSnapshot> {
  const check = editable(order);
  if (!check.ok) return check;
  const next: OrderSnapshot = { ...order };
  if (context.pricelistId !== undefined) next.pricelistId = context.pricelistId;
  if (context.fiscalPositionId !== undefined) next.fiscalPositionId = context.fiscalPositionId;
  return ok(withLines(next, order.lines.map((line) => priceLine(line, ctx.pricing))));
}

export function setTableMeta(order: OrderSnapshot, meta: TableMeta): DomainResult<OrderSnapshot> {
  const check = editable(order);
  if (!check.ok) return check;
  if (meta.guestCount !== undefined && !(Number.isInteger(meta.guestCount) && meta.guestCount >= 0 && meta.guestCount <= 1000)) {
    return fail('LINE_INVALID', 'guestCount must be an integer within 0–1000.');
  }
  const next: OrderSnapshot = { ...order };
  if (meta.guestCount !== undefined) next.guestCount = meta.guestCount;
  if (meta.staffName !== undefined) next.staffName = meta.staffName;
  return ok(next);
}

/** Entering checkout sends the ticket: status `sent`, unsent lines stamped with the ticket provenance. */
export function goCheckout(order: OrderSnapshot, send: KitchenSend = {}): DomainResult<OrderSnapshot> {
  const move = lifecycleMove(order.state, 'GO_CHECKOUT');
  if (!move.ok) return fail(move.code, `Checkout is entered from editing, not ${order.state}.`);
  if (order.lines.length === 0) return fail('CHECKOUT_EMPTY', 'An order needs at least one line to go to checkout.');
  const lines = order.lines.map((line) => stampProvenance(line, send));
  return ok({ ...order, lines, state: move.to, kitchenStatus: 'sent' });
}

function stampProvenance(line: OrderLine, send: KitchenSend): OrderLine {
  if (line.kitchenSentAt !== undefined || line.kitchenTicketId !== undefined) return line;
  if (send.kitchenTicketId === undefined && send.sentAt === undefined) return line;
  const stamped: OrderLine = { ...line };
  if (send.kitchenTicketId !== undefined) stamped.kitchenTicketId = send.kitchenTicketId;
  if (send.sentAt !== undefined) stamped.kitchenSentAt = send.sentAt;
  return stamped;
}

/** Back to editing keeps the kitchen status: the kitchen has still seen what it has seen. */
export function goEditing(order: OrderSnapshot): DomainResult<OrderSnapshot> {
  const move = lifecycleMove(order.state, 'GO_EDITING');
  if (!move.ok) return fail(move.code, `Editing is re-entered from checkout, not ${order.state}.`);
  return ok({ ...order, state: move.to });
}

/** Entering paid forces status `paid`; the payments must cover the total. */
export function markPaid(order: OrderSnapshot, payment: Payment = {}): DomainResult<OrderSnapshot> {
  const move = lifecycleMove(order.state, 'MARK_PAID');
  if (!move.ok) return fail(move.code, `Payment is taken at checkout, not in ${order.state}.`);
  if (order.lines.length === 0) return fail('CHECKOUT_EMPTY', 'An order without lines cannot be paid.');
  const next: OrderSnapshot = { ...order, state: move.to, kitchenStatus: 'paid' };
  if (payment.payments !== undefined) {
    next.payments = [...payment.payments];
    // Without explicit figures, tendered = the payment lines and the change is the excess.
    const sum = roundMoney(next.payments.reduce((total, line) => total + line.amount, 0));
    next.amountPaid = payment.amountPaid ?? sum;
    next.amountReturn = payment.amountReturn ?? Math.max(0, roundMoney(next.amountPaid - order.amountTotal));
  } else {
    if (payment.amountPaid !== undefined) next.amountPaid = payment.amountPaid;
    if (payment.amountReturn !== undefined) next.amountReturn = payment.amountReturn;
  }
  if (!isSettled(next)) return fail('INVALID_TRANSITION', `Payments do not cover the total of ${order.amountTotal}.`);
  return ok(next);
}

export function finalizeOrder(order: OrderSnapshot): DomainResult<OrderSnapshot> {
  const move = lifecycleMove(order.state, 'FINALIZE');
  if (!move.ok) return fail(move.code, `Only a paid order is finalized, not one in ${order.state}.`);
  return ok({ ...order, state: move.to, kitchenStatus: 'paid' });
}
