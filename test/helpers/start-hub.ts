/**
 * Boot a real hub for tests and benchmarks: real worker threads, real uWS on 127.0.0.1 port 0, SQLite
 * in a temp dir. `in-process` is test/helpers/hub-in-process.ts (createHub in this process);
 * `child-process` runs src/main.ts through test/helpers/spawn-hub.ts. One shape for both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { TokenValidator } from '../../src/ports/auth.js';
import type { TlsIdentity } from '../../src/adapters/tls/identity.js';
import type { Clock } from '../../src/ports/clock.js';
import { startHubInProcess } from './hub-in-process.js';
import { HUB_START_LIMIT_MS, TEST_HUB_ENV, spawnHub } from './spawn-hub.js';

export interface StartHubOptions {
  env?: Record<string, string>;
  /** Reuse a database (restart tests); the caller owns it and it is never deleted. */
  dbPath?: string;
  mode?: 'in-process' | 'child-process';
  /** in-process only; the default is the dev validator (empty token, or dev:<role>:<name>). */
  tokenValidator?: TokenValidator;
  /** child-process only: how long to wait for the listening line (default HUB_START_LIMIT_MS). */
  startLimitMs?: number;
  /** in-process only: GET /api/catalog's provider (createHub's `catalog`). */
  catalog?: () => Promise<unknown>;
  /** in-process only: serve TLS too (createHub's `tlsIdentity`, listening on 127.0.0.1 port 0). */
  tlsIdentity?: TlsIdentity;
  /** in-process only: the front's clock (auth re-checks, timeouts), e.g. a TestClock. */
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
  const env = { ...TEST_HUB_ENV, ...options.env, HUB_DB_PATH: dbPath };
  const cleanup = (): void => {
    if (ownDir !== null) rmSync(ownDir, { recursive: true, force: true });
  };
  if ((options.mode ?? 'in-process') === 'child-process') return startChild(env, dbPath, cleanup, options.startLimitMs ?? HUB_START_LIMIT_MS);
  const hub = await startHubInProcess({
    env,
    dbPath,
    ...(options.tokenValidator ? { tokenValidator: options.tokenValidator } : {}),
    ...(options.catalog ? { catalog: options.catalog } : {}),
    ...(options.tlsIdentity ? { tlsIdentity: options.tlsIdentity } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  }).catch((error: unknown) => {
    cleanup();
    throw error;
  });
  let closed: Promise<void> | null = null;
  return {
    ...hub,
    close() {
      closed ??= hub.stop().finally(cleanup);
      return closed;
    },
  };
}

async function startChild(env: Record<string, string>, dbPath: string, cleanup: () => void, startLimitMs: number): Promise<StartedHub> {
  let spawned;
  try {
    spawned = await spawnHub({ env, startLimitMs });
  } catch (error) {
    cleanup();
    throw error;
  }
  const { port, tlsPort } = spawned.listening!;
  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    await spawned.kill(signal);
  };
  let closed: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    dbPath,
    exit: spawned.exit,
    ...(tlsPort === undefined ? {} : { tlsUrl: `https://127.0.0.1:${tlsPort}`, wssUrl: `wss://127.0.0.1:${tlsPort}` }),
    output: spawned.output,
    ...(spawned.pid === undefined ? {} : { pid: spawned.pid }),
    kill,
    close() {
      closed ??= kill('SIGTERM').finally(cleanup);
      return closed;
    },
  };
}
