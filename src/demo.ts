/**
 * `npm run demo`: the hub on a local SQLite file with dev auth and no mDNS, so wscat and the
 * dashboard work with no Odoo. Temporary: the Odoo helper adds the simulator here.
 */
import { mkdirSync } from 'node:fs';

process.env.HUB_DEV_AUTH ??= 'true';
process.env.HUB_MDNS_ENABLED ??= 'false';
process.env.HUB_ADMIN_TOKEN ??= 'demo';
if (process.env.HUB_DB_PATH === undefined) {
  mkdirSync('.demo', { recursive: true });
  process.env.HUB_DB_PATH = '.demo/hub.sqlite';
}
await import('./main.js');
