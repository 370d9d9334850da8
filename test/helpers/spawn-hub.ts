/**
 * The one way tests start the hub as a child process (`node --import tsx src/main.ts`, or another entry
 * such as src/demo.ts or bin/pos-hub, optionally behind a wrapper like `strace` or `ip netns exec`):
 * test defaults for the environment, stdout and stderr captured, the start awaited on the hub's one
 * machine-readable line `POS_HUB_LISTENING {…}` (or a pattern, or the exit) within HUB_START_LIMIT_MS,
 * and a child that never outlives a failed start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { anyOf, linesOf, waitFor, type EventSource } from './wait.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How long a child hub may take to print its listening line. tsx transpiles the front and then every
 * worker thread again on start; on the CI machine's two cores shared by two test files (and, on dev
 * machines, by other suites) that took up to ~25 s, past the old 20 s. Only a hung start reaches 60 s.
 */
export const HUB_START_LIMIT_MS = 60_000;

export const LISTENING_PREFIX = 'POS_HUB_LISTENING ';

/** What the hub prints once listening (main.ts). */
export interface Listening {
  port: number;
  tlsPort?: number;
  host?: string;
  [key: string]: unknown;
}

/** The environment every test hub starts from: loopback, port 0, dev auth, quiet, no mDNS, no real Odoo. */
export const TEST_HUB_ENV: Readonly<Record<string, string>> = Object.freeze({
  HUB_HTTP_PORT: '0',
  HUB_HOST: '127.0.0.1',
  HUB_DEV_AUTH: 'true',
  HUB_MDNS_ENABLED: 'false',
  HUB_LOG_LEVEL: 'silent',
  HUB_SHARDS: '2',
  // Tests read a counter right after the traffic that moved it: render /metrics per scrape, no cache.
  HUB_METRICS_REFRESH_MS: '0',
  // Nothing listens here: finalize tests start the Odoo simulator and set ODOO_URL themselves.
  ODOO_URL: 'http://127.0.0.1:9',
});

export interface SpawnHubOptions {
  /** Variables on top of PATH and HOME and, unless `testDefaults` is false, no .env file and TEST_HUB_ENV. */
  env?: Record<string, string>;
  /** Start from TEST_HUB_ENV and no .env file (default true); false when a test sets every variable itself. */
  testDefaults?: boolean;
  /** The program (default node); an installed launcher, say. */
  command?: string;
  /** Its arguments (for node, default `--import tsx src/main.ts`; e.g. ['--import', 'tsx', 'src/demo.ts']). */
  args?: string[];
  /** A command the node process runs under, e.g. ['strace', '-f', '-c', '-o', file] or ['ip', 'netns', 'exec', ns]. */
  wrapper?: string[];
  /** When the start is over: the listening line (default), the first output matching a pattern, or the exit. */
  until?: 'listening' | RegExp | 'exit';
  /** Default HUB_START_LIMIT_MS. */
  startLimitMs?: number;
  cwd?: string;
}

export interface SpawnedHub {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /** The listening line's JSON if it was printed before the start was over, else null. */
  readonly listening: Listening | null;
  /** Resolves when the process has ended. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything printed so far, stdout and stderr interleaved as they arrived. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Send a signal (default SIGTERM) unless it already ended, and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the child and resolves once `until` is met. A child that exits first (when waiting for a line)
 * or does not get there in time is killed and the promise rejects with everything it printed.
 */
export async function spawnHub(options: SpawnHubOptions = {}): Promise<SpawnedHub> {
  const ownDir = options.env?.HUB_DB_PATH === undefined ? mkdtempSync(join(tmpdir(), 'pos-hub-spawn-')) : null;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...(options.testDefaults === false ? {} : { HUB_ENV_FILE: '/nonexistent/.env', ...TEST_HUB_ENV }),
    ...(ownDir === null ? {} : { HUB_DB_PATH: join(ownDir, 'hub.sqlite') }),
    ...options.env,
  };
  const program = options.command ?? process.execPath;
  const args = options.args ?? (options.command === undefined ? ['--import', 'tsx', 'src/main.ts'] : []);
  const [command, ...commandArgs] = [...(options.wrapper ?? []), program, ...args];
  const child = spawn(command!, commandArgs, { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    output += chunk.toString('utf8');
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', () => resolve({ code: null, signal: null }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    if (ownDir !== null) rmSync(ownDir, { recursive: true, force: true });
  });
  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exit;
  };
  const until = options.until ?? 'listening';
  const limitMs = options.startLimitMs ?? HUB_START_LIMIT_MS;
  let listening: Listening | null = null;
  if (until === 'exit') {
    await Promise.race([
      exit,
      new Promise<never>((_, reject) =>
        setTimeout(() => {
          void kill('SIGKILL');
          reject(new Error(`the child did not exit within ${limitMs} ms:\n${output}`));
        }, limitMs).unref(),
      ),
    ]);
  } else {
    // Each line of either stream, and the exit as `null` (so the wait fails at once, with the output).
    const exited: EventSource<string | null> = (listener) => {
      const onExit = (): void => listener(null);
      child.once('exit', onExit);
      return () => child.off('exit', onExit);
    };
    const ready = (line: string | null): boolean => {
      if (line === null) throw new Error(`the child exited before it was ready:\n${output}`);
      return until === 'listening' ? line.startsWith(LISTENING_PREFIX) : until.test(line);
    };
    try {
      const what = until === 'listening' ? 'the POS_HUB_LISTENING line' : `a line matching ${String(until)}`;
      await waitFor(anyOf<string | null>(linesOf(child.stdout), linesOf(child.stderr), exited), ready, what, limitMs);
      const line = stdout.split('\n').find((l) => l.startsWith(LISTENING_PREFIX));
      if (line !== undefined) listening = JSON.parse(line.slice(LISTENING_PREFIX.length)) as Listening;
    } catch (error) {
      // Not left running: a hub that listens late would hold the database the caller retries on.
      await kill('SIGKILL');
      if (error instanceof Error && error.message.startsWith('timed out')) error.message += `:\n${output}`;
      throw error;
    }
  }
  return {
    child,
    pid: child.pid,
    listening,
    exit,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
    kill,
  };
}
