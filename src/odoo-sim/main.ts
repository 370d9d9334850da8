/**
 * CLI entry of the Odoo 12 simulator (`npm run odoo-sim`): starts it on ODOO_SIM_PORT (default 8069)
 * and prints the URL and the seeded credentials and session ids, so a developer can point the hub
 * (ODOO_URL/ODOO_DB/ODOO_USER/ODOO_PASSWORD) and terminals (AUTH.token) at it.
 */
import { startOdooSimServer } from './server.js';
import { SIM_DB, SIM_POS_CONFIG, SIM_POS_SESSION, SIM_USERS } from './seed.js';

const port = Number(process.env.ODOO_SIM_PORT ?? '8069');
const host = process.env.ODOO_SIM_HOST ?? '127.0.0.1';
const finalizeModel = process.env.ODOO_FINALIZE_MODEL ?? 'pos.order';
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`ODOO_SIM_PORT must be a port number (got ${JSON.stringify(process.env.ODOO_SIM_PORT)})\n`);
  process.exit(78);
}

const server = await startOdooSimServer({ port, host, finalizeModel });
const lines = [
  `Odoo 12 simulator listening on ${server.url}`,
  `  database: ${SIM_DB}   POS config: ${SIM_POS_CONFIG.id} (nu_hub_enabled)   open POS session: ${SIM_POS_SESSION.id}`,
  `  hub user:  ODOO_USER=${SIM_USERS.hub.login} ODOO_PASSWORD=${SIM_USERS.hub.password}   (dev: admin / admin)`,
  `  manager:   ${SIM_USERS.manager.login} / ${SIM_USERS.manager.password}   AUTH.token=${SIM_USERS.manager.sessionId}`,
  `  waiter:    ${SIM_USERS.waiter.login} / ${SIM_USERS.waiter.password}   AUTH.token=${SIM_USERS.waiter.sessionId}`,
  `  simulator-only: GET ${server.url}/pos-hub-sim/catalog, GET /pos-hub-sim/state, POST /pos-hub-sim/faults, POST /pos-hub-sim/control`,
];
process.stdout.write(`${lines.join('\n')}\n`);

const shutdown = (): void => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
