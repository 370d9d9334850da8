/**
 * Boot a real hub for tests and benchmarks: real worker threads, real uWS on 127.0.0.1 port 0, SQLite
 * in a temp dir. `in-process` calls createHub; `child-process` runs `node --import tsx src/main.ts` and
 * learns the port from its one machine-readable stdout line `POS_HUB_LISTENING {"port":…}`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { createLogger } from '../../src/adapters/log/logger.js';
import { parseConfig } from '../../src/config.js';
import { createDevTokenValidator } from '../../src/front/dev-auth.js';
import { createMetricsRenderer, createThreadMetrics } from '../../src/adapters/metrics/index.js';
import { dashboardHtml } from '../../src/front/dashboard/page.js';
import { createHub } from '../../src/hub.js';
import type { TokenValidator } from '../../src/ports/auth.js';
import type { TlsIdentity } from '../../src/adapters/tls/identity.js';
import type { Clock } from '../../src/ports/clock.js';

export interface StartHubOptions {
  env?: Record<string, string>;
  /** Reuse a database (restart tests); the caller owns it and it is never deleted. */
  dbPath?: string;
  mode?: 'in-process' | 'child-process';
  /** in-process only; the default is the dev validator (empty token, or dev:<role>:<name>). */
  tokenValidator?: TokenValidator;
  /** child-process only: how long to wait for the listening line (default 20 s; chaos runs on loaded machines). */
  startLimitMs?: number;
  /** in-process only: GET /api/catalog's provider (createHub's `catalog`). */
  catalog?: () => Promise<unknown>;
  /** in-process only: serve TLS too (createHub's `tlsIdentity`, listening on 127.0.0.1 port 0). */
  tlsIdentity?: TlsIdentity;
  /** in-process only: the front's clock (auth re-checks, timeouts), e.g. a ManualClock. */
  clock?: Clock;
}

