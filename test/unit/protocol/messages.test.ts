/**
 * Wire compatibility with the reference system: its message names and field names parse exactly as a
 * reference terminal sends them, our additions are optional, and every kind of malformed message
 * gets a readable, typed error naming the field.
 */
import { describe, expect, it } from 'vitest';
import {
  HUB_MESSAGE_TYPES,
  TERMINAL_MESSAGE_TYPES,
  hubMessageSchemas,
  parseHubMessage,
  parseProtocolMessage,
  parseTerminalMessage,
  refOf,
  terminalMessageSchemas,
  type OrderSnapshot,
} from '../../../src/protocol/index.js';

const snapshot: OrderSnapshot = {
  posReference: 'NU/CFG1/S42/1709123456789-3f7a',
  tableId: 3,
  state: 'editing',
  kitchenStatus: 'open',
  sessionId: 42,
  userId: 2,
  lines: [{ uid: 'l1', productId: 7, qty: 2, priceUnit: 4.5, discount: 0, taxIds: [1], priceSubtotal: 9, priceSubtotalIncl: 10.62 }],
  payments: [],
  amountTotal: 10.62,
  amountTax: 1.62,
  amountPaid: 0,
  amountReturn: 0,
  createdAt: '2026-11-23T18:00:00.000Z',
};

/** Frames exactly as the reference documents them (reference-system.md §2.1), without any of our additions. */
const referenceTerminalFrames: Record<string, unknown> = {
  AUTH: { type: 'AUTH', token: 'your-odoo-session-id', deviceId: 'test-001' },
  HEARTBEAT: { type: 'HEARTBEAT' },
  LEASE_ACQUIRE: { type: 'LEASE_ACQUIRE', posReference: snapshot.posReference, baseVersion: 0 },
  LEASE_RELEASE: { type: 'LEASE_RELEASE', posReference: snapshot.posReference },
  LEASE_HEARTBEAT: { type: 'LEASE_HEARTBEAT', posReference: snapshot.posReference },
  ORDER_SNAPSHOT: { type: 'ORDER_SNAPSHOT', posReference: snapshot.posReference, baseVersion: 1, snapshot },
  ORDER_FINALIZE: { type: 'ORDER_FINALIZE', posReference: snapshot.posReference, snapshot, configId: 1 },
  ORDER_TRANSFER: { type: 'ORDER_TRANSFER', fromPosReference: snapshot.posReference, toPosReference: 'NU/CFG1/S42/1-b', lineUids: ['l1'] },
  TABLE_UPDATE: { type: 'TABLE_UPDATE', tableId: 3, status: 'occupied' },
  TABLE_LOCK_ACQUIRE: { type: 'TABLE_LOCK_ACQUIRE', tableId: 3 },
  TABLE_LOCK_RELEASE: { type: 'TABLE_LOCK_RELEASE', tableId: 3 },
  TABLE_LOCK_HEARTBEAT: { type: 'TABLE_LOCK_HEARTBEAT', tableId: 3 },
  TABLE_LOCK_FORCE_ACQUIRE: { type: 'TABLE_LOCK_FORCE_ACQUIRE', tableId: 3 },
  TICKET_NUMBER_REQUEST: { type: 'TICKET_NUMBER_REQUEST', orderType: 'takeout' },
  FLOOR_PLAN_UPDATE: { type: 'FLOOR_PLAN_UPDATE', floorId: 1, tables: [{ id: 3, x: 10, y: 20 }] },
};

