/**
 * createHub: builds the running system — one writer worker (the only SQLite handle), N shard workers
 * (table actors) each with its own MessageChannel to the writer, and the front thread's uWS app.
 * It listens only when asked and tears everything down in close(); main.ts owns env, signals and exit.
 */
import { MessageChannel, Worker, type TransferListItem } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Logger } from './adapters/log/logger.js';
import { createUwsServer, type WsRoute } from './adapters/uws/server.js';
import type { Config } from './config.js';
import type { TokenValidator } from './ports/auth.js';
import { systemClock, type Clock, type TimerHandle } from './ports/clock.js';
import { noopMetrics, type HubMetrics } from './ports/metrics.js';
import { CLOSE_CODES } from './protocol/close-codes.js';
import { negotiateEncoding } from './protocol/negotiation.js';
import { HubError } from './protocol/errors.js';
import { Front } from './front/front.js';
import { createAdminGate } from './front/admin-auth.js';
import { Admin } from './front/http-routes.js';
import { identityProofRoute } from './front/identity-route.js';
import type { TlsIdentity } from './adapters/tls/identity.js';
import { createRequestGuard, headerFault, type RequestGuard } from './front/request-guard.js';
import { createStaticFiles } from './front/static-files.js';
import type { Session } from './front/session.js';
import { WorkerLink } from './front/worker-link.js';
import type { ActorKey, FrontToShard, FrontToWriter, ShardRequest, ShardToFront, WriterRequest, WriterStateView, WriterToFront } from '../workers/protocol.js';

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
}

export interface Hub {
  listen(port?: number, host?: string): Promise<number>;
  readonly port: number | null;
  /** The TLS listener (wss://, https://); only with deps.tlsIdentity. */
  listenTls(port?: number, host?: string): Promise<number>;
  readonly tlsPort: number | null;
  readonly uwsNative: boolean;
  collectWorkerMetrics(): Promise<unknown[]>;
  reset(): Promise<void>;
  /** Stop accepting, commit in-flight writes, close sockets with 1001, stop the workers. */
  close(): Promise<void>;
}

/** How long the deaths of several workers are gathered so the most specific cause is reported. */
const FATAL_GATHER_MS = 100;

/** Start a worker from its .ts source (through tsx) or its compiled .js. */
function spawn(relative: string, workerData: object, transfer: TransferListItem[]): Worker {
  const isTs = import.meta.url.endsWith('.ts');
  const entry = new URL(`${relative}${isTs ? '.ts' : '.js'}`, import.meta.url);
  if (!isTs) return new Worker(entry, { workerData, transferList: transfer });
  const require = createRequire(import.meta.url);
  const tsx = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `const { workerData } = require('node:worker_threads');
import(workerData.__tsx).then((m) => { m.register(); return import(workerData.__entry); });`;
  return new Worker(boot, { eval: true, workerData: { ...workerData, __tsx: tsx, __entry: entry.href }, transferList: transfer });
}

