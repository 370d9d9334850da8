/**
 * The simulator's stored row shapes (pos.order, pos.order.line, account.bank.statement.line,
 * pos.session), shared by the write side (pos-data.ts), the ORM read side (orm-read.ts) and the
 * catalog models; field names are Odoo 12's so search_read returns them as they are.
 */

/** A row as the ORM returns it: field name → value. */
export type Dict = Record<string, unknown>;

export interface PosOrderRec {
  id: number;
  name: string;
  pos_reference: string;
  session_id: number;
  config_id: number;
  state: 'draft' | 'paid';
  date_order: string;
  user_id: number | false;
  partner_id: number | false;
  pricelist_id: number;
  fiscal_position_id: number | false;
  sequence_number: number;
  amount_total: number;
  amount_tax: number;
  amount_paid: number;
  amount_return: number;
  lines: number[];
  statement_ids: number[];
}

export interface PosLineRec {
  id: number;
  order_id: number;
  name: string;
  product_id: number;
  qty: number;
  price_unit: number;
  discount: number;
  price_subtotal: number;
  price_subtotal_incl: number;
  tax_ids: number[];
}

export interface StatementLineRec {
  id: number;
  pos_statement_id: number;
  statement_id: number;
  journal_id: number;
  amount: number;
  date: string;
}

export interface PosSessionRec {
  id: number;
  name: string;
  config_id: number;
  state: 'opened' | 'closing_control' | 'closed';
  sequence_number: number;
  statements: { id: number; journalId: number }[];
  rescue: boolean;
  /** The responsible user (who opened it). */
  user_id: number | false;
}