describe('terminal → hub messages', () => {
  it('covers the reference catalogue: 13 types, bare HEARTBEAT, and our ORDER_TRANSFER', () => {
    expect(new Set(TERMINAL_MESSAGE_TYPES)).toEqual(new Set(Object.keys(referenceTerminalFrames)));
  });

  it.each(Object.entries(referenceTerminalFrames))('parses a reference %s frame unchanged', (_type, frame) => {
    expect(parseTerminalMessage(frame)).toEqual({ ok: true, value: frame });
  });

  it('keeps unknown fields of a newer terminal, at the top level and inside the snapshot', () => {
    const frame = { type: 'ORDER_SNAPSHOT', posReference: snapshot.posReference, baseVersion: 1, snapshot: { ...snapshot, ncfType: 'B02', lines: [{ ...snapshot.lines[0], modifiers: ['no onion'] }] }, traceId: 't-1' };
    expect(parseTerminalMessage(frame)).toEqual({ ok: true, value: frame });
  });

  it.each(TERMINAL_MESSAGE_TYPES.filter((t) => t !== 'HEARTBEAT'))('names the missing fields of an empty %s', (type) => {
    const result = parseTerminalMessage({ type });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('INVALID_MESSAGE');
    expect(result.error.message.startsWith(`${type}: `)).toBe(true);
    const shape = terminalMessageSchemas[type].shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
    const required = Object.keys(shape).filter((k) => k !== 'type' && !shape[k]!.safeParse(undefined).success);
    for (const field of required) expect(result.error.message).toContain(field);
  });

  const bad: [string, unknown, string][] = [
    ['null', null, 'INVALID_MESSAGE'],
    ['an array', [{ type: 'AUTH' }], 'INVALID_MESSAGE'],
    ['a number', 42, 'INVALID_MESSAGE'],
    ['a string', 'AUTH', 'INVALID_MESSAGE'],
    ['no type', { token: 'x' }, 'INVALID_MESSAGE'],
    ['a numeric type', { type: 7 }, 'INVALID_MESSAGE'],
    ['an unknown type', { type: 'DROP_TABLE' }, 'UNKNOWN_TYPE'],
    ['a hub-only type', { type: 'ORDER_UPDATED' }, 'UNKNOWN_TYPE'],
    ['an inherited property as type', { type: 'constructor' }, 'UNKNOWN_TYPE'],
    ['a string tableId', { type: 'TABLE_LOCK_ACQUIRE', tableId: '3' }, 'INVALID_MESSAGE'],
    ['a fractional tableId', { type: 'TABLE_LOCK_ACQUIRE', tableId: 3.5 }, 'INVALID_MESSAGE'],
    ['a negative baseVersion', { type: 'LEASE_ACQUIRE', posReference: 'x', baseVersion: -1 }, 'INVALID_MESSAGE'],
    ['an empty posReference', { type: 'LEASE_HEARTBEAT', posReference: '' }, 'INVALID_MESSAGE'],
    ['an oversized posReference', { type: 'LEASE_HEARTBEAT', posReference: 'x'.repeat(129) }, 'INVALID_MESSAGE'],
    ['an unknown orderType', { type: 'TICKET_NUMBER_REQUEST', orderType: 'dine-in' }, 'INVALID_MESSAGE'],
    ['an empty deviceId', { type: 'AUTH', token: '', deviceId: '' }, 'INVALID_MESSAGE'],
    ['a snapshot with a bad state', { type: 'ORDER_SNAPSHOT', posReference: 'x', baseVersion: 0, snapshot: { ...snapshot, state: 'cooking' } }, 'INVALID_MESSAGE'],
    ['a snapshot with a NaN-like qty', { type: 'ORDER_SNAPSHOT', posReference: 'x', baseVersion: 0, snapshot: { ...snapshot, lines: [{ ...snapshot.lines[0], qty: 'two' }] } }, 'INVALID_MESSAGE'],
    ['a snapshot with a bad date', { type: 'ORDER_FINALIZE', posReference: 'x', configId: 1, snapshot: { ...snapshot, createdAt: 'yesterday' } }, 'INVALID_MESSAGE'],
    ['an empty transfer', { type: 'ORDER_TRANSFER', fromPosReference: 'a', toPosReference: 'b', lineUids: [] }, 'INVALID_MESSAGE'],
  ];
  it.each(bad)('refuses %s', (_what, value, code) => {
    const result = parseTerminalMessage(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(code);
  });

  it('points at the nested field that is wrong', () => {
    const result = parseTerminalMessage({ type: 'ORDER_SNAPSHOT', posReference: 'x', baseVersion: 0, snapshot: { ...snapshot, lines: [{ ...snapshot.lines[0], qty: 'two' }] } });
    expect(!result.ok && result.error.message).toContain('snapshot.lines.0.qty');
  });

  it('caps the length of an echoed unknown type', () => {
    const result = parseTerminalMessage({ type: 'X'.repeat(10_000) });
    expect(!result.ok && result.error.message.length).toBeLessThan(200);
  });
});

describe('hub → terminal messages', () => {
  it('keeps the reference field names of the documented types', () => {
    const fields = (type: keyof typeof hubMessageSchemas) => Object.keys(hubMessageSchemas[type].shape);
    expect(fields('AUTH_OK')).toEqual(expect.arrayContaining(['terminalId', 'role']));
    expect(fields('AUTH_FAIL')).toEqual(expect.arrayContaining(['reason']));
    expect(fields('LEASE_GRANTED')).toEqual(expect.arrayContaining(['posReference', 'version', 'expiresAt']));
    expect(fields('LEASE_DENIED')).toEqual(expect.arrayContaining(['posReference', 'holder', 'reason']));
    expect(fields('LEASE_REVOKED')).toEqual(expect.arrayContaining(['posReference', 'reason', 'snapshot']));
    expect(fields('ORDER_UPDATED')).toEqual(expect.arrayContaining(['posReference', 'version', 'snapshot', 'sourceTerminal']));
    expect(fields('ORDER_FINALIZED')).toEqual(expect.arrayContaining(['posReference', 'orderId', 'lineIdMap', 'fiscal']));
    expect(fields('ORDER_FINALIZE_ERROR')).toEqual(expect.arrayContaining(['posReference', 'error', 'retryable']));
    expect(fields('CONFLICT')).toEqual(expect.arrayContaining(['posReference', 'hubVersion', 'hubSnapshot']));
    expect(fields('TABLE_LOCK_DENIED')).toEqual(expect.arrayContaining(['tableId', 'lockedBy']));
    expect(fields('ORDER_ACK')).toEqual(expect.arrayContaining(['posReference', 'version', 'mutationId']));
    expect(fields('ERROR')).toEqual(expect.arrayContaining(['code', 'message', 'ref']));
  });

  it('treats our additions (seq, epoch) as optional', () => {
    expect(parseHubMessage({ type: 'ORDER_UPDATED', posReference: 'x', version: 2, snapshot, sourceTerminal: 't1' }).ok).toBe(true);
    expect(parseHubMessage({ type: 'LEASE_GRANTED', posReference: 'x', version: 2, expiresAt: 1 }).ok).toBe(true);
    expect(parseHubMessage({ type: 'TABLE_LOCK_GRANTED', tableId: 1 }).ok).toBe(true);
  });

  it('refuses an ERROR with a code outside the catalogue', () => {
    expect(parseHubMessage({ type: 'ERROR', code: 'OOPS', message: 'x' }).ok).toBe(false);
  });

  it('lists every hub type exactly once', () => {
    expect(new Set(HUB_MESSAGE_TYPES).size).toBe(HUB_MESSAGE_TYPES.length);
  });
});

describe('parseProtocolMessage and refOf', () => {
  it('tells the direction of a frame', () => {
    expect(parseProtocolMessage({ type: 'HEARTBEAT' })).toMatchObject({ ok: true, value: { direction: 'terminal' } });
    expect(parseProtocolMessage({ type: 'HEARTBEAT_ACK', serverTime: 1 })).toMatchObject({ ok: true, value: { direction: 'hub' } });
    expect(parseProtocolMessage({ type: 'NOPE' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_TYPE' } });
    expect(parseProtocolMessage({ type: 'AUTH' })).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
  });

  it('echoes what identifies a frame, even an invalid one', () => {
    expect(refOf({ type: 'ORDER_SNAPSHOT', posReference: 'p', mutationId: 'm', tableId: 'x' })).toEqual({ type: 'ORDER_SNAPSHOT', posReference: 'p', mutationId: 'm' });
    expect(refOf(null)).toBeUndefined();
    expect(refOf({ foo: 1 })).toBeUndefined();
  });
});
