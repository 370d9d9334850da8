/**
 * The Odoo 12 simulator against the wire contract, over raw HTTP (no hub code): transport rules,
 * sessions and cookie rotation, call_kw checks, create_from_ui 12.0 semantics, hub_finalize_snapshot,
 * database/list, and the fault hooks. If this file passes, the fake behaves like the contract says.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildHubFinalizePayload, buildUiOrder } from '../../../src/domain/odoo-order.js';
import { MANAGER_SESSION_ID, SIM_DB, SIM_USERS, WAITER_SESSION_ID, type StartedOdooSim, startOdooSim } from '../../helpers/odoo-sim.js';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';

let odoo: StartedOdooSim;
beforeAll(async () => {
  odoo = await startOdooSim();
});
afterAll(async () => {
  await odoo.close();
});
afterEach(() => {
  odoo.sim.resetFaults();
});

interface Raw {
  status: number;
  contentType: string;
  cookies: string[];
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw wire answers of many shapes
  json: any;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Raw> {
  const res = await fetch(`${odoo.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', cookies: res.headers.getSetCookie(), text, json };
}

const rpc = (path: string, params: Record<string, unknown>, headers: Record<string, string> = {}, id: unknown = 7) =>
  post(path, { jsonrpc: '2.0', method: 'call', params, id }, headers);

const asUser = (sid: string) => ({ 'x-openerp-session-id': sid });
const callKw = (sid: string, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
  rpc(`/web/dataset/call_kw/${model}/${method}`, { model, method, args, kwargs }, asUser(sid));
const cookieSid = (r: Raw): string | undefined => r.cookies.map((c) => /^session_id=([0-9a-f]{40});/.exec(c)?.[1]).find(Boolean);

async function hubLogin(): Promise<string> {
  const r = await rpc('/web/session/authenticate', { db: SIM_DB, login: SIM_USERS.hub.login, password: SIM_USERS.hub.password });
  const sid = cookieSid(r);
  if (!sid) throw new Error('no cookie');
  return sid;
}

describe('transport', () => {
  it('answers version_info with application/json, echoes the id and sets a session cookie', async () => {
    const r = await rpc('/web/webclient/version_info', {}, {}, 'abc');
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/json');
    expect(r.json).toEqual({ jsonrpc: '2.0', id: 'abc', result: { server_version: '12.0', server_version_info: [12, 0, 0, 'final', 0, ''], server_serie: '12.0', protocol_version: 1 } });
    expect(r.cookies[0]).toMatch(/^session_id=[0-9a-f]{40}; Expires=.*; Max-Age=7776000; HttpOnly; Path=\/$/);
  });

  it('accepts application/json-rpc, a missing id (null) and a missing params', async () => {
    const r = await post('/web/webclient/version_info', { jsonrpc: '2.0', method: 'call' }, { 'content-type': 'application/json-rpc' });
    expect(r.json.id).toBeNull();
    expect(r.json.result.server_serie).toBe('12.0');
  });

  it('answers invalid JSON with an HTML 400, not JSON-RPC', async () => {
    const r = await post('/web/webclient/version_info', '{"jsonrpc":');
    expect(r.status).toBe(400);
    expect(r.contentType).toMatch(/^text\/html/);
    expect(r.text).toContain('Invalid JSON data');
  });

  it('answers another content type on a JSON route with an HTML 400 (CSRF) or a 303 to the login page', async () => {
    const r = await post('/web/webclient/version_info', 'x', { 'content-type': 'text/plain' });
    expect(r.status).toBe(400);
    expect(r.text).toContain('invalid CSRF token');
    const user = await post('/web/dataset/call_kw', 'x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(user.status).toBe(303);
  });

  it('answers an unknown path with HTTP 404 and a JSON-RPC error code 404', async () => {
    const r = await rpc('/web/nope', {});
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe(404);
    expect(r.json.error.message).toBe('404: Not Found');
    expect(r.json.error.data.name).toBe('werkzeug.exceptions.NotFound');
  });

  it('pops params.context and turns unknown or missing keyword arguments into a TypeError', async () => {
    const ok = await rpc('/web/webclient/version_info', { context: { lang: 'es_DO' } });
    expect(ok.json.result).toBeDefined();
    const extra = await rpc('/web/webclient/version_info', { foo: 1 });
    expect(extra.json.error).toMatchObject({ code: 200, message: 'Odoo Server Error', data: { name: 'builtins.TypeError', exception_type: 'internal_error' } });
    expect(extra.json.error.data.arguments[0]).toBe("version_info() got an unexpected keyword argument 'foo'");
    const missing = await rpc('/web/session/authenticate', { db: SIM_DB });
    expect(missing.json.error.data.message).toBe("authenticate() missing 2 required positional arguments: 'login' and 'password'");
    expect(missing.json.error.data).not.toHaveProperty('context');
  });
});

describe('sessions', () => {
  it('rotates on authenticate: the body session_id is dead, the Set-Cookie sid is alive', async () => {
    const r = await rpc('/web/session/authenticate', { db: SIM_DB, login: 'manager', password: 'manager-pass' });
    const bodySid = r.json.result.session_id as string;
    const sid = cookieSid(r);
    expect(sid).toMatch(/^[0-9a-f]{40}$/);
    expect(sid).not.toBe(bodySid);
    expect(r.json.result).toMatchObject({ uid: SIM_USERS.manager.id, username: 'manager', db: SIM_DB, user_companies: false, server_version: '12.0' });
    const dead = await rpc('/web/session/get_session_info', {}, asUser(bodySid));
    expect(dead.json.error).toMatchObject({ code: 100, message: 'Odoo Session Expired', data: { name: 'odoo.http.SessionExpiredException', arguments: ['Session expired'] } });
    const alive = await rpc('/web/session/get_session_info', {}, { cookie: `session_id=${sid}` });
    expect(alive.json.result.uid).toBe(SIM_USERS.manager.id);
  });

  it('sends no cookie for an explicit session (header or ?session_id=) and a fresh one for an unknown cookie sid', async () => {
    const viaHeader = await rpc('/web/session/get_session_info', {}, asUser(MANAGER_SESSION_ID));
    expect(viaHeader.cookies).toEqual([]);
    const viaQuery = await rpc(`/web/session/get_session_info?session_id=${WAITER_SESSION_ID}`, {});
    expect(viaQuery.json.result.username).toBe('waiter');
    expect(viaQuery.cookies).toEqual([]);
    const unknown = 'f'.repeat(40);
    const r = await rpc('/web/session/get_session_info', {}, { cookie: `session_id=${unknown}` });
    expect(r.json.error.code).toBe(100);
    expect(cookieSid(r)).toBeDefined();
    expect(cookieSid(r)).not.toBe(unknown);
  });

  it('authenticate with an explicit sid rotates too but cannot tell the new sid', async () => {
    const r = await rpc('/web/session/authenticate', { db: SIM_DB, login: 'waiter', password: 'waiter-pass' }, asUser('0'.repeat(40)));
    expect(r.json.result.uid).toBe(SIM_USERS.waiter.id);
    expect(r.cookies).toEqual([]);
    const again = await rpc('/web/session/check', {}, asUser(r.json.result.session_id));
    expect(again.json.error.code).toBe(100);
  });

  it('refuses bad credentials with access_denied and an unknown database with psycopg2.OperationalError', async () => {
    const bad = await rpc('/web/session/authenticate', { db: SIM_DB, login: 'manager', password: 'nope' });
    expect(bad.json.error.data).toMatchObject({ name: 'odoo.exceptions.AccessDenied', exception_type: 'access_denied', message: 'Access denied', arguments: ['Access denied'] });
    const db = await rpc('/web/session/authenticate', { db: 'other', login: 'manager', password: 'manager-pass' });
    expect(db.json.error.data).toMatchObject({ name: 'psycopg2.OperationalError', exception_type: 'internal_error' });
    expect(db.json.error.data.message).toContain('FATAL:  database "other" does not exist');
  });

  it('check omits result when alive; destroy kills the session; expire/revoke hooks kill sids', async () => {
    const sid = await hubLogin();
    const check = await rpc('/web/session/check', {}, asUser(sid));
    expect(check.json).toEqual({ jsonrpc: '2.0', id: 7 });
    const destroy = await rpc('/web/session/destroy', {}, asUser(sid));
    expect(destroy.json).toEqual({ jsonrpc: '2.0', id: 7 });
    expect((await rpc('/web/session/check', {}, asUser(sid))).json.error.code).toBe(100);

    const a = odoo.sim.issueSession('waiter');
    const b = odoo.sim.issueSession('waiter');
    expect(odoo.sim.expireSession(a)).toBe(true);
    expect((await rpc('/web/session/check', {}, asUser(a))).json.error.code).toBe(100);
    expect((await rpc('/web/session/check', {}, asUser(b))).json.error).toBeUndefined();
    expect(odoo.sim.revokeUser('waiter')).toBeGreaterThanOrEqual(2);
    expect((await rpc('/web/session/check', {}, asUser(b))).json.error.code).toBe(100);
    odoo.sim.sessions.issue(WAITER_SESSION_ID, SIM_DB, SIM_USERS.waiter.id, 'waiter');
  });

  it('lists databases unless list_db is false', async () => {
    expect((await rpc('/web/database/list', {})).json.result).toEqual([SIM_DB]);
    odoo.sim.setFaults({ listDb: false });
    expect((await rpc('/web/database/list', {})).json.error.data.exception_type).toBe('access_denied');
  });
});

describe('call_kw', () => {
  it('needs a live session (code 100), all four keys, and refuses private methods and unknown models/methods', async () => {
    expect((await rpc('/web/dataset/call_kw', { model: 'pos.order', method: 'search_read', args: [], kwargs: {} })).json.error.code).toBe(100);
    const sid = await hubLogin();
    const missing = await rpc('/web/dataset/call_kw', { model: 'pos.order', method: 'search_read', args: [] }, asUser(sid));
    expect(missing.json.error.data.message).toBe("call_kw() missing 1 required positional argument: 'kwargs'");
    const priv = await callKw(sid, 'pos.order', '_process_order', [{}]);
    expect(priv.json.error.data).toMatchObject({ exception_type: 'access_error', name: 'odoo.exceptions.AccessError', arguments: ['Private methods (such as _process_order) cannot be called remotely.', null] });
    expect(priv.json.error.data.message).toBe('Private methods (such as _process_order) cannot be called remotely.\nNone');
    const model = await callKw(sid, 'no.such', 'search_read', []);
    expect(model.json.error.data).toMatchObject({ name: 'builtins.KeyError', message: "'no.such'", arguments: ['no.such'] });
    const method = await callKw(sid, 'pos.order', 'frobnicate', []);
    expect(method.json.error.data.name).toBe('builtins.AttributeError');
  });

  it('answers res.users.has_group for the calling user', async () => {
    expect((await callKw(MANAGER_SESSION_ID, 'res.users', 'has_group', ['point_of_sale.group_pos_manager'])).json.result).toBe(true);
    expect((await callKw(WAITER_SESSION_ID, 'res.users', 'has_group', ['point_of_sale.group_pos_manager'])).json.result).toBe(false);
    expect((await callKw(WAITER_SESSION_ID, 'res.users', 'has_group', ['point_of_sale.group_pos_user'])).json.result).toBe(true);
  });
});

describe('pos.order.create_from_ui (12.0 semantics)', () => {
  it('creates, returns only new ids, dedupes against the DB but not within a batch', async () => {
    const sid = await hubLogin();
    const a = buildUiOrder(paidSnapshot('SIM/A'), 'SIM/A');
    const first = await callKw(sid, 'pos.order', 'create_from_ui', [[a]]);
    expect(first.json.result).toHaveLength(1);
    const again = await callKw(sid, 'pos.order', 'create_from_ui', [[a]]);
    expect(again.json.result).toEqual([]);
    const b = buildUiOrder(paidSnapshot('SIM/B'), 'SIM/B');
    const dup = await callKw(sid, 'pos.order', 'create_from_ui', [[b, b, a]]);
    expect(dup.json.result).toHaveLength(2);
    expect(odoo.sim.ordersFor('SIM/A')).toBe(1);
    expect(odoo.sim.ordersFor('SIM/B')).toBe(2);
    const rows = await callKw(sid, 'pos.order', 'search_read', [[['pos_reference', '=', 'SIM/A']]], { fields: ['id', 'pos_reference', 'state', 'name', 'session_id'] });
    expect(rows.json.result).toEqual([{ id: first.json.result[0], pos_reference: 'SIM/A', state: 'paid', name: expect.stringMatching(/^Main\/\d{4}$/), session_id: [42, 'POS/2026/0042'] }]);
    const lines = await callKw(sid, 'pos.order.line', 'search_read', [[['order_id', 'in', first.json.result]]], { fields: ['id', 'product_id'] });
    expect(lines.json.result.map((l: { product_id: [number, string] }) => l.product_id[0])).toEqual([101, 302]);
  });

  it('raises KeyError, ValueError for an ISO date, and a validation_error without price_subtotal', async () => {
    const sid = await hubLogin();
    const order = buildUiOrder(paidSnapshot('SIM/KEY'), 'SIM/KEY');
    const { to_invoice: _t, ...noInvoice } = order;
    expect((await callKw(sid, 'pos.order', 'create_from_ui', [[noInvoice]])).json.error.data).toMatchObject({ name: 'builtins.KeyError', message: "'to_invoice'" });
    const { pricelist_id: _p, ...noPricelist } = order.data;
    expect((await callKw(sid, 'pos.order', 'create_from_ui', [[{ ...order, data: noPricelist }]])).json.error.data.arguments).toEqual(['pricelist_id']);
    const iso = { ...order, data: { ...order.data, creation_date: '2026-11-23T12:00:00.000Z' } };
    expect((await callKw(sid, 'pos.order', 'create_from_ui', [[iso]])).json.error.data).toMatchObject({
      name: 'builtins.ValueError',
      message: "time data '2026-11-23T12:00:00.000Z' does not match format '%Y-%m-%d %H:%M:%S'",
    });
    const [cmd] = order.data.lines;
    const { price_subtotal: _s, ...noSubtotal } = cmd![2];
    const bad = { ...order, data: { ...order.data, lines: [[0, 0, noSubtotal]] } };
    const v = (await callKw(sid, 'pos.order', 'create_from_ui', [[bad]])).json.error.data;
    expect(v.exception_type).toBe('validation_error');
    expect(v.arguments[1]).toBeNull();
    expect(v.message.endsWith('\nNone')).toBe(true);
    expect(odoo.sim.ordersFor('SIM/KEY')).toBe(0);
  });

  it('is all-or-nothing on an injected UserError, a poison order or a ValidationError', async () => {
    const sid = await hubLogin();
    const orders = ['SIM/X1', 'SIM/X2', 'SIM/X3'].map((r) => buildUiOrder(paidSnapshot(r), r));
    odoo.sim.setFaults({ userError: { count: 1, message: 'No cash statement found for this session. Unable to record returned cash.' } });
    const r = await callKw(sid, 'pos.order', 'create_from_ui', [orders]);
    expect(r.json.error.data).toMatchObject({
      name: 'odoo.exceptions.UserError',
      exception_type: 'user_error',
      arguments: ['No cash statement found for this session. Unable to record returned cash.', ''],
      message: 'No cash statement found for this session. Unable to record returned cash.\n',
    });
    odoo.sim.setFaults({ poisonReferences: ['SIM/X3'] });
    expect((await callKw(sid, 'pos.order', 'create_from_ui', [orders])).json.error.data.exception_type).toBe('user_error');
    expect(odoo.sim.orderCounts()).not.toHaveProperty('SIM/X1');
    odoo.sim.setFaults({ poisonReferences: [] });
    expect((await callKw(sid, 'pos.order', 'create_from_ui', [orders])).json.result).toHaveLength(3);
  });

  it('swallows a post-create failure (draft, id returned) and an underpaid order stays draft', async () => {
    const sid = await hubLogin();
    odoo.sim.setFaults({ postCreateFailures: 1 });
    const r = await callKw(sid, 'pos.order', 'create_from_ui', [[buildUiOrder(paidSnapshot('SIM/D1'), 'SIM/D1')]]);
    expect(r.json.result).toHaveLength(1);
    const under = paidSnapshot('SIM/D2');
    under.payments[0]!.amount = 1;
    await callKw(sid, 'pos.order', 'create_from_ui', [[buildUiOrder(under, 'SIM/D2')]]);
    const rows = await callKw(sid, 'pos.order', 'search_read', [[['pos_reference', 'in', ['SIM/D1', 'SIM/D2']]]], { fields: ['pos_reference', 'state'] });
    expect(rows.json.result.map((x: { state: string }) => x.state)).toEqual(['draft', 'draft']);
  });

  it('moves an order for a closed session to a rescue session', async () => {
    const sid = await hubLogin();
    odoo.sim.setPosSessionState(42, 'closed');
    try {
      const r = await callKw(sid, 'pos.order', 'create_from_ui', [[buildUiOrder(paidSnapshot('SIM/R1'), 'SIM/R1')]]);
      const rows = await callKw(sid, 'pos.order', 'search_read', [[['id', 'in', r.json.result]]], { fields: ['session_id', 'state'] });
      expect(rows.json.result[0].session_id[1]).toBe('(RESCUE FOR POS/2026/0042)');
      expect(rows.json.result[0].state).toBe('paid');
    } finally {
      odoo.sim.setPosSessionState(42, 'opened');
    }
  });

  it('retries serialization failures 5 times inside the server, then gives up with TransactionRollbackError', async () => {
    const sid = await hubLogin();
    odoo.sim.setFaults({ serializationFailures: 5 });
    expect((await callKw(sid, 'pos.order', 'search_read', [[]], { fields: ['id'], limit: 1 })).json.error).toBeUndefined();
    odoo.sim.setFaults({ serializationFailures: 6 });
    const r = await callKw(sid, 'pos.order', 'search_read', [[]], { fields: ['id'], limit: 1 });
    expect(r.json.error.data).toMatchObject({ name: 'psycopg2.extensions.TransactionRollbackError', exception_type: 'internal_error' });
    expect(odoo.sim.faults.serializationFailures).toBe(0);
  });
});

describe('hub_finalize_snapshot', () => {
  it('is @api.model (args = [payload]), idempotent on pos_reference, and refuses an order without payments', async () => {
    const sid = await hubLogin();
    const snap = paidSnapshot('SIM/H1');
    const payload = buildHubFinalizePayload({ posReference: 'SIM/H1', configId: 1, terminalId: 't1', snapshot: snap });
    const first = await callKw(sid, 'pos.order', 'hub_finalize_snapshot', [payload]);
    expect(first.json.result).toMatchObject({ status: 'ok', pos_reference: 'SIM/H1', created: true });
    expect(Object.keys(first.json.result.line_id_map)).toEqual(snap.lines.map((l) => l.uid));
    const second = await callKw(sid, 'pos.order', 'hub_finalize_snapshot', [payload]);
    expect(second.json.result).toMatchObject({ created: false, order_id: first.json.result.order_id, line_id_map: first.json.result.line_id_map });
    expect(odoo.sim.ordersFor('SIM/H1')).toBe(1);
    const noPay = buildHubFinalizePayload({ posReference: 'SIM/H2', configId: 1, terminalId: 't1', snapshot: { ...paidSnapshot('SIM/H2'), payments: [] } });
    expect((await callKw(sid, 'pos.order', 'hub_finalize_snapshot', [noPay])).json.error.data.exception_type).toBe('user_error');
    expect((await callKw(sid, 'pos.order', 'hub_finalize_snapshot', [[1], payload])).json.error.data.name).toBe('builtins.TypeError');
  });
});

describe('faults and simulator-only routes', () => {
  it('injects 502 before or after the call, resets, and serves the catalog and state', async () => {
    odoo.sim.setFaults({ http: { status: 502, count: 1, match: 'version_info' } });
    const r = await rpc('/web/webclient/version_info', {});
    expect(r.status).toBe(502);
    expect(r.contentType).toMatch(/text\/html/);
    await expect(fetch(`${odoo.url}/web/webclient/version_info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((x) => x.status)).resolves.toBe(200);
    odoo.sim.setFaults({ reset: { count: 1 } });
    await expect(rpc('/web/webclient/version_info', {})).rejects.toThrow();
    const catalogRes = await fetch(`${odoo.url}/pos-hub-sim/catalog`);
    expect(catalogRes.headers.get('access-control-allow-origin')).toBe('*');
    const catalog = await catalogRes.json();
    expect(catalog.config.nu_hub_enabled).toBe(true);
    expect(catalog.floors.flatMap((f: { tables: unknown[] }) => f.tables)).toHaveLength(12);
    expect(catalog.products.length).toBeGreaterThan(5);
    const set = await fetch(`${odoo.url}/pos-hub-sim/faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 1 }) });
    expect((await set.json()).latencyMs).toBe(1);
    const state = await (await fetch(`${odoo.url}/pos-hub-sim/state`)).json();
    expect(state.calls['/web/webclient/version_info']).toBeGreaterThan(0);
  });
});
