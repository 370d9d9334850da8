/**
 * Bounded decoding (issue 12, items 1 and 8): every limit of a frame is checked on the raw JSON text or
 * msgpack bytes before a parser runs, prototype keys are dropped, pass-through fields are bounded, and
 * an error carries our code and our words — never a parser's exception text.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FRAME_LIMITS,
  DEFAULT_PASSTHROUGH_LIMITS,
  depthWithin,
  jsonCodec,
  msgpackCodec,
  parseTerminalMessage,
  scanJsonText,
  scanMsgpack,
  type FrameLimits,
} from '../../../src/protocol/index.js';
import { snapshotWithLines } from '../../helpers/terminal.js';

const limits: FrameLimits = { maxBytes: 64 * 1024, maxDepth: 32, maxKeys: 50, maxArray: 100, maxString: 1000 };

/** `{"a":{"a":…}}` nested `levels` deep, as text (built without recursion). */
function deepJsonText(levels: number): string {
  return '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
}

function deepValue(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

/** msgpack for `[[[…]]]` nested `levels` deep, written by hand (msgpackr itself recurses). */
function deepMsgpack(levels: number): Uint8Array {
  const bytes = new Uint8Array(levels + 1);
  bytes.fill(0x91, 0, levels); // fixarray of one element
  bytes[levels] = 0x01;
  return bytes;
}

const order = (n: number) => ({ type: 'ORDER_SNAPSHOT', posReference: 'P1', baseVersion: 0, snapshot: snapshotWithLines('P1', 3, n), mutationId: 'm1' });

describe('JSON pre-scan', () => {
  it('passes a normal 10-line ORDER_SNAPSHOT', () => {
    expect(scanJsonText(JSON.stringify(order(10)), DEFAULT_FRAME_LIMITS)).toBeNull();
    expect(jsonCodec.decode(JSON.stringify(order(10)), DEFAULT_FRAME_LIMITS)).toMatchObject({ ok: true, value: order(10) });
  });

  it('refuses depth one past the limit, and 5,000 and 1,000,000 levels, before JSON.parse', () => {
    expect(scanJsonText(deepJsonText(32), limits)).toBeNull();
    expect(scanJsonText(deepJsonText(33), limits)?.code).toBe('FRAME_TOO_DEEP');
    expect(jsonCodec.decode(deepJsonText(5000), limits)).toMatchObject({ ok: false, error: { code: 'FRAME_TOO_DEEP' } });
    expect(jsonCodec.decode('['.repeat(1_000_000), DEFAULT_FRAME_LIMITS)).toMatchObject({ ok: false, error: { code: 'FRAME_TOO_LARGE' } });
    expect(jsonCodec.decode('['.repeat(100_000), { ...limits, maxBytes: 1_000_000 })).toMatchObject({ ok: false, error: { code: 'FRAME_TOO_DEEP' } });
  });

  it('counts keys per object and elements per array, not across containers', () => {
    const keys = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));
    expect(scanJsonText(keys(50), limits)).toBeNull();
    expect(scanJsonText(keys(51), limits)?.code).toBe('FRAME_TOO_MANY_KEYS');
    expect(scanJsonText(JSON.stringify(Array.from({ length: 100 }, () => 0)), limits)).toBeNull();
    expect(scanJsonText(JSON.stringify(Array.from({ length: 101 }, () => 0)), limits)?.code).toBe('FRAME_ARRAY_TOO_LONG');
    // 3 arrays of 60 elements: each within its own bound.
    expect(scanJsonText(JSON.stringify([Array(60).fill(1), Array(60).fill(1), Array(60).fill(1)]), limits)).toBeNull();
  });

  it('bounds string length and ignores brackets and commas inside strings, escapes included', () => {
    expect(scanJsonText(JSON.stringify({ s: 'x'.repeat(1000) }), limits)).toBeNull();
    expect(scanJsonText(JSON.stringify({ s: 'x'.repeat(1001) }), limits)?.code).toBe('FRAME_STRING_TOO_LONG');
    const tricky = JSON.stringify({ s: '[[[[{{{{,,,,"\\'.repeat(20) });
    expect(scanJsonText(tricky, limits)).toBeNull();
    expect(jsonCodec.decode(tricky, limits)).toMatchObject({ ok: true });
  });

  it('refuses a binary frame over maxBytes before decoding its text', () => {
    const big = new TextEncoder().encode(JSON.stringify({ type: 'HEARTBEAT', pad: 'x'.repeat(900) }));
    expect(jsonCodec.decode(big, { ...limits, maxBytes: 512 })).toMatchObject({ ok: false, error: { code: 'FRAME_TOO_LARGE' } });
  });
});

