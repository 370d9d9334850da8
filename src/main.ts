/**
 * The composition root and the only file that reads process.env (plus an optional .env through
 * node's util.parseEnv). Parses the config (exit 78 listing every problem), builds the hub, listens,
 * advertises over mDNS, and turns SIGTERM/SIGINT into a graceful stop within 5 s (and, under --expose-gc
 * only, SIGUSR2 into a full GC of every thread for the bench). A fault that stops
 * the hub (damaged database, taken port, dead worker) ends it with one stderr line and its exit code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { requestedGc } from './adapters/gc/requested-gc.js';
import { createLogger, type Logger } from './adapters/log/logger.js';
import { localHostName, startMdns } from './adapters/mdns/advertiser.js';
import { clusterTxt, hubTxtRecord } from './adapters/mdns/txt-record.js';
import type { ClusterWatch, FailoverObservation } from './ports/cluster.js';
import { createMetricsRenderer, createThreadMetrics } from './adapters/metrics/index.js';
import { RUNTIME_EXIT_CODE, unsupportedRuntimeMessage } from './adapters/uws/runtime.js';
import { createCatalogProvider } from './adapters/odoo/catalog-cache.js';
import { catalogCachePath, catalogFile, type CatalogStore } from './adapters/odoo/catalog-file.js';
import { createOdooClient, type OdooClient } from './adapters/odoo/client.js';
import { createOdooTokenValidator } from './adapters/odoo/token-validator.js';
import { loadTlsIdentity, type TlsIdentity } from './adapters/tls/identity.js';
import { CONFIG_EXIT_CODE, isLoopbackHost, parseConfig, type Config, type ConfigProblem } from './config.js';
import { dashboardHtml } from './front/dashboard/page.js';
import { withDevAuth } from './front/dev-auth.js';
import { createHub } from './hub.js';
import { CRASH_LOOP, createFailoverRequester } from './hub/failover-request.js';
import { systemClock } from './ports/clock.js';
import type { TokenValidator } from './ports/auth.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { toHubError, type HubError } from './protocol/errors.js';

/** Printed on stdout once listening, whatever the log level: tools and tests read the port from it. */
export const LISTENING_LINE_PREFIX = 'POS_HUB_LISTENING ';
const SHUTDOWN_LIMIT_MS = 5000;
/** How often a Postgres hub re-reads its cluster view (role, epoch, replication lag); docs/ha.md. */
const CLUSTER_POLL_MS = 2000;
/** A failover request: connect and two statements on the monitor, a LAN away. */
const MONITOR_TIMEOUT_MS = 3000;
const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

