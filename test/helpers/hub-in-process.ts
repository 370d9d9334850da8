/**
 * The hub in the test process: `createHub` from src/hub.ts with real worker threads (shards and the
 * writer), a real SQLite file in a temp dir, real uWS on 127.0.0.1 port 0 and, when asked, the Odoo
 * simulator in the same process. No hand wiring of shards and writer: tests get the composition root
 * main.ts uses, plus the handle (reset, worker metrics) and a `stop()` that leaves no thread or file.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/adapters/log/logger.js';
import { createMetricsRenderer, createThreadMetrics } from '../../src/adapters/metrics/index.js';
import type { TlsIdentity } from '../../src/adapters/tls/identity.js';
import { parseConfig } from '../../src/config.js';
import { dashboardHtml } from '../../src/front/dashboard/page.js';
import { createDevTokenValidator } from '../../src/front/dev-auth.js';
import { createHub, type Hub } from '../../src/hub.js';
import type { OdooSimOptions } from '../../src/odoo-sim/server.js';
import type { TokenValidator } from '../../src/ports/auth.js';
import type { Clock } from '../../src/ports/clock.js';
import type { ClusterWatch } from '../../src/ports/cluster.js';
import { HUB_LOGIN, HUB_PASSWORD, SIM_DB, startOdooSim, type StartedOdooSim } from './odoo-sim.js';
import { ROOT, TEST_HUB_ENV } from './spawn-hub.js';
import type { StartedHub } from './start-hub.js';

export interface InProcessHubOptions {
  /** Variables on top of TEST_HUB_ENV (and of the simulator's ODOO_* when `odoo` is set). */
  env?: Record<string, string>;
  /** Reuse a database (restart tests); the caller owns it and it is never deleted. */
  dbPath?: string;
  /** The default is the dev validator (empty token, or dev:<role>:<name>). */
  tokenValidator?: TokenValidator;
  /** GET /api/catalog's provider (createHub's `catalog`). */
  catalog?: () => Promise<unknown>;
  /** Serve TLS too (createHub's `tlsIdentity`, listening on 127.0.0.1 port 0). */
  tlsIdentity?: TlsIdentity;
  /** The front's clock (auth re-checks, timeouts), e.g. a TestClock. */
  clock?: Clock;
  /** Start the Odoo simulator in this process (with these options) and point ODOO_* at it; stop() stops it. */
  odoo?: true | Omit<OdooSimOptions, 'port' | 'host'>;
  /** createHub's cluster view (default: standalone) and hub id. */
  cluster?: ClusterWatch;
  hubId?: string;
}

export interface InProcessHub extends StartedHub {
  /** createHub's handle: reset(), collectWorkerMetrics(), … */
  readonly hub: Hub;
  /** The simulator when `odoo` was asked for. */
  readonly odoo: StartedOdooSim | null;
  /** Close the hub (threads joined, SQLite closed), then the simulator, then remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export async function startHubInProcess(options: InProcessHubOptions = {}): Promise<InProcessHub> {
  const ownDir = options.dbPath === undefined ? mkdtempSync(join(tmpdir(), 'pos-hub-test-')) : null;
  const dbPath = options.dbPath ?? join(ownDir!, 'hub.sqlite');
  const removeDir = (): void => {
    if (ownDir !== null) rmSync(ownDir, { recursive: true, force: true });
  };
  let odoo: StartedOdooSim | null = null;
  let hub: Hub | null = null;
  try {
    if (options.odoo !== undefined) odoo = await startOdooSim(options.odoo === true ? {} : options.odoo);
    const odooEnv = odoo === null ? {} : { ODOO_URL: odoo.url, ODOO_DB: SIM_DB, ODOO_USER: HUB_LOGIN, ODOO_PASSWORD: HUB_PASSWORD };
    const config = parseConfig({ ...TEST_HUB_ENV, ...odooEnv, ...options.env, HUB_DB_PATH: dbPath });
    const log = createLogger({ level: config.HUB_LOG_LEVEL, thread: 'front' });
    const publicDir = join(ROOT, 'src', 'public');
    // The same surface as main.ts: /metrics across every thread and the dashboard page.
    let collectWorkers: () => Promise<unknown[]> = async () => [];
    hub = await createHub({
      config,
      log,
      tokenValidator: options.tokenValidator ?? createDevTokenValidator({ devAuth: config.HUB_DEV_AUTH, hubUser: 'hub' }),
      metrics: createThreadMetrics('front'),
      renderMetrics: createMetricsRenderer(() => collectWorkers()),
      dashboardHtml,
      ...(existsSync(publicDir) ? { staticRoot: publicDir } : {}),
      ...(options.catalog ? { catalog: options.catalog } : {}),
      ...(options.tlsIdentity ? { tlsIdentity: options.tlsIdentity } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.cluster ? { cluster: options.cluster } : {}),
      ...(options.hubId ? { hubId: options.hubId } : {}),
    });
    const started = hub;
    collectWorkers = () => started.collectWorkerMetrics();
    const port = await started.listen(0, '127.0.0.1');
    const tlsPort = options.tlsIdentity ? await started.listenTls(0, '127.0.0.1') : null;
    const sim = odoo;
    let stopped: Promise<void> | null = null;
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        try {
          await started.close();
        } finally {
          await sim?.close();
          removeDir();
        }
      })();
      return stopped;
    };
    return {
      hub: started,
      odoo: sim,
      url: `http://127.0.0.1:${port}`,
      wsUrl: `ws://127.0.0.1:${port}`,
      port,
      dbPath,
      ...(tlsPort === null ? {} : { tlsUrl: `https://127.0.0.1:${tlsPort}`, wssUrl: `wss://127.0.0.1:${tlsPort}` }),
      stop,
      close: stop,
      kill: () => Promise.reject(new Error('kill() needs a child process: spawnHub or startHub({ mode: "child-process" })')),
    };
  } catch (error) {
    // A failed start leaves nothing behind either.
    await hub?.close().catch(() => undefined);
    await odoo?.close().catch(() => undefined);
    removeDir();
    throw error;
  }
}
