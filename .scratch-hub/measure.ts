import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/adapters/log/logger.js';
import { parseConfig } from '../src/config.js';
import { createDevTokenValidator } from '../src/front/dev-auth.js';
import { createHub } from '../src/hub.js';
import { noopMetrics } from '../src/ports/metrics.js';
const lat: number[] = [];
import { TestTerminal, snapshot } from '../test/helpers/terminal.js';

const window = process.argv[2] ?? '2';
const sync = process.argv[3] ?? 'full';
const TERMINALS = Number(process.env.T ?? 20), PER = Number(process.env.PER ?? 250), IN_FLIGHT = Number(process.env.IF ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'measure-'));
const lines: string[] = [];
const dest = new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } });
const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_DB_PATH: join(dir, 'h.sqlite'), HUB_SHARDS: '1', HUB_COMMIT_WINDOW_MS: window, HUB_DB_SYNC: sync, ODOO_URL: 'http://127.0.0.1:9' });
const hub = await createHub({ config, log: createLogger({ level: 'info', destination: dest }), tokenValidator: createDevTokenValidator({ devAuth: true, hubUser: 'hub' }), metrics: { ...noopMetrics, ackLatency: (s) => lat.push(s * 1000) } });
const port = await hub.listen(0, '127.0.0.1');
const ts = await Promise.all(Array.from({ length: TERMINALS }, (_, i) => TestTerminal.connect(`ws://127.0.0.1:${port}`, { deviceId: `m${i}` })));
await Promise.all(ts.map(async (t, i) => { t.send({ type: 'LEASE_ACQUIRE', posReference: `M-${i}`, baseVersion: 0, tableId: i + 1 }); await t.awaitType('LEASE_GRANTED'); }));
const t0 = performance.now();
await Promise.all(ts.map(async (t, i) => {
  let sent = 0;
  const next = () => { sent++; t.send({ type: 'ORDER_SNAPSHOT', posReference: `M-${i}`, baseVersion: sent - 1, snapshot: snapshot(`M-${i}`, i + 1, { staffName: `v${sent}` }) }); };
  for (let k = 0; k < IN_FLIGHT; k++) next();
  for (let acks = 0; acks < PER; acks++) { await t.awaitType('ORDER_ACK'); if (sent < PER) next(); }
}));
const secs = (performance.now() - t0) / 1000;
await Promise.all(ts.map((t) => t.close()));
await hub.close();
const stop = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'writer stopped');
const b = stop.batching;
console.log(JSON.stringify({ window, sync, writes: TERMINALS * PER, secs: +secs.toFixed(2), writesPerSec: Math.round(TERMINALS * PER / secs), commits: b.commits, commitsPerSec: Math.round(b.commits / secs), unitsPerCommit: +(b.units / b.commits).toFixed(1), rowsPerCommit: +(b.rows / b.commits).toFixed(1), maxUnits: b.maxUnits, commitMsAvg: +(b.commitMs / b.commits).toFixed(2) }));
lat.sort((a, b) => a - b); console.log('ack latency ms p50', lat[Math.floor(lat.length / 2)], 'p99', lat[Math.floor(lat.length * 0.99)]);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
