/**
 * Issue 13, items 6 and 7, through a real hub whose tokens are checked by the Odoo simulator:
 * open sockets are re-validated on the injected clock and closed 4001 once Odoo says the session is
 * gone; a logout seen while Odoo answered is never admitted from the offline cache when Odoo then
 * answers 503; and a finalize that names another user is booked in Odoo as the signed-in user.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { createOdooClient } from '../../../src/adapters/odoo/client.js';
import { createOdooTokenValidator } from '../../../src/adapters/odoo/token-validator.js';
import { parseConfig } from '../../../src/config.js';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';
import { TestClock } from '../../helpers/clocks.js';
import { HUB_LOGIN, HUB_PASSWORD, SIM_DB, SIM_POS_CONFIG, SIM_USERS, startOdooSim, type StartedOdooSim } from '../../helpers/odoo-sim.js';
import { bootHubs, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';

const log = createLogger({ level: 'silent' });
const RECHECK_MS = 20_000;
let odoo: StartedOdooSim;
const boot = bootHubs();

beforeAll(async () => {
  odoo = await startOdooSim();
});
afterAll(async () => {
  await odoo.close();
});
afterEach(() => {
  odoo.sim.resetFaults();
});

/** A hub whose front runs on `clock` and whose tokens are Odoo session ids, as main.ts wires it without dev auth. */
async function hubOnClock(clock: TestClock): Promise<StartedHub> {
  const env = { HUB_DEV_AUTH: 'false', ODOO_URL: odoo.url, ODOO_DB: SIM_DB, ODOO_USER: HUB_LOGIN, ODOO_PASSWORD: HUB_PASSWORD, HUB_AUTH_RECHECK_MS: String(RECHECK_MS) };
  const config = parseConfig({ HUB_HOST: '127.0.0.1', ...env });
  // Odoo call timeouts on their own clock, never advanced: the cache and re-check windows follow `clock`.
  const client = createOdooClient({ config, clock: new TestClock(), log });
  return boot({ env, clock, tokenValidator: createOdooTokenValidator({ client, config, clock, log }) });
}

describe('revocation', () => {
  it('closes an open socket with 4001 at the next re-check once Odoo says the session is gone', async () => {
    const clock = new TestClock();
    const hub = await hubOnClock(clock);
    const sid = odoo.sim.issueSession('waiter');
    const waiter = await TestTerminal.connect(hub.wsUrl, { deviceId: 'rev-1', token: sid });
    const other = await TestTerminal.connect(hub.wsUrl, { deviceId: 'rev-2', token: odoo.sim.issueSession('manager') });
    odoo.sim.expireSession(sid);
    const calls = odoo.sim.calls('/web/session/get_session_info');
    clock.advance(RECHECK_MS);
    expect(await waiter.closed).toMatchObject({ code: 4001 });
    expect(waiter.messages.at(-1)).toMatchObject({ type: 'AUTH_FAIL', code: 'AUTH_FAILED' });
    // The re-check asked Odoo (past the fresh cache) for both sockets; the live session stays.
    expect(odoo.sim.calls('/web/session/get_session_info')).toBeGreaterThanOrEqual(calls + 2);
    other.send({ type: 'HEARTBEAT' });
    await other.awaitType('HEARTBEAT_ACK');
    await other.close();
  });

  it('never admits a logout it has seen from the offline cache, even with Odoo answering 503', async () => {
    const clock = new TestClock();
    const hub = await hubOnClock(clock);
    const sid = odoo.sim.issueSession('waiter');
    const first = await TestTerminal.connect(hub.wsUrl, { deviceId: 'rev-3', token: sid });
    odoo.sim.expireSession(sid);
    clock.advance(RECHECK_MS);
    expect((await first.closed).code).toBe(4001);
    odoo.sim.setFaults({ http: { status: 503, count: 100 } });
    const again = await TestTerminal.open(hub.wsUrl, { deviceId: 'rev-3', token: sid });
    again.send({ type: 'AUTH', token: sid, deviceId: 'rev-3' });
    // Refused, never admitted: the seen logout is remembered (negative cache), and it is gone from the offline cache.
    expect(await again.awaitType('AUTH_FAIL')).toMatchObject({ code: 'AUTH_FAILED' });
    expect((await again.closed).code).toBe(4001);
  });

  it('keeps sockets open while Odoo is unreachable (the LAN keeps working)', async () => {
    const clock = new TestClock();
    const hub = await hubOnClock(clock);
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'rev-4', token: odoo.sim.issueSession('waiter') });
    odoo.sim.setFaults({ http: { status: 503, count: 100 } });
    const calls = odoo.sim.calls('/web/session/get_session_info');
    clock.advance(RECHECK_MS);
    await odoo.sim.waitForHandled('/web/session/get_session_info', calls + 1);
    t.send({ type: 'HEARTBEAT' });
    await t.awaitType('HEARTBEAT_ACK');
    expect(t.closeInfo).toBeNull();
    await t.close();
  });
});

describe('attribution', () => {
  it('books the Odoo order as the signed-in user when the finalize names another', async () => {
    const hub = await hubOnClock(new TestClock());
    const waiter = await TestTerminal.connect(hub.wsUrl, { deviceId: 'attr-1', token: odoo.sim.issueSession('waiter') });
    const ref = 'Main/0099-001-0001';
    // The cashier claims the manager's user id.
    const snapshot = { ...paidSnapshot(ref), userId: SIM_USERS.manager.id };
    waiter.send({ type: 'ORDER_FINALIZE', posReference: ref, snapshot, configId: SIM_POS_CONFIG.id, mutationId: 'attr-fin-1' });
    await waiter.awaitType('ORDER_FINALIZED', (m) => m.posReference === ref);
    const orders = [...odoo.sim.data.orders.values()].filter((o) => o.pos_reference === ref);
    expect(orders).toHaveLength(1);
    expect(orders[0]?.user_id).toBe(SIM_USERS.waiter.id);
    await waiter.close();
  });
});
