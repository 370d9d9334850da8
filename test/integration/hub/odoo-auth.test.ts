/**
 * A terminal signs in with an Odoo session id the simulator issued, through the hub exactly as main.ts
 * wires it (child process, HUB_DEV_AUTH off): the role comes from the Odoo user, and a dead session is
 * refused with a clear reason and close code 4001.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { HUB_LOGIN, HUB_PASSWORD, MANAGER_SESSION_ID, SIM_DB, WAITER_SESSION_ID, startOdooSim, type StartedOdooSim } from '../../helpers/odoo-sim.js';
import { TestTerminal } from '../../helpers/terminal.js';

describe('terminal AUTH against Odoo through the hub', () => {
  let odoo: StartedOdooSim;
  let hub: StartedHub;
  beforeAll(async () => {
    odoo = await startOdooSim();
    hub = await startHub({
      mode: 'child-process',
      env: { HUB_DEV_AUTH: 'false', ODOO_URL: odoo.url, ODOO_DB: SIM_DB, ODOO_USER: HUB_LOGIN, ODOO_PASSWORD: HUB_PASSWORD },
    });
  }, 60_000);
  afterAll(async () => {
    await hub.close();
    await odoo.close();
  });

  it('admits the manager and the waiter with their Odoo roles', async () => {
    const manager = await TestTerminal.open(hub.wsUrl, { deviceId: 'till-m', token: MANAGER_SESSION_ID });
    const waiter = await TestTerminal.open(hub.wsUrl, { deviceId: 'till-w', token: WAITER_SESSION_ID });
    expect((await manager.authenticate()).authOk).toMatchObject({ terminalId: 'till-m', role: 'manager' });
    expect((await waiter.authenticate()).authOk).toMatchObject({ terminalId: 'till-w', role: 'cashier' });
    // The role is enforced: only the manager may force a table lock.
    waiter.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: 4 });
    await waiter.awaitType('TABLE_LOCK_GRANTED');
    manager.send({ type: 'TABLE_LOCK_FORCE_ACQUIRE', tableId: 4 });
    await manager.awaitType('TABLE_LOCK_GRANTED');
    expect(await waiter.awaitType('TABLE_LOCK_REVOKED')).toMatchObject({ tableId: 4 });
    await Promise.all([manager.close(), waiter.close()]);
  });

  it('refuses a dead session with a reason, and an empty token without dev auth', async () => {
    // A session the hub never validated (a validation is cached for a minute), then logged out in Odoo.
    const dead = odoo.sim.issueSession('waiter');
    odoo.sim.expireSession(dead);
    for (const token of [dead, '0'.repeat(40), '']) {
      const t = await TestTerminal.open(hub.wsUrl, { deviceId: `dead-${token.length}`, token });
      t.send({ type: 'AUTH', token, deviceId: `dead-${token.length}` });
      const fail = await t.awaitType('AUTH_FAIL');
      expect(fail).toMatchObject({ code: 'AUTH_FAILED' });
      expect(String(fail.reason).length).toBeGreaterThan(10);
      expect(await t.closed).toMatchObject({ code: 4001 });
    }
  });
});
