/**
 * The hub under fuzz: `node --import tsx src/main.ts` in a child process (worker threads, uWS, SQLite
 * in a temp dir), its port read from the POS_HUB_LISTENING line, its death observed — a crash is what
 * the harness counts — and its memory read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readProc } from '../lib/proc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LISTENING = 'POS_HUB_LISTENING ';

export interface HubProcess {
  readonly port: number;
  readonly pid: number;
  /** Resolves when the process ends, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly alive: () => boolean;
  /** The last lines it printed (a crash's stack). */
  readonly tail: () => string;
  rss(): number;
  stop(): Promise<void>;
}

export async function startHubProcess(env: Record<string, string>): Promise<HubProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-fuzz-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HUB_ENV_FILE: '/nonexistent/.env',
      HUB_HTTP_PORT: '0',
      HUB_HOST: '127.0.0.1',
      HUB_DEV_AUTH: 'true',
      HUB_MDNS_ENABLED: 'false',
      HUB_LOG_LEVEL: 'error',
      ODOO_URL: 'http://127.0.0.1:9',
      HUB_DB_PATH: join(dir, 'hub.sqlite'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let alive = true;
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  // The hub must not outlive the harness: a run stopped by Ctrl-C or a test timeout left hubs behind.
  const reap = (): void => {
    if (alive) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      process.removeListener('exit', reap);
      resolve({ code, signal });
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error(`hub did not start within 30 s:\n${output}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      const line = output.split('\n').find((l) => l.startsWith(LISTENING));
      if (line) {
        clearTimeout(limit);
        resolve((JSON.parse(line.slice(LISTENING.length)) as { port: number }).port);
      }
    });
    child.stderr?.on('data', keep);
    void exited.then(() => {
      clearTimeout(limit);
      reject(new Error(`hub exited before listening:\n${output}`));
    });
  });
  return {
    port,
    pid: child.pid ?? 0,
    exited,
    alive: () => alive,
    tail: () => output.split('\n').slice(-15).join('\n'),
    rss: () => (alive ? readProc(child.pid ?? 0).rssBytes : 0),
    async stop() {
      if (alive) child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(forced);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