function loadEnv(): Record<string, string | undefined> {
  const file = process.env.HUB_ENV_FILE ?? '.env';
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

function readConfig(): Config {
  try {
    return parseConfig(loadEnv());
  } catch (error) {
    return exitOnConfigError(error);
  }
}

function exitOnConfigError(error: unknown): never {
  const e = toHubError(error);
  if (e.code !== 'CONFIG_INVALID') throw error;
  const problems = (e.details as ConfigProblem[] | undefined) ?? [];
  process.stderr.write('pos-hub: invalid configuration\n');
  for (const p of problems) process.stderr.write(`  ${p.variable}: ${p.message}\n`);
  process.exit(CONFIG_EXIT_CODE);
}

/** HUB_TLS_CERT/KEY read and checked once; a bad file is a configuration error (exit 78). */
function readTls(config: Config): TlsIdentity | undefined {
  if (config.HUB_TLS_CERT === '') return undefined;
  try {
    return loadTlsIdentity(config.HUB_TLS_CERT, config.HUB_TLS_KEY, new Date());
  } catch (error) {
    return exitOnConfigError(error);
  }
}

/** Terminal tokens are Odoo session ids; HUB_DEV_AUTH adds the reference's empty-token bypass. */
/** The catalog's copy on disk (none for an in-memory database without HUB_CATALOG_CACHE_PATH). */
function catalogStoreOf(config: Config, log: Logger): { store?: CatalogStore } {
  const path = catalogCachePath(config);
  return path === null ? {} : { store: catalogFile(path, log) };
}

function tokenValidatorFor(config: Config, log: Logger, client: OdooClient): TokenValidator {
  const odoo = createOdooTokenValidator({ client, config, clock: systemClock, log });
  if (!config.HUB_DEV_AUTH) return odoo;
  return withDevAuth(odoo, {
    hubUser: config.ODOO_USER || 'hub',
    onFallback: (reason) => log.warn({ reason }, 'dev auth: Odoo unreachable, admitting the empty token as a local manager'),
  });
}

/** With HUB_STORE=postgres, the cluster view read from HUB_PG_URL; otherwise createHub's standalone default. */
async function clusterWatchFor(config: Config, log: Logger, hubId: () => string): Promise<ClusterWatch | undefined> {
  if (config.HUB_STORE !== 'postgres') return undefined;
  // Loaded only here: a SQLite hub never loads the Postgres driver.
  const { pgClusterWatch } = await import('./adapters/postgres/cluster-view.js');
  return pgClusterWatch({
    url: config.HUB_PG_URL,
    hubId,
    ownNode: config.HUB_PG_NODE,
    clock: systemClock,
    intervalMs: CLUSTER_POLL_MS,
    onError: (error) => log.warn({ err: toHubError(error) }, 'cluster view read failed'),
    ...(await failoverRequesterFor(config, log, hubId)),
  });
}

/** With HUB_PG_MONITOR_URL, a follower asks for a failover when the leader hub stops serving (docs/ha.md). */
async function failoverRequesterFor(config: Config, log: Logger, hubId: () => string): Promise<{ onObservation?: (o: FailoverObservation) => void }> {
  if (config.HUB_PG_MONITOR_URL === '') return {};
  const { requestFailover } = await import('./adapters/postgres/monitor.js');
  const url = config.HUB_PG_MONITOR_URL;
  return {
    onObservation: createFailoverRequester({
      clock: systemClock,
      rule: { staleMs: config.HUB_LEADER_STALE_MS, intervalMs: config.HUB_FAILOVER_REQUEST_INTERVAL_MS, ...CRASH_LOOP },
      hubId,
      request: () => requestFailover(url, MONITOR_TIMEOUT_MS),
      log,
    }),
  };
}

async function main(): Promise<void> {
  const unsupported = unsupportedRuntimeMessage(process.env);
  if (unsupported !== null) {
    process.stderr.write(`${unsupported}\n`);
    process.exit(RUNTIME_EXIT_CODE);
  }
  const config = readConfig();
  const tls = readTls(config);
  const log = createLogger({ level: config.HUB_LOG_LEVEL, pretty: config.HUB_LOG_PRETTY, thread: 'front' });
  if (config.HUB_DEV_AUTH && !isLoopbackHost(config.HUB_HOST)) {
    // Allowed only by HUB_DEV_AUTH_ALLOW_REMOTE: said on every start, on stderr and in the log.
    const warning = `HUB_DEV_AUTH=true on HUB_HOST=${config.HUB_HOST} (HUB_DEV_AUTH_ALLOW_REMOTE=true): anyone who reaches this port signs in as manager`;
    process.stderr.write(`pos-hub: WARNING: ${warning}\n`);
    log.warn(warning);
  }
  const metrics = createThreadMetrics('front');
  // One Odoo client (one hub session) on the front thread: terminal tokens and the catalog.
  const odoo = createOdooClient({ config, clock: systemClock, log, metrics });
  let collect: () => Promise<unknown[]> = async () => [];
  // The hub's id names the port it listens on (HUB_ID, or <host>.local:<port>): known once createHub returns.
  let hubId = (): string => (config.HUB_ID !== '' ? config.HUB_ID : `${localHostName()}:${config.HUB_HTTP_PORT}`);
  const cluster = await clusterWatchFor(config, log, () => hubId());
  const hub = await createHub({
    ...(cluster ? { cluster } : {}),
    config,
    log,
    tokenValidator: tokenValidatorFor(config, log, odoo),
    catalog: createCatalogProvider({ client: odoo, clock: systemClock, log, ...catalogStoreOf(config, log) }),
    metrics,
    renderMetrics: createMetricsRenderer(() => collect(), { refreshMs: config.HUB_METRICS_REFRESH_MS }),
    dashboardHtml,
    ...(existsSync(PUBLIC_DIR) ? { staticRoot: PUBLIC_DIR } : {}),
    ...(tls ? { tlsIdentity: tls } : {}),
    onFatal: (error) => {
      log.fatal({ err: error }, 'exiting so the supervisor restarts the hub from SQLite');
      exitFor(error);
    },
  });
  collect = () => hub.collectWorkerMetrics();
  hubId = () => hub.hubId;
  // HUB_TLS_ONLY keeps plain HTTP/ws for local tools only: the LAN sees the TLS listener alone.
  const port = await hub.listen(config.HUB_HTTP_PORT, tls && config.HUB_TLS_ONLY ? '127.0.0.1' : config.HUB_HOST);
  const tlsPort = tls ? await hub.listenTls() : null;
  const tlsLine = tls ? { tlsPort, keyPin: tls.keyPin, certSha256: tls.certSha256 } : {};
  process.stdout.write(`${LISTENING_LINE_PREFIX}${JSON.stringify({ port, host: config.HUB_HOST, uws: hub.uwsNative ? 'native' : 'fallback', ...tlsLine })}\n`);

  const mdnsTls = tls && tlsPort !== null ? { tls: { port: tlsPort, certSha256: tls.certSha256, keyPin: tls.keyPin } } : {};
  const mdns = config.HUB_MDNS_ENABLED
    ? startMdns({
        port: tls && config.HUB_TLS_ONLY && tlsPort !== null ? tlsPort : port,
        name: 'POS Hub',
        type: 'pos-hub',
        log,
        txt: { ...hubTxtRecord({ path: '/', encodings: ['json', 'msgpack'] }), ...clusterTxt(hub.cluster.current()) },
        // Advertise only what the hub listens on: AAAA records for an IPv4 listener send clients nowhere.
        ipv6: config.HUB_HOST.includes(':'),
        ...mdnsTls,
      })
    : null;
  hub.cluster.onChange((view) => mdns?.update(clusterTxt(view)));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const limit = setTimeout(() => {
      log.error('shutdown took longer than 5 s; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    Promise.all([hub.close(), mdns?.stop()])
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Bench-only (node --expose-gc, never in production): SIGUSR2 collects garbage in every thread.
  const collectGarbage = requestedGc();
  if (collectGarbage !== null) process.on('SIGUSR2', collectGarbage);
}

let exiting = false;
/** One line naming the cause, then the exit code of its class (README: Exit codes). */
function exitFor(error: HubError): void {
  if (exiting) return;
  exiting = true;
  const name = exitCodeFor(error);
  const { code } = EXIT_CODES[name];
  process.stderr.write(`pos-hub: ${error.message} [${error.code}, exit ${code} ${name}]\n`);
  const origin = error.cause instanceof Error ? error.cause : error;
  if (name === 'FAILURE' && error.code === 'INTERNAL' && origin.stack) process.stderr.write(`${origin.stack}\n`);
  process.exitCode = code;
  setImmediate(() => process.exit(code));
}

main().catch((error: unknown) => exitFor(toHubError(error)));