export interface StartedHub {
  url: string;
  wsUrl: string;
  port: number;
  dbPath: string;
  close(): Promise<void>;
  /** child-process only: send a signal and wait for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** child-process only: how the process ended (after kill/close). */
  exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** child-process only: everything it printed so far. */
  output?: () => string;
  /** With TLS (in-process tlsIdentity, or HUB_TLS_CERT in a child): https://127.0.0.1:<tls port>. */
  tlsUrl?: string;
  /** The same as wss://. */
  wssUrl?: string;
  /** child-process only: the hub's process id (memory measurements read /proc/<pid>/status). */
  pid?: number;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LISTENING = 'POS_HUB_LISTENING ';
const START_LIMIT_MS = 20_000;

const DEFAULTS: Record<string, string> = {
  HUB_HTTP_PORT: '0',
  HUB_HOST: '127.0.0.1',
  HUB_DEV_AUTH: 'true',
  HUB_MDNS_ENABLED: 'false',
  HUB_LOG_LEVEL: 'silent',
  HUB_SHARDS: '2',
  HUB_COMMIT_WINDOW_MS: '1',
  // Tests read a counter right after the traffic that moved it: render /metrics per scrape, no cache.
  HUB_METRICS_REFRESH_MS: '0',
  // Nothing listens here: finalize tests use the Odoo simulator helper and set ODOO_URL themselves.
  ODOO_URL: 'http://127.0.0.1:9',
};

/**
 * For tests that start several hubs (crash and restart tests): returns a `boot` that starts one and
 * closes every hub it started after each test, newest first — a restarted hub reuses the temp dir its
 * predecessor owns and removes on close.
 */
export function bootHubs(): (options?: StartHubOptions) => Promise<StartedHub> {
  const started: StartedHub[] = [];
  afterEach(async () => {
    for (const hub of started.reverse()) await hub.close();
    started.length = 0;
  });
  return async (options) => {
    const hub = await startHub(options);
    started.push(hub);
    return hub;
  };
}

export async function startHub(options: StartHubOptions = {}): Promise<StartedHub> {
  const ownDir = options.dbPath === undefined ? mkdtempSync(join(tmpdir(), 'pos-hub-test-')) : null;
  const dbPath = options.dbPath ?? join(ownDir ?? '', 'hub.sqlite');
  const env = { ...DEFAULTS, ...options.env, HUB_DB_PATH: dbPath };
  const cleanup = (): void => {
    if (ownDir !== null) rmSync(ownDir, { recursive: true, force: true });
  };
  return (options.mode ?? 'in-process') === 'in-process' ? startInProcess(env, dbPath, options.tokenValidator, cleanup, options.catalog, options.tlsIdentity, options.clock) : startChild(env, dbPath, cleanup, options.startLimitMs ?? START_LIMIT_MS);
}

async function startInProcess(
  env: Record<string, string>,
  dbPath: string,
  validator: TokenValidator | undefined,
  cleanup: () => void,
  catalog?: () => Promise<unknown>,
  tlsIdentity?: TlsIdentity,
  clock?: Clock,
): Promise<StartedHub> {
  const config = parseConfig(env);
  const log = createLogger({ level: config.HUB_LOG_LEVEL, thread: 'front' });
  const publicDir = join(ROOT, 'src', 'public');
  // The same surface as main.ts: /metrics across every thread and the dashboard page.
  let collectWorkers: () => Promise<unknown[]> = async () => [];
  const hub = await createHub({
    config,
    log,
    tokenValidator: validator ?? createDevTokenValidator({ devAuth: config.HUB_DEV_AUTH, hubUser: 'hub' }),
    metrics: createThreadMetrics('front'),
    renderMetrics: createMetricsRenderer(() => collectWorkers()),
    dashboardHtml,
    ...(existsSync(publicDir) ? { staticRoot: publicDir } : {}),
    ...(catalog ? { catalog } : {}),
    ...(tlsIdentity ? { tlsIdentity } : {}),
    ...(clock ? { clock } : {}),
  });
  collectWorkers = () => hub.collectWorkerMetrics();
  const port = await hub.listen(0, '127.0.0.1');
  const tlsPort = tlsIdentity ? await hub.listenTls(0, '127.0.0.1') : null;
  let closed: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    dbPath,
    ...(tlsPort === null ? {} : { tlsUrl: `https://127.0.0.1:${tlsPort}`, wssUrl: `wss://127.0.0.1:${tlsPort}` }),
    close() {
      closed ??= hub.close().finally(cleanup);
      return closed;
    },
    kill: () => Promise.reject(new Error('kill() needs mode: child-process')),
  };
}

async function startChild(env: Record<string, string>, dbPath: string, cleanup: () => void, startLimitMs: number): Promise<StartedHub> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HUB_ENV_FILE: '/nonexistent/.env', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let tlsPort: number | null = null;
  const port = await new Promise<number>((resolve, reject) => {
    const limit = setTimeout(() => {
      // Not left running: a hub that listens late would hold the database the caller retries on.
      child.kill('SIGKILL');
      reject(new Error(`hub did not start within ${startLimitMs} ms:\n${output}`));
    }, startLimitMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((l) => l.startsWith(LISTENING));
      if (line) {
        clearTimeout(limit);
        const listening = JSON.parse(line.slice(LISTENING.length)) as { port: number; tlsPort?: number };
        tlsPort = listening.tlsPort ?? null;
        resolve(listening.port);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    void exit.then(({ code, signal }) => {
      clearTimeout(limit);
      reject(new Error(`hub exited before listening (code ${code}, signal ${signal}):\n${output}`));
    });
  });
  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exit;
  };
  let closed: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    dbPath,
    exit,
    ...(tlsPort === null ? {} : { tlsUrl: `https://127.0.0.1:${tlsPort}`, wssUrl: `wss://127.0.0.1:${tlsPort}` }),
    output: () => output,
    ...(child.pid === undefined ? {} : { pid: child.pid }),
    kill,
    close() {
      closed ??= kill('SIGTERM').finally(cleanup);
      return closed;
    },
  };
}