export async function createHub(deps: HubDeps): Promise<Hub> {
  const { config, log } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? noopMetrics;
  const shardCount = config.HUB_SHARDS;
  const startedAt = clock.now();
  let closing = false;
  /**
   * The most telling worker death: when the writer dies of a damaged database the shards exit too (their
   * port to it closes), and their bare "exited" must not hide its cause. Deaths are gathered for a moment.
   */
  let firstFatal: HubError | null = null;
  let started = false;
  let fatalTimer: ReturnType<typeof setTimeout> | null = null;
  const fatal = (error: HubError): void => {
    if (firstFatal === null || (firstFatal.code === 'WORKER_DIED' && error.code !== 'WORKER_DIED')) firstFatal = error;
    if (closing || !started || fatalTimer !== null) return;
    fatalTimer = setTimeout(() => {
      const cause = firstFatal ?? error;
      log.fatal({ err: cause }, 'worker died; the hub cannot continue');
      deps.onFatal?.(cause);
    }, FATAL_GATHER_MS);
  };

  // A message to a worker that cannot be cloned is left out, logged and counted — never a front-thread crash.
  const onUnsendable = (error: HubError): void => {
    metrics.quarantined('message');
    log.error({ err: error }, 'message to a worker could not be cloned; left out');
  };
  const channels = Array.from({ length: shardCount }, () => new MessageChannel());
  const writerWorker = spawn('../workers/writer/writer.worker', { config, shards: shardCount, shardPorts: channels.map((c) => c.port1) }, channels.map((c) => c.port1));
  let front: Front | null = null;
  let admin: Admin | null = null;
  let writerReady: () => void = () => undefined;
  const writerReadyP = new Promise<void>((resolve) => {
    writerReady = resolve;
  });
  const writer = new WorkerLink<FrontToWriter, WriterToFront>({
    name: 'writer',
    worker: writerWorker,
    onMessage: (message) => {
      if (message.kind === 'stats') writerReady();
      front?.onWriterMessage(message);
    },
    onDeath: fatal,
      onUnsendable,
  });

  const readyWaiters: Array<Promise<void>> = [];
  const shardWorkers: Worker[] = [];
  const shards = channels.map((channel, index) => {
    const worker = spawn('../workers/shard/shard.worker', { config, index, shards: shardCount, writerPort: channel.port2 }, [channel.port2]);
    shardWorkers.push(worker);
    let ready: () => void = () => undefined;
    readyWaiters.push(
      new Promise<void>((resolve) => {
        ready = resolve;
      }),
    );
    return new WorkerLink<FrontToShard, ShardToFront>({
      name: `shard-${index}`,
      worker,
      onMessage: (message) => {
        switch (message.kind) {
          case 'ready':
            ready();
            return;
          case 'fatal':
            fatal(HubError.fromData(message.error));
            return;
          case 'reply':
            return;
          case 'relay':
            // ORDER_TRANSFER steps between actors; the front exists before any terminal can start one.
            front?.relay(message.relays);
            return;
          default: {
            const unreachable: never = message;
            throw new Error(`unknown shard message ${JSON.stringify(unreachable)}`);
          }
        }
      },
      onDeath: fatal,
      onUnsendable,
    });
  });
  const links = [writer, ...shards];

  // Start-up fails fast if any worker dies before it is ready.
  const startupWorkers = [writerWorker, ...shardWorkers];
  let onStartupExit: (code: number) => void = () => undefined;
  const died = new Promise<never>((_, reject) => {
    onStartupExit = (code) => reject(firstFatal ?? new HubError('WORKER_DIED', `a worker exited during start-up (code ${code})`));
    for (const w of startupWorkers) w.once('exit', onStartupExit);
  });
  try {
    await Promise.race([Promise.all([writerReadyP, ...readyWaiters]), died]);
    for (const w of startupWorkers) w.off('exit', onStartupExit);
  } catch (error) {
    closing = true;
    await new Promise((resolve) => setTimeout(resolve, FATAL_GATHER_MS));
    await Promise.allSettled(links.map((l) => l.terminate()));
    throw firstFatal ?? error;
  }
  started = true;

  front = new Front({ config, clock, log, metrics, tokenValidator: deps.tokenValidator, shards, writer, onChange: () => admin?.changed() });
  front.loadRoutes(await writer.request<Array<[string, ActorKey]>>((reqId) => ({ kind: 'request', reqId, req: { type: 'routes' } })));
  const theFront = front;

  const requestAll = <R>(req: ShardRequest): Promise<R[]> => Promise.all(shards.map((s) => s.request<R>((reqId) => ({ kind: 'request', reqId, req }))));
  const writerRequest = <R>(req: WriterRequest): Promise<R> => writer.request<R>((reqId) => ({ kind: 'request', reqId, req }));
  // Counters the writer pushed before the front existed were dropped; start from fresh ones.
  theFront.onWriterMessage({ kind: 'stats', stats: await writerRequest({ type: 'flush' }) });

  let resetting: Promise<void> | null = null;
  const reset = async (): Promise<void> => {
    if (resetting) return resetting;
    resetting = (async () => {
      theFront.stopAccepting();
      theFront.closeAll(CLOSE_CODES.RESET.code, 'hub data was reset');
      await requestAll({ type: 'quiesce' });
      // The writer answers with its post-reset counts; /health must show them at once, not at the next write.
      theFront.onWriterMessage({ kind: 'stats', stats: await writerRequest({ type: 'reset' }) });
      await requestAll({ type: 'reload' });
      theFront.clearRoutes();
      theFront.startAccepting();
      log.warn('hub data reset by the admin API');
    })().finally(() => {
      resetting = null;
    });
    return resetting;
  };

  let uwsNative = false;
  const guard = deps.requestGuard ?? createRequestGuard({ allowedOrigins: config.HUB_ALLOWED_ORIGINS, allowedHosts: config.HUB_ALLOWED_HOSTS });
  admin = new Admin({
    front,
    clock,
    startedAt,
    shards: shardCount,
    uwsNative: () => uwsNative,
    version: deps.version ?? '0.1.0',
    guard,
    adminGate: createAdminGate({ token: config.HUB_ADMIN_TOKEN, maxFailures: config.HUB_ADMIN_AUTH_FAILURES, clock }),
    metricsToken: config.HUB_METRICS_TOKEN,
    hubLogin: config.ODOO_USER,
    releaseDevice: async (deviceId) => {
      theFront.closeDevice(deviceId, 'device released by the admin');
      return writerRequest<boolean>({ type: 'device_release', deviceId });
    },
    writerState: () => writerRequest<WriterStateView>({ type: 'state' }),
    reset,
    ...(deps.renderMetrics ? { renderMetrics: deps.renderMetrics } : {}),
    ...(deps.dashboardHtml ? { dashboardHtml: deps.dashboardHtml } : {}),
    ...(deps.staticRoot ? { staticFiles: createStaticFiles(deps.staticRoot) } : {}),
    ...(deps.catalog ? { catalog: deps.catalog } : {}),
  });
  const theAdmin = admin;

  const terminalRoute: WsRoute<Session> = {
    upgrade: (info) => {
      // Native terminals send no Origin and pass; a browser page from a foreign origin does not.
      const fault = headerFault(info.host, info.origin);
      if (fault !== null) return { refuse: fault };
      if (!guard.hostAllowed(info.host) || !guard.originAllowed(info.origin, info.host)) return null;
      const negotiated = negotiateEncoding(info.protocols, info.query);
      if (!negotiated.ok) return { refuse: negotiated.reason };
      const session = theFront.newSession(negotiated.encoding, info.remoteAddress);
      return negotiated.protocol === undefined ? { state: session } : { state: session, protocol: negotiated.protocol };
    },
    open: (conn) => theFront.onOpen(conn),
    message: (conn, data, isBinary) => theFront.onMessage(conn, data, isBinary),
    drain: (conn) => theFront.onDrain(conn),
    close: (conn) => theFront.onClose(conn),
  };
  const server = createUwsServer({
    maxPayload: config.HUB_MAX_PAYLOAD,
    maxBackpressure: config.HUB_MAX_BACKPRESSURE,
    ws: { '/': terminalRoute, '/dashboard': theAdmin.dashboardRoute() },
    http: deps.tlsIdentity ? [identityProofRoute((nonce, host) => deps.tlsIdentity?.prove(nonce, host) ?? null), ...theAdmin.routes()] : theAdmin.routes(),
    onError: (error, where) => log.error({ err: error, where }, 'front handler failed'),
    ...(deps.tlsIdentity ? { tls: { certFile: deps.tlsIdentity.certFile, keyFile: deps.tlsIdentity.keyFile } } : {}),
  });
  uwsNative = server.native;
  log.info({ uws: server.native ? 'native' : 'fallback', shards: shardCount }, 'hub built');

  let statusTimer: TimerHandle | null = null;
  const scheduleStatus = (): void => {
    statusTimer = clock.setTimeout(() => {
      theFront.broadcastStatus();
      scheduleStatus();
    }, config.HUB_STATUS_INTERVAL_MS);
  };

  let port: number | null = null;
  let tlsPort: number | null = null;
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
    async listen(listenPort = config.HUB_HTTP_PORT, host = config.HUB_HOST) {
      port = await server.listen(host, listenPort);
      scheduleStatus();
      theFront.startRevalidation();
      log.info({ host, port }, 'hub listening');
      return port;
    },
    collectWorkerMetrics: async () => {
      const [w, ...s] = await Promise.all([writerRequest<unknown>({ type: 'collect_metrics' }), ...shards.map((sh) => sh.request<unknown>((reqId) => ({ kind: 'request', reqId, req: { type: 'collect_metrics' } })))]);
      return [w, ...s];
    },
    reset,
    close() {
      closed ??= (async () => {
        closing = true;
        server.stopListening();
        theFront.stopAccepting();
        theFront.stopRevalidation();
        if (statusTimer !== null) clock.clearTimeout(statusTimer);
        try {
          // quiesce proves every unit a shard produced reached the writer; stop commits them.
          await requestAll({ type: 'quiesce' });
          const batching = await writerRequest<unknown>({ type: 'stop' });
          log.info({ batching }, 'writer stopped');
        } catch (error) {
          log.error({ err: error }, 'shutdown could not flush every write');
        }
        theFront.closeAll(CLOSE_CODES.GOING_AWAY.code, 'hub is shutting down');
        theAdmin.closeDashboards(CLOSE_CODES.GOING_AWAY.code);
        await Promise.allSettled(links.map((l) => l.terminate()));
      })();
      return closed;
    },
  };
}
