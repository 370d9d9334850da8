/**
 * createHub: the composition root's one entry point. It starts the threads (src/hub/workers.ts), builds the
 * front and its listeners (src/hub/http.ts), and wires reset and shutdown (src/hub/reset.ts, shutdown.ts).
 * It listens only when asked and tears everything down in close(); main.ts owns env, signals and exit.
 */
import type { Logger } from './adapters/log/logger.js';
import type { Config } from './config.js';
import type { TokenValidator } from './ports/auth.js';
import { systemClock, type Clock } from './ports/clock.js';
import { standaloneWatch, type ClusterWatch, type HubIdentityView } from './ports/cluster.js';
import { localHostName } from './adapters/mdns/advertiser.js';
import { noopMetrics, type HubMetrics } from './ports/metrics.js';
import type { HubError } from './protocol/errors.js';
import { Front } from './front/front.js';
import type { TlsIdentity } from './adapters/tls/identity.js';
import { createRequestGuard, type RequestGuard } from './front/request-guard.js';
import { FatalWatch } from './hub/fatal.js';
import { createHubHttp } from './hub/http.js';
import { catchUpAll, requestAll } from './hub/requests.js';
import { createReset } from './hub/reset.js';
import { shutdown } from './hub/shutdown.js';
import { StatusTimer } from './hub/status-timer.js';
import { startWorkers } from './hub/workers.js';
import { createLeadership } from './hub/leadership.js';

export interface HubDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly tokenValidator: TokenValidator;
  readonly metrics?: HubMetrics;
  readonly clock?: Clock;
  readonly renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  readonly dashboardHtml?: () => string;
  /** Directory served for GET paths no route claims (the terminal page and SDK bundle, src/public). */
  readonly staticRoot?: string;
  /** GET /api/catalog's provider (adapters/odoo/catalog-cache.ts); without it the route is absent. */
  readonly catalog?: () => Promise<unknown>;
  readonly version?: string;
  /** Host and Origin checks; the default allows the machine's own names plus HUB_ALLOWED_HOSTS/ORIGINS. */
  readonly requestGuard?: RequestGuard;
  /** A worker died: the hub is no longer whole. main.ts exits non-zero; the default only logs. */
  readonly onFatal?: (error: HubError) => void;
  /** HUB_TLS_CERT/KEY, loaded and checked by main.ts: adds the TLS listener and GET /api/hub-identity. */
  readonly tlsIdentity?: TlsIdentity;
  /**
   * Role, epoch, leader and replication (ports/cluster.ts); default: standalone, epoch 0 (the SQLite hub).
   * main.ts gives the Postgres view with HUB_STORE=postgres. createHub starts it and stops it in close().
   * A watch with onRead runs the leadership loop (src/hub/leadership.ts); a HUB_STORE=postgres hub needs
   * one, or its writer follows (refuses every write) for good.
   */
  readonly cluster?: ClusterWatch;
  /**
   * This hub's id in AUTH_OK/HUB_STATUS and the takeovers table; default HUB_ID, else
   * `<host>.local:<the port it listens on>` (HUB_HTTP_PORT until it listens).
   */
  readonly hubId?: string;
}

export interface Hub {
  listen(port?: number, host?: string): Promise<number>;
  readonly port: number | null;
  /** The TLS listener (wss://, https://); only with deps.tlsIdentity. */
  listenTls(port?: number, host?: string): Promise<number>;
  readonly tlsPort: number | null;
  readonly uwsNative: boolean;
  /** The role it holds: with a replicated store's watch (onRead), the leadership loop's view (src/hub/leadership.ts). */
  readonly cluster: ClusterWatch;
  readonly hubId: string;
  collectWorkerMetrics(): Promise<unknown[]>;
  reset(): Promise<void>;
  /** Stop accepting, commit in-flight writes, close sockets with 1001, stop the workers. */
  close(): Promise<void>;
}

