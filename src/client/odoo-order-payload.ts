/**
 * Order snapshot → the Odoo 12 `create_from_ui` order dict, for direct mode (the stock POS client's
 * export_as_JSON shape, odoo12-wire-contract.md §3): the posReference is `data.name`, Odoo's dedupe key;
 * creation_date and payment names are "YYYY-MM-DD HH:MM:SS" UTC, which 12.0's strptime insists on.
 */
import type { OrderSnapshot } from '../protocol/snapshot.js';

export interface OdooOrderDefaults {
  /** Used when the snapshot has no pricelistId (the POS config's pricelist). */
  readonly pricelistId: number;
  readonly sequenceNumber?: number;
}

/** ISO 8601 (any offset) or epoch ms → "YYYY-MM-DD HH:MM:SS" in UTC. */
export function odooDatetime(value: string | number): string {
  const date = new Date(value);
  const iso = Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

export function toCreateFromUiOrder(snapshot: OrderSnapshot, defaults: OdooOrderDefaults, nowMs: number): Record<string, unknown> {
  const paidAt = odooDatetime(nowMs);
  return {
    id: snapshot.posReference,
    to_invoice: false,
    data: {
      name: snapshot.posReference,
      uid: snapshot.posReference,
      pos_session_id: snapshot.sessionId,
      user_id: snapshot.userId,
      partner_id: snapshot.partnerId ?? false,
      pricelist_id: snapshot.pricelistId ?? defaults.pricelistId,
      fiscal_position_id: snapshot.fiscalPositionId ?? false,
      sequence_number: defaults.sequenceNumber ?? 1,
      creation_date: odooDatetime(snapshot.createdAt),
      // 12.x sends amount_paid as total tendered minus change.
      amount_paid: snapshot.amountPaid - snapshot.amountReturn,
      amount_total: snapshot.amountTotal,
      amount_tax: snapshot.amountTax,
      amount_return: snapshot.amountReturn,
      lines: snapshot.lines.map((line, index) => [
        0,
        0,
        {
          id: index + 1,
          product_id: line.productId,
          qty: line.qty,
          price_unit: line.priceUnit,
          discount: line.discount,
          price_subtotal: line.priceSubtotal,
          price_subtotal_incl: line.priceSubtotalIncl,
          tax_ids: [[6, false, line.taxIds]],
          ...(line.note === undefined ? {} : { note: line.note }),
        },
      ]),
      statement_ids: snapshot.payments.map((payment) => [
        0,
        0,
        {
          name: paidAt,
          statement_id: payment.statementId,
          journal_id: payment.journalId,
          account_id: payment.accountId ?? false,
          amount: payment.amount,
        },
      ]),
    },
  };
}
