/**
 * Issue 12 regressions on a real hub, items 1, 5, 6, 7 and 8: each frame limit answered with its own
 * ERROR code while the connection stays; before AUTH only a small AUTH frame is read; floor plans are
 * manager-only, validated and capped; order values are checked; ERROR messages are our words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal, snapshot, snapshotWithLines } from '../../helpers/terminal.js';

describe('frame bounds on a real hub', () => {
  let hub: StartedHub;
  beforeAll(async () => {
    hub = await startHub({
      env: {
        HUB_MAX_PAYLOAD: String(256 * 1024),
        HUB_FRAME_MAX_BYTES: String(64 * 1024),
        HUB_FRAME_MAX_KEYS: '64',
        HUB_FRAME_MAX_ARRAY: '3000',
        HUB_FRAME_MAX_STRING: '2048',
        HUB_PREAUTH_MAX_BYTES: '1024',
        HUB_FLOOR_PLAN_MAX_BYTES: '4096',
      },
    });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('answers every frame limit with its own code and keeps the connection', async () => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'limits' });
    const cases: Array<[string, string]> = [
      [JSON.stringify({ type: 'HEARTBEAT', pad: Array.from({ length: 40 }, () => 'y'.repeat(2000)) }), 'FRAME_TOO_LARGE'],
      ['{"type":"HEARTBEAT","x":' + '['.repeat(40) + ']'.repeat(40) + '}', 'FRAME_TOO_DEEP'],
      [JSON.stringify({ type: 'HEARTBEAT', ...Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, i])) }), 'FRAME_TOO_MANY_KEYS'],
      [JSON.stringify({ type: 'HEARTBEAT', list: Array.from({ length: 3001 }, () => 0) }), 'FRAME_ARRAY_TOO_LONG'],
      [JSON.stringify({ type: 'HEARTBEAT', note: 'z'.repeat(2049) }), 'FRAME_STRING_TOO_LONG'],
    ];
    for (const [frame, code] of cases) {
      t.sendRaw(frame);
      const error = await t.awaitType('ERROR');
      expect(error, code).toMatchObject({ code });
      expect(String(error.message)).not.toMatch(/Error|at |stack/);
    }
    t.send({ type: 'HEARTBEAT' });
    await t.awaitType('HEARTBEAT_ACK');
    expect(t.closeInfo).toBeNull();
    await t.close();
  });

  it('before AUTH reads only a small frame: a larger one is refused undecoded, the socket may still sign in', async () => {
    const t = await TestTerminal.open(hub.wsUrl, { deviceId: 'pre-auth' });
    // Not JSON at all: had it been decoded the answer would be BAD_JSON.
    t.sendRaw('{' + 'x'.repeat(2000));
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'PREAUTH_FRAME_TOO_LARGE' });
    // An AUTH too large is refused the same way, whatever it says.
    t.sendRaw(JSON.stringify({ type: 'AUTH', token: 't'.repeat(1200), deviceId: 'pre-auth' }));
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'PREAUTH_FRAME_TOO_LARGE' });
    // Small but not AUTH: refused by its type alone, before any schema (an invalid body is not reported).
    t.send({ type: 'ORDER_SNAPSHOT', posReference: 'X', baseVersion: -5 });
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'NOT_AUTHENTICATED', ref: { type: 'ORDER_SNAPSHOT', posReference: 'X' } });
    const { authOk } = await t.authenticate();
    expect(authOk.type).toBe('AUTH_OK');
    await t.close();
  });

  it('lets only a manager change a floor plan, validated and within HUB_FLOOR_PLAN_MAX_BYTES', async () => {
    const cashier = await TestTerminal.connect(hub.wsUrl, { deviceId: 'fp-cashier', token: 'dev:cashier:ann' });
    const manager = await TestTerminal.connect(hub.wsUrl, { deviceId: 'fp-manager' });
    const plan = { type: 'FLOOR_PLAN_UPDATE', floorId: 7, tables: [{ id: 1, name: 'T1', x: 10, y: 20, width: 80, height: 80, seats: 4, shape: 'round' }] };

    cashier.send(plan);
    expect(await cashier.awaitType('ERROR')).toMatchObject({ code: 'FORBIDDEN', ref: { type: 'FLOOR_PLAN_UPDATE' } });

    manager.send({ ...plan, tables: Array.from({ length: 120 }, (_, i) => ({ id: i + 1, name: `Table number ${i + 1}`, x: i * 10, y: i * 10 })) });
    expect(await manager.awaitType('ERROR')).toMatchObject({ code: 'FLOOR_PLAN_TOO_LARGE' });
    for (const bad of [
      [{ id: 1, x: 1e9 }],
      [{ id: 1 }, { id: 1 }],
      [{ id: 1, seats: 5000 }],
      [{ id: -3 }],
      [{ id: 1, width: -10 }],
    ]) {
      manager.send({ ...plan, tables: bad });
      expect(await manager.awaitType('ERROR'), JSON.stringify(bad)).toMatchObject({ code: 'INVALID_MESSAGE' });
    }

    manager.send(plan);
    const changed = await cashier.awaitType('FLOOR_PLAN_CHANGED');
    expect(changed).toMatchObject({ floorId: 7, tables: plan.tables, sourceTerminal: 'fp-manager' });
    await Promise.all([cashier.close(), manager.close()]);
  });

  it('refuses order values no till produces and accepts a refund line', async () => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'values' });
    t.send({ type: 'LEASE_ACQUIRE', posReference: 'V-1', baseVersion: 0 });
    await t.awaitType('LEASE_GRANTED');
    const line = (over: Record<string, unknown>) => ({ ...(snapshotWithLines('V-1', null, 1).lines as object[])[0], ...over });
    const write = (lines: object[], amountTotal: number, mutationId: string) =>
      t.send({ type: 'ORDER_SNAPSHOT', posReference: 'V-1', baseVersion: 0, mutationId, snapshot: snapshot('V-1', null, { lines, amountTotal }) });

    write([line({ qty: 0, priceSubtotal: 0, priceSubtotalIncl: 0 })], 0, 'zero');
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'ORDER_VALUE_INVALID', ref: { mutationId: 'zero' } });
    write([line({ priceUnit: -1e300, priceSubtotal: -1e300, priceSubtotalIncl: -1e300 })], -1e300, 'huge');
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'ORDER_VALUE_INVALID', ref: { mutationId: 'huge' } });
    write([line({ qty: 0.3333, priceSubtotal: 0.67, priceSubtotalIncl: 0.67 })], 0.67, 'fraction');
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'ORDER_VALUE_INVALID', ref: { mutationId: 'fraction' } });
    write([line({ qty: -5, priceUnit: -2, priceSubtotal: 10, priceSubtotalIncl: 10 })], 10, 'double-negative');
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'ORDER_VALUE_INVALID', ref: { mutationId: 'double-negative' } });
    write([line({})], 99, 'total');
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'ORDER_TOTALS_MISMATCH', ref: { mutationId: 'total' } });

    // A return: the quantity negated, the price kept (how Odoo 12 writes a refund line).
    write([line({}), line({ uid: 'r1', qty: -1, priceSubtotal: -2, priceSubtotalIncl: -2 })], 0, 'refund');
    expect(await t.awaitType('ORDER_ACK')).toMatchObject({ posReference: 'V-1', version: 1, mutationId: 'refund' });
    await t.close();
  });

  it('never echoes parser exception text', async () => {
    const json = await TestTerminal.connect(hub.wsUrl, { deviceId: 'words-json' });
    json.sendRaw('{"type": nope}');
    expect(await json.awaitType('ERROR')).toEqual({ type: 'ERROR', code: 'BAD_JSON', message: 'frame is not valid JSON' });
    const packed = await TestTerminal.connect(hub.wsUrl, { deviceId: 'words-msgpack', encoding: 'msgpack' });
    packed.sendRaw(Buffer.from([0x93, 0x01]));
    expect(await packed.awaitType('ERROR')).toEqual({ type: 'ERROR', code: 'BAD_FRAME', message: 'frame is not valid msgpack' });
    // 5,000 levels used to come back as "invalid msgpack: Maximum call stack size exceeded".
    packed.sendRaw(Buffer.concat([Buffer.alloc(5000, 0x91), Buffer.from([0x01])]));
    expect(await packed.awaitType('ERROR')).toEqual({ type: 'ERROR', code: 'FRAME_TOO_DEEP', message: 'frame nests deeper than 32 levels' });
    await Promise.all([json.close(), packed.close()]);
  });
});
