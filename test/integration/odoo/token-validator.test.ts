/**
 * Terminal token validation against the simulator: a session id the simulator issued authenticates
 * with the right role (POS manager group → manager, else cashier); a dead one is refused with a clear
 * reason; with Odoo unreachable a recently validated token is admitted from cache and an unknown one is
 * refused with AUTH_UNAVAILABLE; HUB_DEV_AUTH with an empty token signs in as the hub's own user.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOdooClient } from '../../../src/adapters/odoo/client.js';
import { createOdooTokenValidator } from '../../../src/adapters/odoo/token-validator.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { parseConfig } from '../../../src/config.js';
import type { TokenValidator } from '../../../src/ports/auth.js';
import { MANAGER_SESSION_ID, SIM_USERS, WAITER_SESSION_ID, type StartedOdooSim, startOdooSim } from '../../helpers/odoo-sim.js';
import { TestClock } from '../../helpers/clocks.js';

const log = createLogger({ level: 'silent' });
let odoo: StartedOdooSim;

beforeAll(async () => {
  odoo = await startOdooSim();
});
afterAll(async () => {
  await odoo.close();
});
afterEach(async () => {
  odoo.sim.resetFaults();
  await odoo.sim.accept();
});

function validator(extra: Record<string, string> = {}): { v: TokenValidator; clock: TestClock; http: TestClock } {
  const config = parseConfig({ ODOO_URL: odoo.url, ODOO_USER: SIM_USERS.hub.login, ODOO_PASSWORD: SIM_USERS.hub.password, ...extra });
  const clock = new TestClock();
  // Two manual clocks: HTTP timeouts fire only when a test advances `http`; cache windows follow `clock`.
  const http = new TestClock();
  const client = createOdooClient({ config, clock: http, log });
  return { v: createOdooTokenValidator({ client, config, clock, log }), clock, http };
}

describe('Odoo token validator', () => {
  it('authenticates simulator-issued sessions with the role from the POS manager group', async () => {
    const { v } = validator();
    await expect(v.validate(MANAGER_SESSION_ID, 'dev-1')).resolves.toEqual({
      ok: true,
      identity: { userId: SIM_USERS.manager.id, login: 'manager', name: SIM_USERS.manager.name, role: 'manager' },
    });
    await expect(v.validate(WAITER_SESSION_ID, 'dev-2')).resolves.toEqual({
      ok: true,
      identity: { userId: SIM_USERS.waiter.id, login: 'waiter', name: SIM_USERS.waiter.name, role: 'cashier' },
    });
    const fresh = odoo.sim.issueSession('manager');
    await expect(v.validate(fresh, 'dev-3')).resolves.toMatchObject({ ok: true, identity: { role: 'manager' } });
  });

  it('refuses a dead or malformed session with a clear reason', async () => {
    const { v } = validator();
    const sid = odoo.sim.issueSession('waiter');
    odoo.sim.expireSession(sid);
    await expect(v.validate(sid, 'dev-1')).resolves.toEqual({ ok: false, code: 'AUTH_FAILED', reason: 'Odoo session expired or invalid' });
    const calls = odoo.sim.calls('/web/session/get_session_info');
    await expect(v.validate('x\r\nInjected: 1', 'dev-1')).resolves.toEqual({ ok: false, code: 'AUTH_FAILED', reason: 'Odoo session expired or invalid' });
    expect(odoo.sim.calls('/web/session/get_session_info')).toBe(calls);
  });

  it('caches a success for a minute, then asks Odoo again and notices a revoked session', async () => {
    const { v, clock } = validator();
    const sid = odoo.sim.issueSession('waiter');
    const calls = odoo.sim.calls('/web/session/get_session_info');
    await v.validate(sid, 'd');
    await v.validate(sid, 'd');
    expect(odoo.sim.calls('/web/session/get_session_info')).toBe(calls + 1);
    odoo.sim.expireSession(sid);
    clock.advance(61_000);
    await expect(v.validate(sid, 'd')).resolves.toMatchObject({ ok: false, code: 'AUTH_FAILED' });
  });

  it('while Odoo is unreachable admits tokens validated within HUB_AUTH_CACHE_HOURS and refuses others', async () => {
    const { v, clock } = validator({ HUB_AUTH_CACHE_HOURS: '12' });
    await expect(v.validate(WAITER_SESSION_ID, 'd')).resolves.toMatchObject({ ok: true });
    const never = odoo.sim.issueSession('manager');
    await odoo.sim.refuse();
    clock.advance(2 * 3_600_000);
    await expect(v.validate(WAITER_SESSION_ID, 'd')).resolves.toMatchObject({ ok: true, fromCache: true, identity: { role: 'cashier' } });
    const unknown = await v.validate(never, 'd');
    expect(unknown).toMatchObject({ ok: false, code: 'AUTH_UNAVAILABLE' });
    expect(unknown.ok === false && unknown.reason).toMatch(/^Odoo is unreachable/);
    clock.advance(11 * 3_600_000);
    await expect(v.validate(WAITER_SESSION_ID, 'd')).resolves.toMatchObject({ ok: false, code: 'AUTH_UNAVAILABLE' });
  });

  it('treats timeouts and 5xx like unreachable', async () => {
    const { v, clock, http } = validator();
    await v.validate(MANAGER_SESSION_ID, 'd');
    clock.advance(120_000);
    odoo.sim.setFaults({ http: { status: 502, count: 1 } });
    await expect(v.validate(MANAGER_SESSION_ID, 'd')).resolves.toMatchObject({ ok: true, fromCache: true });
    clock.advance(120_000);
    odoo.sim.setFaults({ hang: { count: 1 } });
    const label = '/web/session/get_session_info';
    const n = odoo.sim.calls(label) + 1;
    const pending = v.validate(MANAGER_SESSION_ID, 'd');
    await odoo.sim.waitForHandled(label, n);
    http.advance(7500);
    await expect(pending).resolves.toMatchObject({ ok: true, fromCache: true });
  });

  it('HUB_DEV_AUTH: an empty token is the hub\'s own Odoo user as manager; without it, refused', async () => {
    const dev = validator({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' }).v;
    await expect(dev.validate('', 'd')).resolves.toEqual({
      ok: true,
      identity: { userId: SIM_USERS.hub.id, login: SIM_USERS.hub.login, name: SIM_USERS.hub.name, role: 'manager' },
    });
    const prod = validator().v;
    await expect(prod.validate('', 'd')).resolves.toMatchObject({ ok: false, code: 'AUTH_FAILED' });
  });
});
