/**
 * Builders of what Odoo receives for a finalized order, from our OrderSnapshot: the stock 12.0
 * `create_from_ui` order (wire contract §3, field by field) and the reference addon's
 * `hub_finalize_snapshot` payload (which wraps the same order). One builder for both senders — the
 * hub's Odoo gateway and the SDK's direct mode — so they cannot drift. Pure and browser-safe: no I/O,
 * no clock (moved here from src/adapters/odoo/finalize-payload.ts).
 */
import type { OrderSnapshot } from '../protocol/snapshot.js';

/** `YYYY-MM-DD HH:MM:SS` in UTC: the only shape 12.0's fields.Datetime accepts (no T, no ms, no Z). */
export function odooDatetime(isoOrEpoch: string | number): string {
  const d = new Date(isoOrEpoch);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a date: ${String(isoOrEpoch)}`);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

export interface UiOrderLine {
  qty: number;
  price_unit: number;
  discount: number;
  product_id: number;
  price_subtotal: number;
  price_subtotal_incl: number;
  tax_ids: [[6, false, number[]]];
  /** The POS client's line counter; the server ignores it. */
  id: number;
}

export interface UiPayment {
  name: string;
  statement_id: number;
  journal_id: number;
  amount: number;
  account_id: number | false;
}

export interface UiOrderData {
  name: string;
  pos_session_id: number;
  user_id: number;
  partner_id: number | false;
  pricelist_id: number | false;
  fiscal_position_id: number | false;
  sequence_number: number;
  creation_date: string;
  amount_paid: number;
  amount_total: number;
  amount_tax: number;
  amount_return: number;
  lines: [0, 0, UiOrderLine][];
  statement_ids: [0, 0, UiPayment][];
  uid: string;
}

export interface UiOrder {
  id: string;
  data: UiOrderData;
  to_invoice: false;
}

/** The `data.uid` the POS client derives from its order name; ours is the reference's tail. */
function clientUid(posReference: string): string {
  return posReference.split('/').pop() ?? posReference;
}

function optionalDate(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : odooDatetime(t);
}

/** What the sender knows that the snapshot may not carry (direct mode: its POS config). */
export interface UiOrderDefaults {
  /** Used when the snapshot has no pricelistId (the POS config's pricelist); else `false`. */
  readonly pricelistId?: number;
  /** Used when the snapshot carries no integer `sequenceNumber`; else 0. */
  readonly sequenceNumber?: number;
}

/**
 * One create_from_ui order. `name` is the posReference (Odoo stores it as pos_reference, the dedupe
 * key). Our snapshot's amountPaid is the amount tendered and amountReturn the change; 12.x sends
 * amount_paid = tendered − change, so that is what goes out.
 */
export function buildUiOrder(snapshot: OrderSnapshot, posReference: string, defaults: UiOrderDefaults = {}): UiOrder {
  const loose = snapshot as OrderSnapshot & { paidAt?: unknown; finalizedAt?: unknown; sequenceNumber?: unknown };
  const creation = optionalDate(loose.paidAt) ?? optionalDate(loose.finalizedAt) ?? odooDatetime(snapshot.createdAt);
  const sequence = typeof loose.sequenceNumber === 'number' && Number.isInteger(loose.sequenceNumber) ? loose.sequenceNumber : (defaults.sequenceNumber ?? 0);
  return {
    id: posReference,
    to_invoice: false,
    data: {
      name: posReference,
      pos_session_id: snapshot.sessionId,
      user_id: snapshot.userId,
      partner_id: snapshot.partnerId ?? false,
      pricelist_id: snapshot.pricelistId ?? defaults.pricelistId ?? false,
      fiscal_position_id: snapshot.fiscalPositionId ?? false,
      sequence_number: sequence,
      creation_date: creation,
      amount_paid: round2(snapshot.amountPaid - snapshot.amountReturn),
      amount_total: snapshot.amountTotal,
      amount_tax: snapshot.amountTax,
      amount_return: snapshot.amountReturn,
      lines: snapshot.lines.map((line, i) => [
        0,
        0,
        {
          qty: line.qty,
          price_unit: line.priceUnit,
          discount: line.discount,
          product_id: line.productId,
          price_subtotal: line.priceSubtotal,
          price_subtotal_incl: line.priceSubtotalIncl,
          tax_ids: [[6, false, [...line.taxIds]]],
          id: i + 1,
        },
      ]),
      statement_ids: snapshot.payments.map((p) => [
        0,
        0,
        {
          name: optionalDate(p.name) ?? creation,
          statement_id: p.statementId,
          journal_id: p.journalId,
          amount: p.amount,
          account_id: p.accountId ?? false,
        },
      ]),
      uid: clientUid(posReference),
    },
  };
}

/** The hub_finalize_snapshot argument (one positional arg: the method is @api.model). */
export interface HubFinalizePayload {
  pos_reference: string;
  config_id: number;
  terminal_id: string;
  /** Exactly what create_from_ui would receive; the addon runs it inside a savepoint. */
  order: UiOrder;
  /** Our line uids in line order, so the addon can answer line_id_map keyed by them. */
  line_uids: string[];
  /** The terminal's snapshot as sent (kitchen status, table, fiscal type… for the addon's own use). */
  snapshot: OrderSnapshot;
}

export function buildHubFinalizePayload(input: { posReference: string; configId: number; terminalId: string; snapshot: OrderSnapshot }): HubFinalizePayload {
  return {
    pos_reference: input.posReference,
    config_id: input.configId,
    terminal_id: input.terminalId,
    order: buildUiOrder(input.snapshot, input.posReference),
    line_uids: input.snapshot.lines.map((l) => l.uid),
    snapshot: input.snapshot,
  };
}
