/**
 * `npm run demo`: the whole product on one machine with no set-up — the bundled Odoo 12 simulator,
 * then the hub against it on a local SQLite file (.demo/hub.sqlite), dev auth on (an empty token signs
 * in as the hub's Odoo user) and no mDNS. Every variable can still be overridden from the environment.
 */
import { mkdirSync } from 'node:fs';
import { startOdooSimServer } from './odoo-sim/server.js';
import { HUB_LOGIN, HUB_PASSWORD, MANAGER_SESSION_ID, SIM_DB, WAITER_SESSION_ID } from './odoo-sim/seed.js';

const env = process.env;
if (env.ODOO_URL === undefined) {
  const sim = await startOdooSimServer({ port: Number(env.ODOO_SIM_PORT ?? 0), host: '127.0.0.1', finalizeModel: env.ODOO_FINALIZE_MODEL ?? 'pos.order' });
  env.ODOO_URL = sim.url;
  env.ODOO_DB = SIM_DB;
  env.ODOO_USER = HUB_LOGIN;
  env.ODOO_PASSWORD = HUB_PASSWORD;
  const stopSim = (): void => void sim.close();
  process.once('exit', stopSim);
  process.stdout.write(
    [
      `demo: Odoo 12 simulator on ${sim.url} (database ${SIM_DB})`,
      `demo: terminal tokens — manager ${MANAGER_SESSION_ID}, waiter ${WAITER_SESSION_ID}, or empty (dev auth)`,
    ].join('\n') + '\n',
  );
}
env.HUB_DEV_AUTH ??= 'true';
env.HUB_MDNS_ENABLED ??= 'false';
env.HUB_ADMIN_TOKEN ??= 'demo';
env.HUB_LOG_PRETTY ??= 'true';
if (env.HUB_DB_PATH === undefined) {
  mkdirSync('.demo', { recursive: true });
  env.HUB_DB_PATH = '.demo/hub.sqlite';
}
const port = env.HUB_HTTP_PORT ?? '8766';
process.stdout.write(`demo: dashboard http://localhost:${port}/  terminals http://localhost:${port}/terminal/?table=1  (admin token: ${env.HUB_ADMIN_TOKEN})\n`);
await import('./main.js');
