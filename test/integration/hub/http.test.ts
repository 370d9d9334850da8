/**
 * The hub's HTTP surface and outbound paths on a real hub: GET /, /metrics without a renderer (404),
 * /api/state, the dashboard push socket, the periodic HUB_STATUS, a slow terminal closed with 4003
 * instead of silently skipped, and ORDER_FINALIZE forwarded to the Odoo simulator exactly once.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';
import { HUB_LOGIN, HUB_PASSWORD, SIM_DB, SIM_POS_CONFIG, startOdooSim, type StartedOdooSim } from '../../helpers/odoo-sim.js';
import { TestTerminal, snapshotWithLines } from '../../helpers/terminal.js';
import { messagesOf, until } from '../../helpers/wait.js';

const ADMIN = 'http-test-admin';

describe('hub HTTP and outbound', () => {
  let hub: StartedHub;
  beforeAll(async () => {
    hub = await startHub({ env: { HUB_STATUS_INTERVAL_MS: '1000', HUB_MAX_BACKPRESSURE: '1024', HUB_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('serves the dashboard at /, the terminal page, /metrics and /api/state', async () => {
    const root = await fetch(`${hub.url}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('<title>POS Hub');
    const page = await fetch(`${hub.url}/terminal/index.html`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect((await fetch(`${hub.url}/no/such/file.txt`)).status).toBe(404);
    // Regression: the redirect to the directory dropped the query, so ?table=2 was lost.
    const moved = await fetch(`${hub.url}/terminal?table=2`, { redirect: 'manual' });
    expect(moved.status).toBe(301);
    expect(moved.headers.get('location')).toBe('/terminal/?table=2');
    const metrics = await fetch(`${hub.url}/metrics`);
    expect(metrics.status).toBe(200);
    const exposition = await metrics.text();
    for (const thread of ['front', 'shard-0', 'writer']) expect(exposition).toContain(`pos_hub_event_loop_lag_seconds{stat="p99",thread="${thread}"}`);
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'state-1', token: 'dev:cashier:sue' });
    t.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: 11 });
    await t.awaitType('TABLE_LOCK_GRANTED');
    const state = (await (await fetch(`${hub.url}/api/state`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as Record<string, unknown>;
    expect(state.terminals).toEqual([expect.objectContaining({ terminalId: 'state-1', role: 'cashier', userName: 'sue', encoding: 'json' })]);
    expect(state.locks).toEqual([expect.objectContaining({ tableId: 11, terminalId: 'state-1', epoch: 1 })]);
    expect(state.events).toEqual([expect.objectContaining({ type: 'TABLE_LOCKED', status: 'local' })]);
    expect(state.health).toMatchObject({ activeLocks: 1, connectedTerminals: 1 });
    await t.close();
  });

  it('pushes state on the dashboard socket on connect and on change', async () => {
    const ws = new WebSocket(`${hub.wsUrl}/dashboard`);
    // The dashboard socket shows staff and devices: it pushes only after the admin token.
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token: ADMIN })));
    const pushes: Array<{ type: string; state: { health: { connectedTerminals: number } } }> = [];
    ws.on('message', (d) => pushes.push(JSON.parse((d as Buffer).toString('utf8'))));
    await until(() => pushes.length >= 1, 'the first dashboard push', messagesOf(ws));
    expect(pushes[0]).toMatchObject({ type: 'state', state: { health: { status: 'ok' } } });
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'dash-1' });
    await until(() => pushes.some((p) => p.state.health.connectedTerminals === 1), 'a push with one terminal', messagesOf(ws));
    ws.close();
    await t.close();
  });

  it('broadcasts HUB_STATUS periodically', async () => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'status-1' });
    expect(await t.awaitType('HUB_STATUS')).toMatchObject({ connectedTerminals: 1, pendingForward: 0 });
    await t.close();
  });

  it('closes a terminal that stops reading with 4003 instead of skipping it', async () => {
    const writer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'bp-writer' });
    const slow = await TestTerminal.connect(hub.wsUrl, { deviceId: 'bp-slow' });
    writer.send({ type: 'LEASE_ACQUIRE', posReference: 'BP-1', baseVersion: 0, tableId: 12 });
    await writer.awaitType('LEASE_GRANTED');
    slow.ws.pause();
    // ~240 kB per broadcast: the kernel buffers fill, then uWS buffers past 1 KiB and the hub closes it.
    // Stop as soon as the hub has dropped it (its close frame waits behind the buffered data).
    const connected = async (): Promise<number> => ((await (await fetch(`${hub.url}/health`)).json()) as { connectedTerminals: number }).connectedTerminals;
    for (let v = 1; v <= 60 && (await connected()) === 2; v++) {
      writer.send({ type: 'ORDER_SNAPSHOT', posReference: 'BP-1', baseVersion: v - 1, snapshot: snapshotWithLines('BP-1', 12, 1500 + v) });
      await writer.awaitType('ORDER_ACK', (m) => m.version === v);
    }
    expect(await connected()).toBe(1);
    slow.ws.resume();
    expect((await slow.closed).code).toBe(4003);
    await writer.close();
  });
});

describe('hub ORDER_FINALIZE through the Odoo simulator', () => {
  let odoo: StartedOdooSim;
  let hub: StartedHub;
  beforeAll(async () => {
    odoo = await startOdooSim();
    hub = await startHub({ env: { ODOO_URL: odoo.url, ODOO_DB: SIM_DB, ODOO_USER: HUB_LOGIN, ODOO_PASSWORD: HUB_PASSWORD } });
  });
  afterAll(async () => {
    await hub.close();
    await odoo.close();
  });

  it('commits, forwards, and answers ORDER_FINALIZED; a second finalize is not queued again', async () => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'till-1' });
    const other = await TestTerminal.connect(hub.wsUrl, { deviceId: 'till-2' });
    const ref = 'Main/0042-001-0001';
    t.send({ type: 'ORDER_FINALIZE', posReference: ref, snapshot: paidSnapshot(ref), configId: SIM_POS_CONFIG.id, mutationId: 'fin-1' });
    expect(await t.awaitType('ORDER_ACK')).toMatchObject({ posReference: ref, version: 1, mutationId: 'fin-1' });
    expect(await other.awaitType('ORDER_UPDATED')).toMatchObject({ posReference: ref, sourceTerminal: 'till-1' });
    const finalized = await t.awaitType('ORDER_FINALIZED');
    expect(finalized).toMatchObject({ posReference: ref });
    expect(typeof finalized.orderId).toBe('number');
    t.send({ type: 'ORDER_FINALIZE', posReference: ref, snapshot: paidSnapshot(ref), configId: SIM_POS_CONFIG.id });
    expect(await t.awaitType('ORDER_FINALIZE_QUEUED')).toMatchObject({ posReference: ref });
    const health = (await (await fetch(`${hub.url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ pendingForward: 0, totalForwarded: 1 });
    expect(typeof health.lastOdooSync).toBe('string');
    await Promise.all([t.close(), other.close()]);
  });

  // Regression: the finalization was a second, silent event row, so it used up a seq no terminal received
  // and every terminal saw a gap and resynced after each payment.
  it('leaves no seq gap (the finalization is the ORDER_UPDATED the others receive) and closes the order once Odoo has it', async () => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'till-3' });
    const other = await TestTerminal.connect(hub.wsUrl, { deviceId: 'till-4' });
    const ref = 'Main/0042-001-0002';
    t.send({ type: 'ORDER_FINALIZE', posReference: ref, snapshot: paidSnapshot(ref), configId: SIM_POS_CONFIG.id, mutationId: 'fin-2' });
    const ack = await t.awaitType('ORDER_ACK', (m) => m.posReference === ref);
    const updated = await other.awaitType('ORDER_UPDATED', (m) => m.posReference === ref);
    expect(updated.seq).toBe(ack.seq);
    t.send({ type: 'TABLE_UPDATE', tableId: 3, status: 'available' });
    const next = await other.awaitType('TABLE_UPDATED', (m) => m.tableId === 3);
    expect(next.seq).toBe(Number(updated.seq) + 1);
    await t.awaitType('ORDER_FINALIZED', (m) => m.posReference === ref);
    // Confirmed by Odoo, the order is closed: a terminal that connects now is not sent it.
    const late = await TestTerminal.open(hub.wsUrl, { deviceId: 'till-late' });
    const { sync } = await late.authenticate();
    expect((sync.orders as Array<{ posReference: string }>).map((o) => o.posReference)).not.toContain(ref);
    await Promise.all([t.close(), other.close(), late.close()]);
  });
});