export async function createHub(deps: HubDeps): Promise<Hub> {
  const { config, log } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? noopMetrics;
  const startedAt = clock.now();
  const fatal = new FatalWatch(log, deps.onFatal);

  // The front is built once the workers are ready; what they say before that is dropped (see below).
  let front: Front | null = null;
  let port: number | null = null;
  let tlsPort: number | null = null;
  const workers = await startWorkers({
    config,
    log,
    metrics,
    fatal,
    onWriterMessage: (message) => front?.onWriterMessage(message),
    // ORDER_TRANSFER steps between actors; the front exists before any terminal can start one.
    onRelay: (relays) => front?.relay(relays),
  });
  const { writer, shards } = workers;
  const hubId = (): string =>
    deps.hubId ?? (config.HUB_ID !== '' ? config.HUB_ID : `${localHostName()}:${port ?? config.HUB_HTTP_PORT}`);
  // A replicated store's watch reports each read: this hub then leads while its own node is the primary.
  const leadership =
    deps.cluster?.onRead === undefined
      ? null
      : createLeadership({
          watch: deps.cluster,
          hubId,
          log,
          actions: {
            promote: async (node) => {
              const started = clock.now();
              const { epoch, generation, catchUp } = await writer.request('take_over', { node });
              // What the previous leader wrote is in the store: the follower's tail kept the actors current up
              // to its mark and the takeover caught them up (docs/ha.md "Follower hubs"); without a catch-up
              // they reload. Routes too, before the first write is accepted (the role flips when this resolves).
              if (catchUp == null || generation === undefined) await requestAll(shards, 'reload');
              else await catchUpAll(shards, generation, catchUp);
              front?.loadRoutes(await writer.request('routes'));
              const how = catchUp == null ? 'full reload' : { events: catchUp.events, keys: catchUp.keys.length, grants: catchUp.seeds.length };
              log.warn({ epoch, ms: clock.now() - started, catchUp: how }, 'promoted: actors and routes ready');
              return epoch;
            },
            demote: async (leader) => {
              await writer.request('demote', { leader });
            },
          },
        });
  const cluster: ClusterWatch = leadership ?? deps.cluster ?? standaloneWatch();
  // Read once before any terminal can sign in, so the first AUTH_OK already names the role.
  await cluster.start();
  const hubIdentity = (): HubIdentityView => {
    const view = cluster.current();
    return { id: hubId(), role: view.role, epoch: view.epoch };
  };

  let http: { changed(): void } | null = null;
  const theFront = new Front({
    config,
    clock,
    log,
    metrics,
    tokenValidator: deps.tokenValidator,
    shards,
    writer,
    onChange: () => http?.changed(),
    hub: hubIdentity,
    cluster: () => cluster.current(),
    onFenced: ({ current }) => leadership?.fenced(current),
  });
  front = theFront;
  // A new role or epoch reaches the terminals now, not at the next HUB_STATUS tick.
  cluster.onChange(() => theFront.broadcastStatus());
  // The dashboard shows the lag too: any new view refreshes it (DashboardPush throttles).
  cluster.onUpdate(() => http?.changed());
  theFront.loadRoutes(await writer.request('routes'));
  // Counters the writer pushed before the front existed were dropped; start from fresh ones.
  theFront.onWriterMessage({ type: 'stats', input: await writer.request('flush') });

  const reset = createReset(workers, theFront, log);
  const guard =
    deps.requestGuard ??
    createRequestGuard({ allowedOrigins: config.HUB_ALLOWED_ORIGINS, allowedHosts: config.HUB_ALLOWED_HOSTS });
  const { server, dashboards } = createHubHttp({
    config,
    log,
    clock,
    front: theFront,
    guard,
    startedAt,
    version: deps.version ?? '0.1.0',
    writerState: () => writer.request('state'),
    reset,
    releaseDevice: async (deviceId) => {
      theFront.closeDevice(deviceId, 'device released by the admin');
      return writer.request('device_release', { deviceId });
    },
    ...(deps.renderMetrics ? { renderMetrics: deps.renderMetrics } : {}),
    ...(deps.dashboardHtml ? { dashboardHtml: deps.dashboardHtml } : {}),
    ...(deps.staticRoot ? { staticRoot: deps.staticRoot } : {}),
    ...(deps.catalog ? { catalog: deps.catalog } : {}),
    ...(deps.tlsIdentity ? { tlsIdentity: deps.tlsIdentity } : {}),
    cluster: () => cluster.current(),
  });
  http = dashboards;
  log.info({ uws: server.native ? 'native' : 'fallback', shards: config.HUB_SHARDS }, 'hub built');

  const status = new StatusTimer(clock, config.HUB_STATUS_INTERVAL_MS, () => theFront.broadcastStatus());
  let closed: Promise<void> | null = null;
  return {
    get port() {
      return port;
    },
    get tlsPort() {
      return tlsPort;
    },
    async listenTls(listenPort = config.HUB_TLS_PORT, host = config.HUB_HOST) {
      tlsPort = await server.listenTls(host, listenPort);
      log.info({ host, port: tlsPort, keyPin: deps.tlsIdentity?.keyPin }, 'hub listening for TLS');
      return tlsPort;
    },
    uwsNative: server.native,
    cluster,
    get hubId() {
      return hubId();
    },
    async listen(listenPort = config.HUB_HTTP_PORT, host = config.HUB_HOST) {
      port = await server.listen(host, listenPort);
      status.start();
      theFront.startRevalidation();
      // From now on the hub id names the port terminals dial: it may take over (done before this resolves).
      await leadership?.enable();
      log.info({ host, port }, 'hub listening');
      return port;
    },
    collectWorkerMetrics: async () => {
      const [w, s] = await Promise.all([writer.request('collect_metrics'), requestAll(shards, 'collect_metrics')]);
      return [w, ...s];
    },
    reset,
    close() {
      closed ??= shutdown({ server, front: theFront, dashboards, status, workers, fatal, log }).finally(() => cluster.stop());
      return closed;
    },
  };
}
