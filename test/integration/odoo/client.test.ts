/**
 * Contract tests of the hub's JSON-RPC client against the simulator: the hub login through Set-Cookie,
 * one re-login on code 100, ODOO_RPC_HEADERS, timeouts, and the classification of every error shape
 * (user_error, validation_error, access_error, access_denied, missing_error, internal_error,
 * serialization failure, code 100, 404, HTML 400, non-JSON, 5xx, refused, reset) into HubError codes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OdooClient, createOdooClient } from '../../../src/adapters/odoo/client.js';
import { buildUiOrder } from '../../../src/domain/odoo-order.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { parseConfig } from '../../../src/config.js';
import { systemClock } from '../../../src/ports/clock.js';
import { type HubMetrics, noopMetrics } from '../../../src/ports/metrics.js';
import { HubError } from '../../../src/protocol/errors.js';
import { MANAGER_SESSION_ID, SIM_USERS, type StartedOdooSim, startOdooSim } from '../../helpers/odoo-sim.js';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';
import { TestClock } from '../../helpers/clocks.js';

const log = createLogger({ level: 'silent' });
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

function config(extra: Record<string, string> = {}) {
  return parseConfig({ ODOO_URL: odoo.url, ODOO_USER: SIM_USERS.hub.login, ODOO_PASSWORD: SIM_USERS.hub.password, ...extra });
}

function client(extra: Record<string, string> = {}, more: { fetch?: typeof fetch; metrics?: HubMetrics } = {}): OdooClient {
  return createOdooClient({ config: config(extra), clock: systemClock, log, ...more });
}

async function failure(p: Promise<unknown>): Promise<HubError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HubError) return e;
    throw new Error(`not a HubError: ${String(e)}`);
  }
  throw new Error('expected a failure');
}

describe('hub session', () => {
  it('logs in without any sid and uses the Set-Cookie sid, never the dead body session_id', async () => {
    const c = client();
    const info = await c.login();
    expect(info.uid).toBe(SIM_USERS.hub.id);
    const live = odoo.sim.liveSessionsOf(SIM_USERS.hub.login);
    expect(live).not.toContain(info.session_id);
    const rows = await c.callKw<unknown[]>('pos.order', 'search_read', [[['pos_reference', '=', 'none']]], { fields: ['id'] });
    expect(rows).toEqual([]);
    expect(odoo.sim.calls('/web/session/authenticate')).toBeGreaterThanOrEqual(1);
  });

  it('logs in again once when Odoo answers code 100, then succeeds', async () => {
    const c = client();
    await c.login();
    const before = odoo.sim.calls('/web/session/authenticate');
    odoo.sim.revokeUser(SIM_USERS.hub.login);
    const rows = await c.callKw<unknown[]>('pos.order', 'search_read', [[]], { fields: ['id'], limit: 1 });
    expect(Array.isArray(rows)).toBe(true);
    expect(odoo.sim.calls('/web/session/authenticate')).toBe(before + 1);
  });

  it('reports a refused hub login as ODOO_REJECTED naming the user', async () => {
    const e = await failure(client({ ODOO_PASSWORD: 'wrong-password' }).login());
    expect(e.code).toBe('ODOO_REJECTED');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('pos-hub');
    expect(e.message).toContain('Access denied');
  });

  it('sends ODOO_RPC_HEADERS on every call and records latency per method', async () => {
    const seen: string[] = [];
    const recorded: string[] = [];
    const spy: typeof fetch = async (input, init) => {
      seen.push(new Headers(init?.headers).get('x-api-token') ?? 'missing');
      return fetch(input, init);
    };
    const metrics: HubMetrics = { ...noopMetrics, odooRpc: (method, outcome) => recorded.push(`${method}:${outcome}`) };
    const c = client({ ODOO_RPC_HEADERS: 'x-api-token: waf-123' }, { fetch: spy, metrics });
    await c.callKw('pos.order', 'search_read', [[]], { fields: ['id'], limit: 1 });
    await c.versionInfo();
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen)).toEqual(new Set(['waf-123']));
    expect(recorded).toEqual(['session.authenticate:ok', 'pos.order.search_read:ok', 'webclient.version_info:ok']);
  });

  it('reads version_info without a session', async () => {
    await expect(client().versionInfo()).resolves.toMatchObject({ server_version: '12.0', protocol_version: 1 });
  });
});

describe('error classification', () => {
  const order = (ref: string) => buildUiOrder(paidSnapshot(ref), ref);

  it('user_error → ODOO_REJECTED, not retryable, arguments[0] as the text', async () => {
    odoo.sim.setFaults({ userError: { count: 1, message: 'You have to open at least one cashbox.' } });
    const e = await failure(client().callKw('pos.order', 'create_from_ui', [[order('C/U1')]]));
    expect(e).toMatchObject({ code: 'ODOO_REJECTED', retryable: false, message: 'You have to open at least one cashbox.' });
    expect(e.details).toMatchObject({ rpc: 'pos.order.create_from_ui', exceptionType: 'user_error', odooCode: 200 });
  });

  it('validation_error → ODOO_REJECTED with the text (no trailing None)', async () => {
    odoo.sim.setFaults({ validationError: { count: 1, message: 'Amounts do not add up.' } });
    const e = await failure(client().callKw('pos.order', 'create_from_ui', [[order('C/V1')]]));
    expect(e).toMatchObject({ code: 'ODOO_REJECTED', retryable: false, message: 'Amounts do not add up.' });
  });

  it('access_error (private method) → ODOO_REJECTED', async () => {
    const e = await failure(client().callKw('pos.order', '_process_order', [{}]));
    expect(e).toMatchObject({ code: 'ODOO_REJECTED', retryable: false, message: 'Private methods (such as _process_order) cannot be called remotely.' });
  });

  it('access_denied (list_db = False) → ODOO_REJECTED', async () => {
    odoo.sim.setFaults({ listDb: false });
    const e = await failure(client().rpc('/web/database/list', {}, { label: 'database.list' }));
    expect(e).toMatchObject({ code: 'ODOO_REJECTED', retryable: false, message: 'Access denied' });
  });

  it('missing_error → ODOO_REJECTED', async () => {
    const bad = order('C/M1');
    bad.data.pos_session_id = 999;
    const e = await failure(client().callKw('pos.order', 'create_from_ui', [[bad]]));
    expect(e).toMatchObject({ code: 'ODOO_REJECTED', retryable: false, message: 'Record does not exist or has been deleted.' });
    expect(e.details).toMatchObject({ exceptionType: 'missing_error' });
  });

  it('internal_error KeyError / ValueError → ODOO_REJECTED, deterministic for the same payload', async () => {
    const bad = order('C/K1') as unknown as Record<string, unknown>;
    delete bad.to_invoice;
    const e = await failure(client().callKw('pos.order', 'create_from_ui', [[bad]]));
    expect(e).toMatchObject({ code: 'ODOO_REJECTED', retryable: false });
    expect(e.message).toContain('builtins.KeyError');
  });

  it('serialization failure after Odoo\'s own 5 retries → ODOO_UNREACHABLE, retryable', async () => {
    const c = client();
    await c.login();
    odoo.sim.setFaults({ serializationFailures: 6 });
    const e = await failure(c.callKw('pos.order', 'search_read', [[]], { fields: ['id'] }));
    expect(e).toMatchObject({ code: 'ODOO_UNREACHABLE', retryable: true });
    expect(e.message).toContain('TransactionRollbackError');
  });

  it('code 100 on a terminal session → ODOO_SESSION_EXPIRED (no re-login for someone else\'s sid)', async () => {
    const e = await failure(client().sessionInfo('d'.repeat(40)));
    expect(e.code).toBe('ODOO_SESSION_EXPIRED');
    await expect(client().sessionInfo(MANAGER_SESSION_ID)).resolves.toMatchObject({ uid: SIM_USERS.manager.id, username: 'manager' });
  });

  it('404 → ODOO_PROTOCOL (wrong ODOO_URL), retryable so no order is dead-lettered for it', async () => {
    const e = await failure(client().rpc('/web/nothing/here', {}));
    expect(e).toMatchObject({ code: 'ODOO_PROTOCOL', retryable: true });
    expect(e.details).toMatchObject({ httpStatus: 404, odooCode: 404 });
  });

  it('HTML 400 (request mangled on the way, e.g. by a proxy) → ODOO_PROTOCOL', async () => {
    const mangle: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), 'content-type': 'text/plain' } });
    const e = await failure(client({}, { fetch: mangle }).versionInfo());
    expect(e).toMatchObject({ code: 'ODOO_PROTOCOL', retryable: true });
    expect(e.details).toMatchObject({ httpStatus: 400 });
  });

  it('a 200 that is not JSON-RPC (captive portal) → ODOO_PROTOCOL', async () => {
    const portal: typeof fetch = async () => new Response('<html>Welcome to Hotel WiFi</html>', { status: 200, headers: { 'content-type': 'text/html' } });
    const e = await failure(client({}, { fetch: portal }).versionInfo());
    expect(e.code).toBe('ODOO_PROTOCOL');
    const notRpc: typeof fetch = async () => new Response('{"hello":1}', { status: 200, headers: { 'content-type': 'application/json' } });
    expect((await failure(client({}, { fetch: notRpc }).versionInfo())).code).toBe('ODOO_PROTOCOL');
  });

  it('HTTP 500/502/504 → ODOO_UNREACHABLE, retryable', async () => {
    for (const status of [500, 502, 504] as const) {
      odoo.sim.setFaults({ http: { status, count: 1 } });
      const e = await failure(client().versionInfo());
      expect(e).toMatchObject({ code: 'ODOO_UNREACHABLE', retryable: true });
      expect(e.message).toContain(String(status));
    }
  });

  it('a hang → ODOO_UNREACHABLE after ODOO_TIMEOUT_MS; a reset and a refused connection → ODOO_UNREACHABLE', async () => {
    odoo.sim.setFaults({ hang: { count: 1 } });
    // The timeout runs on a manual clock, fired once the simulator has swallowed the request.
    const timers = new TestClock();
    const label = '/web/webclient/version_info';
    const n = odoo.sim.calls(label) + 1;
    const pending = failure(createOdooClient({ config: config({ ODOO_TIMEOUT_MS: '200' }), clock: timers, log }).versionInfo());
    await odoo.sim.waitForHandled(label, n);
    timers.advance(199);
    timers.advance(1);
    const hang = await pending;
    expect(hang).toMatchObject({ code: 'ODOO_UNREACHABLE', retryable: true, details: { inDoubt: true } });
    expect(hang.message).toContain('within 200 ms');
    odoo.sim.setFaults({ reset: { count: 1 } });
    expect((await failure(client().versionInfo())).code).toBe('ODOO_UNREACHABLE');
    await odoo.sim.refuse();
    try {
      const refused = await failure(client().versionInfo());
      expect(refused).toMatchObject({ code: 'ODOO_UNREACHABLE', retryable: true });
      expect(refused.message).toContain('ECONNREFUSED');
      expect(refused.details).toMatchObject({ inDoubt: false });
    } finally {
      await odoo.sim.accept();
    }
    await expect(client().versionInfo()).resolves.toBeDefined();
  });
});
