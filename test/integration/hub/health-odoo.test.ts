/**
 * Regression: /health said `odooReachable: true` on an idle hub whose ODOO_URL pointed nowhere, and
 * stayed wrong, because the forwarder only learned about Odoo from finalizations and the writer only
 * pushed its counters on commits. Now an idle forwarder probes version_info and the writer reports changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../bench/lib/proc.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { startOdooSim, type StartedOdooSim } from '../../helpers/odoo-sim.js';
import { waitForDashboard } from '../../helpers/wait.js';

const ADMIN = 'health-admin-token';

/** Wait on the dashboard push channel until the hub reports `odooReachable` as expected, then read /health. */
async function untilReachable(hub: StartedHub, expected: boolean): Promise<Record<string, unknown>> {
  await waitForDashboard(hub.wsUrl, ADMIN, (push) => push.state.health.odooReachable === expected, `odooReachable ${expected} on the dashboard`);
  return (await (await fetch(`${hub.url}/health`)).json()) as Record<string, unknown>;
}

describe('/health odooReachable on an idle hub', () => {
  let hub: StartedHub | undefined;
  let odoo: StartedOdooSim | undefined;
  afterEach(async () => {
    await hub?.close();
    await odoo?.close();
    hub = undefined;
    odoo = undefined;
  });

  it('is false when nothing answers at ODOO_URL', async () => {
    hub = await startHub({ env: { ODOO_URL: `http://127.0.0.1:${await freePort()}`, HUB_ADMIN_TOKEN: ADMIN } });
    const health = await untilReachable(hub, false);
    expect(health).toMatchObject({ status: 'ok', odooReachable: false, pendingForward: 0, lastOdooSync: null });
  });

  it('is true when Odoo answers', async () => {
    odoo = await startOdooSim();
    hub = await startHub({ env: { ODOO_URL: odoo.url, ODOO_USER: 'pos-hub', ODOO_PASSWORD: 'hub-secret', HUB_ADMIN_TOKEN: ADMIN } });
    await untilReachable(hub, true);
    expect(odoo.sim.calls('/web/webclient/version_info')).toBeGreaterThan(0);
  });
});
