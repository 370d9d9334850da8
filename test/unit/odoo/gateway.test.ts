/**
 * Pure pieces of the Odoo gateway: the create_from_ui payload built from an OrderSnapshot (contract §3
 * field by field), the hub_finalize_snapshot payload, Odoo datetime formatting, the backoff schedule,
 * and the classification of JSON-RPC error members into HubError codes.
 */
import { describe, expect, it } from 'vitest';
import { buildHubFinalizePayload, buildUiOrder, odooDatetime } from '../../../src/domain/odoo-order.js';
import { BACKOFF_MAX_MS, backoffDelay } from '../../../src/adapters/odoo/forwarder.js';
import { classifyHttpFailure, classifyRpcError } from '../../../src/adapters/odoo/rpc-errors.js';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';

describe('odooDatetime', () => {
  it('formats UTC as YYYY-MM-DD HH:MM:SS without T, milliseconds or Z', () => {
    expect(odooDatetime('2026-11-23T12:30:05.123Z')).toBe('2026-11-23 12:30:05');
    expect(odooDatetime('2026-11-23T08:30:05-04:00')).toBe('2026-11-23 12:30:05');
    expect(() => odooDatetime('yesterday')).toThrow(RangeError);
  });
});

describe('buildUiOrder', () => {
  it('maps a snapshot to the 12.0 create_from_ui order exactly', () => {
    const snap = { ...paidSnapshot('NU/CFG1/S42/1709123456789-3f7a'), amountPaid: 1500, amountReturn: 100.5, fiscalPositionId: null };
    const order = buildUiOrder(snap, snap.posReference);
    expect(order.id).toBe(snap.posReference);
    expect(order.to_invoice).toBe(false);
    expect(Object.keys(order.data).sort()).toEqual(
      ['name', 'pos_session_id', 'user_id', 'partner_id', 'pricelist_id', 'fiscal_position_id', 'sequence_number', 'creation_date', 'amount_paid', 'amount_total', 'amount_tax', 'amount_return', 'lines', 'statement_ids', 'uid'].sort(),
    );
    expect(order.data).toMatchObject({
      name: snap.posReference,
      pos_session_id: 42,
      user_id: snap.userId,
      partner_id: false,
      fiscal_position_id: false,
      pricelist_id: 1,
      creation_date: '2026-11-23 12:00:00',
      amount_paid: 1399.5,
      amount_return: 100.5,
      amount_total: snap.amountTotal,
      uid: '1709123456789-3f7a',
    });
    expect(order.data.lines[0]).toEqual([
      0,
      0,
      { qty: 2, price_unit: 90, discount: 0, product_id: 101, price_subtotal: 180, price_subtotal_incl: 212.4, tax_ids: [[6, false, [1]]], id: 1 },
    ]);
    expect(order.data.statement_ids).toEqual([[0, 0, { name: '2026-11-23 12:30:05', statement_id: 420, journal_id: 7, amount: snap.amountTotal, account_id: false }]]);
  });

  it('prefers paidAt for creation_date and falls back to it for a payment without a date', () => {
    const snap = { ...paidSnapshot('R/2'), paidAt: '2026-11-23T13:00:00Z', sequenceNumber: 17 };
    snap.payments[0] = { ...snap.payments[0]!, name: 'Cash' };
    const order = buildUiOrder(snap, 'R/2');
    expect(order.data.creation_date).toBe('2026-11-23 13:00:00');
    expect(order.data.sequence_number).toBe(17);
    expect(order.data.statement_ids[0]![2].name).toBe('2026-11-23 13:00:00');
  });

  it('wraps the same order in the hub_finalize_snapshot payload with the line uids', () => {
    const snap = paidSnapshot('R/3');
    const p = buildHubFinalizePayload({ posReference: 'R/3', configId: 1, terminalId: 't-9', snapshot: snap });
    expect(p).toMatchObject({ pos_reference: 'R/3', config_id: 1, terminal_id: 't-9', line_uids: ['R/3-l1', 'R/3-l2'] });
    expect(p.order).toEqual(buildUiOrder(snap, 'R/3'));
  });
});

describe('backoffDelay', () => {
  it('doubles from 1 s with jitter in [0.5, 1] and caps at 5 minutes', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(1, () => 0)).toBe(500);
    expect(backoffDelay(40, () => 1)).toBe(BACKOFF_MAX_MS);
    expect(backoffDelay(40, () => 0)).toBe(BACKOFF_MAX_MS / 2);
  });
});

describe('classifyRpcError', () => {
  const err = (code: number, exception_type: string, name: string, args: unknown[]) => ({ code, message: 'Odoo Server Error', data: { name, exception_type, arguments: args, message: String(args[0]) } });

  it.each([
    ['user_error', 'odoo.exceptions.UserError'],
    ['validation_error', 'odoo.exceptions.ValidationError'],
    ['access_error', 'odoo.exceptions.AccessError'],
    ['access_denied', 'odoo.exceptions.AccessDenied'],
    ['missing_error', 'odoo.exceptions.MissingError'],
    ['warning', 'odoo.exceptions.RedirectWarning'],
  ])('%s is ODOO_REJECTED, final, with arguments[0]', (type, name) => {
    const e = classifyRpcError(err(200, type, name, ['Human text', null]), 'pos.order.create_from_ui', 200);
    expect(e).toMatchObject({ code: 'ODOO_REJECTED', retryable: false, message: 'Human text' });
  });

  it('separates transient database errors from deterministic internal errors', () => {
    expect(classifyRpcError(err(200, 'internal_error', 'psycopg2.extensions.TransactionRollbackError', ['x']), 'm', 200).code).toBe('ODOO_UNREACHABLE');
    expect(classifyRpcError(err(200, 'internal_error', 'psycopg2.errors.SerializationFailure', ['x']), 'm', 200).retryable).toBe(true);
    expect(classifyRpcError(err(200, 'internal_error', 'psycopg2.OperationalError', ['server closed the connection unexpectedly']), 'm', 200).code).toBe('ODOO_UNREACHABLE');
    expect(classifyRpcError(err(200, 'internal_error', 'psycopg2.OperationalError', ['FATAL:  database "x" does not exist']), 'm', 200).code).toBe('ODOO_REJECTED');
    expect(classifyRpcError(err(200, 'internal_error', 'builtins.KeyError', ['to_invoice']), 'm', 200)).toMatchObject({ code: 'ODOO_REJECTED', retryable: false });
  });

  it('maps code 100 to ODOO_SESSION_EXPIRED and 404 to ODOO_PROTOCOL', () => {
    expect(classifyRpcError(err(100, 'internal_error', 'odoo.http.SessionExpiredException', ['Session expired']), 'm', 200).code).toBe('ODOO_SESSION_EXPIRED');
    expect(classifyRpcError(err(404, 'internal_error', 'werkzeug.exceptions.NotFound', []), 'm', 404).code).toBe('ODOO_PROTOCOL');
  });

  it('maps 5xx pages to ODOO_UNREACHABLE and other non-JSON answers to ODOO_PROTOCOL', () => {
    expect(classifyHttpFailure(504, 'text/html', 'm')).toMatchObject({ code: 'ODOO_UNREACHABLE', retryable: true });
    expect(classifyHttpFailure(400, 'text/html', 'm')).toMatchObject({ code: 'ODOO_PROTOCOL', retryable: true });
    expect(classifyHttpFailure(200, 'text/html', 'm').code).toBe('ODOO_PROTOCOL');
  });
});
