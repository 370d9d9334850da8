/**
 * Connection lifecycle against a real hub: bad input answered with ERROR{code, message, ref} while the
 * socket stays open, pre-AUTH frames, oversize frames (1009), abuse (4002), AUTH timeout (4000),
 * REPLACED (4004), msgpack negotiation both ways, `lastSeq` resume, and the admin reset (4005).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ABUSE_LIMIT } from '../../../src/front/session.js';
import { TestClock } from '../../helpers/clocks.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal, snapshot, snapshotWithLines } from '../../helpers/terminal.js';


describe('hub connection lifecycle', () => {
  let hub: StartedHub;
  beforeAll(async () => {
    hub = await startHub({ env: { HUB_MAX_PAYLOAD: '4096', HUB_ADMIN_TOKEN: 'secret-admin' } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('refuses frames before AUTH and keeps the socket open', async () => {
    const t = await TestTerminal.open(hub.wsUrl, { deviceId: 'pre' });
    t.send({ type: 'LEASE_ACQUIRE', posReference: 'X', baseVersion: 0 });
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'NOT_AUTHENTICATED', ref: { type: 'LEASE_ACQUIRE', posReference: 'X' } });
    await t.authenticate();
    t.send({ type: 'AUTH', token: '', deviceId: 'pre' });
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'ALREADY_AUTHENTICATED' });
    await t.close();
  });

  it('answers invalid JSON, unknown types and schema violations with ERROR and stays usable', async () => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'bad' });
    t.sendRaw('{"type":');
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'BAD_JSON' });
    t.send({ type: 'NOPE', posReference: 'P' });
    expect(await t.awaitType('ERROR')).toMatchObject({ code: 'UNKNOWN_TYPE', ref: { type: 'NOPE', posReference: 'P' } });
    t.send({ type: 'ORDER_SNAPSHOT', posReference: 'P', baseVersion: -1, snapshot: { posReference: 'P' }, mutationId: 'm9' });
    const invalid = await t.awaitType('ERROR');
    expect(invalid).toMatchObject({ code: 'INVALID_MESSAGE', ref: { type: 'ORDER_SNAPSHOT', posReference: 'P', mutationId: 'm9' } });
    expect(String(invalid.message)).toContain('baseVersion');
    t.send({ type: 'HEARTBEAT' });
    expect(await t.awaitType('HEARTBEAT_ACK')).toBeTruthy();
    expect(t.closeInfo).toBeNull();
    await t.close();
  });

  it('closes a frame over HUB_MAX_PAYLOAD with 1009', async () => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'big' });
    t.sendRaw(JSON.stringify({ type: 'HEARTBEAT', pad: 'x'.repeat(8192) }));
    expect((await t.closed).code).toBe(1009);
  });

  it(`closes after ${ABUSE_LIMIT} invalid frames with 4002`, async () => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'abuser' });
    for (let i = 0; i < ABUSE_LIMIT; i++) t.sendRaw('not json');
    expect((await t.closed).code).toBe(4002);
  });

  it('closes a socket that never sends AUTH with 4000, at HUB_AUTH_TIMEOUT_MS and not before', async () => {
    // Its own hub on a TestClock: the timeout is reached by moving time, so a slow machine neither
    // closes the other tests' sockets before they sign in nor decides when this one closes.
    const clock = new TestClock();
    const timed = await startHub({ env: { HUB_AUTH_TIMEOUT_MS: '300' }, clock });
    try {
      const t = await TestTerminal.open(timed.wsUrl, { deviceId: 'silent' });
      const stillOpen = async (): Promise<void> => {
        t.send({ type: 'HEARTBEAT' });
        expect(await t.awaitType('ERROR')).toMatchObject({ code: 'NOT_AUTHENTICATED' });
      };
      await stillOpen(); // the hub has registered the socket and started its AUTH timer
      clock.advance(299);
      await stillOpen();
      clock.advance(1);
      expect(await t.awaitType('ERROR')).toMatchObject({ code: 'AUTH_TIMEOUT' });
      expect((await t.closed).code).toBe(4000);
    } finally {
      await timed.close();
    }
  });

  it('closes the older socket of a deviceId with REPLACED (4004)', async () => {
    const first = await TestTerminal.connect(hub.wsUrl, { deviceId: 'dup' });
    const second = await TestTerminal.connect(hub.wsUrl, { deviceId: 'dup' });
    expect((await first.closed).code).toBe(4004);
    second.send({ type: 'HEARTBEAT' });
    expect(await second.awaitType('HEARTBEAT_ACK')).toBeTruthy();
    await second.close();
  });

  for (const negotiate of ['subprotocol', 'query'] as const) {
    it(`speaks msgpack both ways when negotiated by ${negotiate}`, async () => {
      const t = await TestTerminal.connect(hub.wsUrl, { deviceId: `mp-${negotiate}`, encoding: 'msgpack', negotiate });
      expect(t.messages[0]).toMatchObject({ type: 'AUTH_OK', encoding: 'msgpack' });
      if (negotiate === 'subprotocol') expect(t.ws.protocol).toBe('pos-hub.msgpack.v1');
      t.send({ type: 'LEASE_ACQUIRE', posReference: `MP-${negotiate}`, baseVersion: 0 });
      expect(await t.awaitType('LEASE_GRANTED')).toMatchObject({ posReference: `MP-${negotiate}` });
      t.send({ type: 'ORDER_SNAPSHOT', posReference: `MP-${negotiate}`, baseVersion: 0, snapshot: snapshot(`MP-${negotiate}`, null) });
      expect(await t.awaitType('ORDER_ACK')).toMatchObject({ version: 1 });
      t.sendRaw('{"type":"HEARTBEAT"}');
      expect(await t.awaitType('ERROR')).toMatchObject({ code: 'BAD_FRAME' });
      await t.close();
    });
  }

  it('resumes from lastSeq with exactly the missed events, in order', async () => {
    const writer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'res-writer' });
    const reader = await TestTerminal.connect(hub.wsUrl, { deviceId: 'res-reader' });
    writer.send({ type: 'LEASE_ACQUIRE', posReference: 'R-1', baseVersion: 0, tableId: 20 });
    await writer.awaitType('LEASE_GRANTED');
    writer.send({ type: 'ORDER_SNAPSHOT', posReference: 'R-1', baseVersion: 0, snapshot: snapshotWithLines('R-1', 20, 1) });
    await reader.awaitType('ORDER_UPDATED', (m) => m.posReference === 'R-1' && m.version === 1);
    const lastSeq = reader.lastSeq;
    await reader.close();

    const expected: number[] = [];
    writer.send({ type: 'ORDER_SNAPSHOT', posReference: 'R-1', baseVersion: 1, snapshot: snapshotWithLines('R-1', 20, 2) });
    expected.push(Number((await writer.awaitType('ORDER_ACK', (m) => m.version === 2)).seq));
    writer.send({ type: 'TABLE_UPDATE', tableId: 20, status: 'occupied', posReference: 'R-1' });
    expected.push(Number((await writer.awaitType('TABLE_UPDATED')).seq));
    writer.send({ type: 'ORDER_SNAPSHOT', posReference: 'R-1', baseVersion: 2, snapshot: snapshotWithLines('R-1', 20, 3) });
    expected.push(Number((await writer.awaitType('ORDER_ACK', (m) => m.version === 3)).seq));

    const back = await TestTerminal.open(hub.wsUrl, { deviceId: 'res-reader', lastSeq });
    const { sync } = await back.authenticate();
    expect(sync).toMatchObject({ type: 'SYNC_RESUME', fromSeq: lastSeq + 1, count: 3 });
    const replayed = [await back.awaitType('ORDER_UPDATED'), await back.awaitType('TABLE_UPDATED'), await back.awaitType('ORDER_UPDATED')];
    expect(replayed.map((m) => m.seq)).toEqual(expected);
    expect(replayed.map((m) => m.version ?? m.status)).toEqual([2, 'occupied', 3]);
    // Exactly those: nothing else was sent between the resume header and a fresh heartbeat.
    back.send({ type: 'HEARTBEAT' });
    await back.awaitType('HEARTBEAT_ACK');
    expect(back.messages.map((m) => m.type)).toEqual(['AUTH_OK', 'SYNC_RESUME', 'ORDER_UPDATED', 'TABLE_UPDATED', 'ORDER_UPDATED', 'HEARTBEAT_ACK']);

    // A lastSeq the log does not cover (from the future) falls back to a full SYNC_INIT.
    const lost = await TestTerminal.open(hub.wsUrl, { deviceId: 'res-lost', lastSeq: 10_000_000 });
    expect((await lost.authenticate()).sync).toMatchObject({ type: 'SYNC_INIT' });
    await Promise.all([writer.close(), back.close(), lost.close()]);
  });

  it('refuses reset without the admin token, and resets everything with it (4005)', async () => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'reset-me' });
    t.send({ type: 'LEASE_ACQUIRE', posReference: 'Z-1', baseVersion: 0 });
    await t.awaitType('LEASE_GRANTED');
    const denied = await fetch(`${hub.url}/api/reset`, { method: 'POST', headers: { authorization: 'Bearer wrong' } });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: { code: 'RESET_FORBIDDEN' } });
    const ok = await fetch(`${hub.url}/api/reset`, { method: 'POST', headers: { authorization: 'Bearer secret-admin' } });
    expect(ok.status).toBe(200);
    expect((await t.closed).code).toBe(4005);
    const fresh = await TestTerminal.connect(hub.wsUrl, { deviceId: 'after-reset' });
    expect(fresh.messages[1]).toMatchObject({ type: 'SYNC_INIT', orders: [] });
    fresh.send({ type: 'LEASE_ACQUIRE', posReference: 'Z-1', baseVersion: 0 });
    // The lease is gone, and its fencing epoch kept increasing across the reset.
    expect(await fresh.awaitType('LEASE_GRANTED')).toMatchObject({ epoch: 2 });
    const state = (await (await fetch(`${hub.url}/api/state`, { headers: { authorization: 'Bearer secret-admin' } })).json()) as { leases: unknown[]; health: { activeLeases: number } };
    expect(state.leases).toHaveLength(1);
    await fresh.close();
  });
});