describe('msgpack pre-scan', () => {
  it('passes a normal 10-line ORDER_SNAPSHOT', () => {
    const frame = msgpackCodec.encode(order(10)) as Uint8Array;
    expect(scanMsgpack(frame, DEFAULT_FRAME_LIMITS)).toBeNull();
    expect(msgpackCodec.decode(frame, DEFAULT_FRAME_LIMITS)).toMatchObject({ ok: true, value: order(10) });
  });

  it('refuses depth past the limit, 5,000 levels included, before msgpackr runs', () => {
    expect(scanMsgpack(deepMsgpack(32), limits)).toBeNull();
    expect(scanMsgpack(deepMsgpack(33), limits)?.code).toBe('FRAME_TOO_DEEP');
    expect(msgpackCodec.decode(deepMsgpack(5000), limits)).toMatchObject({ ok: false, error: { code: 'FRAME_TOO_DEEP' } });
  });

  it('checks declared lengths against the limits and against the bytes present', () => {
    // array32 declaring 4,294,967,295 elements in a 5-byte frame.
    expect(scanMsgpack(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff), limits)?.code).toBe('FRAME_ARRAY_TOO_LONG');
    expect(scanMsgpack(Uint8Array.of(0xdc, 0x00, 0x05, 0x01), limits)?.code).toBe('BAD_FRAME');
    // map32 with 4 billion keys; str32 of 4 GB.
    expect(scanMsgpack(Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff), limits)?.code).toBe('FRAME_TOO_MANY_KEYS');
    expect(scanMsgpack(Uint8Array.of(0xdb, 0xff, 0xff, 0xff, 0xff, 0x61), limits)?.code).toBe('FRAME_STRING_TOO_LONG');
    expect(scanMsgpack(Uint8Array.of(0xda, 0x00, 0x10, 0x61), limits)?.code).toBe('BAD_FRAME');
    const keys = (n: number) => msgpackCodec.encode(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))) as Uint8Array;
    expect(scanMsgpack(keys(50), limits)).toBeNull();
    expect(scanMsgpack(keys(51), limits)?.code).toBe('FRAME_TOO_MANY_KEYS');
  });

  it('refuses extension types other than the timestamp, trailing bytes and the never-used byte', () => {
    expect(scanMsgpack(Uint8Array.of(0xd4, 0x72, 0x00), limits)?.code).toBe('BAD_FRAME');
    // A JS terminal's `{ note: undefined }`: msgpackr writes fixext 1 of type 0, and reads it back.
    const withUndefined = msgpackCodec.encode({ type: 'HEARTBEAT', note: undefined }) as Uint8Array;
    expect(scanMsgpack(withUndefined, limits)).toBeNull();
    expect(msgpackCodec.decode(withUndefined, limits)).toEqual({ ok: true, value: { type: 'HEARTBEAT', note: undefined } });
    expect(scanMsgpack(Uint8Array.of(0xc7, 0x01, 0x01, 0x00), limits)?.code).toBe('BAD_FRAME');
    expect(scanMsgpack(Uint8Array.of(0x01, 0x02), limits)?.code).toBe('BAD_FRAME');
    expect(scanMsgpack(Uint8Array.of(0xc1), limits)?.code).toBe('BAD_FRAME');
    expect(scanMsgpack(msgpackCodec.encode({ at: new Date(0) }) as Uint8Array, limits)).toBeNull();
  });
});

