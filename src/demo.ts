/**
 * `npm run demo`: the whole product on one machine with no set-up — the bundled Odoo 12 simulator,
 * then the hub against it on a local SQLite file (.demo/hub.sqlite), dev auth on (an empty token signs
 * in as the hub's Odoo user) and no mDNS. It listens on 127.0.0.1 only, because dev auth lets anyone
 * who reaches the port sign in as manager, and its admin token is random per run. Every variable can
 * still be overridden from the environment (README, "Opening the demo to the LAN").
 */
import { randomBytes } from 'node:crypto';
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
env.HUB_HOST ??= '127.0.0.1';
env.HUB_DEV_AUTH ??= 'true';
env.HUB_MDNS_ENABLED ??= 'false';
env.HUB_ADMIN_TOKEN ??= randomBytes(18).toString('base64url');
env.HUB_LOG_PRETTY ??= 'true';
if (env.HUB_DB_PATH === undefined) {
  mkdirSync('.demo', { recursive: true });
  env.HUB_DB_PATH = '.demo/hub.sqlite';
}
const port = env.HUB_HTTP_PORT ?? '8766';
const shown = env.HUB_HOST === '0.0.0.0' || env.HUB_HOST === '::' ? 'localhost' : env.HUB_HOST.includes(':') ? `[${env.HUB_HOST}]` : env.HUB_HOST;
process.stdout.write(
  [
    `demo: listening on ${env.HUB_HOST}:${port} only${env.HUB_HOST === '127.0.0.1' ? ' (this machine; see the README to open it to the LAN)' : ''}`,
    `demo: dashboard http://${shown}:${port}/  terminals http://${shown}:${port}/terminal/?table=1`,
    `demo: admin token (dashboard, reset): ${env.HUB_ADMIN_TOKEN}`,
  ].join('\n') + '\n',
);
await import('./main.js');