describe('prototype keys', () => {
  it('are dropped at every level from JSON, also when spelled with escapes', () => {
    const text = '{"type":"HEARTBEAT","__proto__":{"polluted":1},"a":[{"constructor":{"prototype":{"x":1}},"keep":2}],"b":{"\\u005f_proto__":3}}';
    const decoded = jsonCodec.decode(text, limits);
    expect(decoded).toEqual({ ok: true, value: { type: 'HEARTBEAT', a: [{ keep: 2 }], b: {} } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('are dropped from msgpack', () => {
    const frame = Uint8Array.of(0x82, 0xa4, ...new TextEncoder().encode('type'), 0xa1, 0x78, 0xab, ...new TextEncoder().encode('constructor'), 0x01);
    expect(msgpackCodec.decode(frame, limits)).toEqual({ ok: true, value: { type: 'x' } });
  });
});

describe('pass-through fields', () => {
  const parse = (message: unknown) => parseTerminalMessage(message, DEFAULT_PASSTHROUGH_LIMITS);
  const withLineExtra = (extra: unknown) => {
    const m = order(2);
    (m.snapshot.lines as Record<string, unknown>[])[1]!.futureField = extra;
    return m;
  };

  it('keep a small unknown field anywhere', () => {
    expect(parse({ ...order(2), note: { a: [1, 2] } })).toMatchObject({ ok: true });
    expect(parse(withLineExtra({ lot: 'A1' }))).toMatchObject({ ok: true, value: { snapshot: { lines: [{}, { futureField: { lot: 'A1' } }] } } });
  });

  it('refuse an unknown field nested deeper than the bound, naming its path', () => {
    expect(parse(withLineExtra(deepValue(8)))).toMatchObject({ ok: true });
    const refused = parse(withLineExtra(deepValue(9)));
    expect(refused).toMatchObject({ ok: false, error: { code: 'PASSTHROUGH_TOO_LARGE', type: 'ORDER_SNAPSHOT' } });
    if (!refused.ok) expect(refused.error.message).toContain('snapshot.lines.1.futureField');
  });

  it('refuse an unknown field larger than the byte bound', () => {
    expect(parse({ ...order(1), blob: 'x'.repeat(DEFAULT_PASSTHROUGH_LIMITS.maxBytes) })).toMatchObject({ ok: false, error: { code: 'PASSTHROUGH_TOO_LARGE' } });
  });

  it('are bounded in every loose schema: floor tables, payments, final snapshots, plain messages', () => {
    const deep = deepValue(9);
    const floor = { type: 'FLOOR_PLAN_UPDATE', floorId: 1, tables: [{ id: 1, extra: deep }] };
    const payment = order(1);
    payment.snapshot.payments = [{ uid: 'p', journalId: 1, statementId: 1, amount: 2, extra: deep }];
    const release = { type: 'LEASE_RELEASE', posReference: 'P1', finalSnapshot: { ...order(1).snapshot, extra: deep } };
    const table = { type: 'TABLE_UPDATE', tableId: 1, status: 'occupied', extra: deep };
    for (const m of [floor, payment, release, table]) expect(parse(m)).toMatchObject({ ok: false, error: { code: 'PASSTHROUGH_TOO_LARGE' } });
  });
});

describe('error messages', () => {
  it('never carry a parser exception text', () => {
    const bad = jsonCodec.decode('{"type": nope}', limits);
    expect(bad).toEqual({ ok: false, error: { code: 'BAD_JSON', message: 'frame is not valid JSON' } });
    // Unbounded (as the SDK decodes), msgpackr overflows its stack on 100,000 levels: still our words.
    const deep = msgpackCodec.decode(deepMsgpack(100_000));
    expect(deep).toEqual({ ok: false, error: { code: 'BAD_FRAME', message: 'frame is not valid msgpack' } });
    const truncated = msgpackCodec.decode(Uint8Array.of(0x92, 0x01));
    expect(truncated).toEqual({ ok: false, error: { code: 'BAD_FRAME', message: 'frame is not valid msgpack' } });
  });
});

describe('depthWithin', () => {
  it('measures without recursion', () => {
    expect(depthWithin(deepValue(10), 10)).toBe(true);
    expect(depthWithin(deepValue(11), 10)).toBe(false);
    expect(depthWithin(deepValue(100_000), 64)).toBe(false);
  });
});
