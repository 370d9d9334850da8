/**
 * Start-up faults made real: a database file of random bytes, a truncated one, a read-only directory,
 * a file the hub user may not open, a database another process holds locked, a port another hub holds.
 * Each case runs the real hub (node --import tsx src/main.ts) until it exits, and reports its exit code,
 * its stderr line and whether the database file is byte-for-byte what it was (sha256 before and after).
 * Shared by the chaos suite and test/integration/hub/startup-faults.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { EXIT_CODES, type ExitCodeName } from '../../src/exit-codes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A hub that should exit at once gets this long before it is killed (and the case fails). */
const EXIT_LIMIT_MS = 30_000;
const NOBODY = { uid: 65534, gid: 65534 };

export const isRoot = (): boolean => process.getuid?.() === 0;

export interface HubRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly stdout: string;
}

const BASE_ENV: Record<string, string> = {
  HUB_HOST: '127.0.0.1',
  HUB_DEV_AUTH: 'true',
  HUB_MDNS_ENABLED: 'false',
  HUB_LOG_LEVEL: 'silent',
  HUB_SHARDS: '1',
  ODOO_URL: 'http://127.0.0.1:9',
};

/** Run the hub until it exits on its own (or is killed at EXIT_LIMIT_MS). */
export function runHubToExit(env: Record<string, string>, as?: { uid: number; gid: number }): Promise<HubRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), HUB_ENV_FILE: '/nonexistent/.env', ...BASE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(as ?? {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const limit = setTimeout(() => child.kill('SIGKILL'), EXIT_LIMIT_MS);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(limit);
      // Let the pipes drain: the one stderr line is written just before exit.
      setImmediate(() => resolve({ code, signal, stderr, stdout }));
    });
  });
}

export const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A real hub database with some rows, closed cleanly (checkpointed, no -wal left). */
export function makeDatabase(path: string, rows = 2000): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`row ${i} ${'x'.repeat(200)}`);
  })();
  db.close();
}

export interface FaultCase {
  readonly name: string;
  readonly expected: ExitCodeName;
  /** Why it cannot run here (not root), or null. */
  readonly skip: string | null;
  run(): Promise<FaultOutcome>;
}

export interface FaultOutcome {
  readonly name: string;
  readonly expected: ExitCodeName;
  readonly exitCode: number | null;
  readonly line: string;
  readonly namesPath: boolean;
  /** null when there was no file to keep (the port case). */
  readonly untouched: boolean | null;
  readonly ok: boolean;
}

function outcome(name: string, expected: ExitCodeName, run: HubRun, path: string | null, untouched: boolean | null): FaultOutcome {
  const line = run.stderr.split('\n').find((l) => l.startsWith('pos-hub:')) ?? run.stderr.trim().split('\n')[0] ?? '';
  const namesPath = path === null ? true : line.includes(path);
  return { name, expected, exitCode: run.code, line, namesPath, untouched, ok: run.code === EXIT_CODES[expected].code && namesPath && untouched !== false };
}

/** One temp dir per case; `cleanup` runs even when the case throws. */
async function inDir<T>(fn: (dir: string) => Promise<T>, cleanup?: (dir: string) => void): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-fault-'));
  try {
    return await fn(dir);
  } finally {
    cleanup?.(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fileCase(name: string, expected: ExitCodeName, damage: (path: string) => void): Promise<FaultOutcome> {
  return inDir(async (dir) => {
    const path = join(dir, 'hub.sqlite');
    damage(path);
    const before = sha256(path);
    const run = await runHubToExit({ HUB_DB_PATH: path, HUB_HTTP_PORT: '0' });
    return outcome(name, expected, run, path, sha256(path) === before);
  });
}

const mountpoint = (dir: string): boolean => spawnSync('mountpoint', ['-q', dir]).status === 0;

export function startupFaultCases(): FaultCase[] {
  const root = isRoot();
  const needRoot = root ? null : 'needs root: a read-only mount and a second user are made with mount(8) and setuid';
  return [
    {
      name: 'random bytes',
      expected: 'DATABASE_CORRUPT',
      skip: null,
      run: () => fileCase('random bytes', 'DATABASE_CORRUPT', (path) => writeFileSync(path, randomBytes(16 * 1024))),
    },
    {
      name: 'truncated',
      expected: 'DATABASE_CORRUPT',
      skip: null,
      run: () =>
        fileCase('truncated', 'DATABASE_CORRUPT', (path) => {
          makeDatabase(path);
          truncateSync(path, Math.floor(statSync(path).size / 2) + 123);
        }),
    },
    {
      name: 'read-only directory',
      expected: 'DATABASE_READ_ONLY',
      skip: needRoot,
      run: () =>
        inDir(
          async (dir) => {
            const mount = join(dir, 'ro');
            mkdirSync(mount);
            const path = join(mount, 'hub.sqlite');
            if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]).status !== 0) throw new Error(`mount tmpfs on ${mount} failed`);
            makeDatabase(path, 200);
            if (spawnSync('mount', ['-o', 'remount,ro', mount]).status !== 0) throw new Error(`remount ${mount} read-only failed`);
            const before = sha256(path);
            const run = await runHubToExit({ HUB_DB_PATH: path, HUB_HTTP_PORT: '0' });
            return outcome('read-only directory', 'DATABASE_READ_ONLY', run, path, sha256(path) === before);
          },
          (dir) => {
            const mount = join(dir, 'ro');
            if (existsSync(mount) && mountpoint(mount)) spawnSync('umount', [mount]);
          },
        ),
    },
    {
      name: 'no permission',
      expected: 'DATABASE_PERMISSION',
      skip: needRoot,
      run: () =>
        inDir(async (dir) => {
          // The hub runs as nobody in a directory it may write, on a file only root may open.
          chmodSync(dir, 0o777);
          const path = join(dir, 'hub.sqlite');
          makeDatabase(path, 200);
          chmodSync(path, 0o600);
          const before = sha256(path);
          const run = await runHubToExit({ HUB_DB_PATH: path, HUB_HTTP_PORT: '0' }, NOBODY);
          return outcome('no permission', 'DATABASE_PERMISSION', run, path, sha256(path) === before);
        }),
    },
    {
      name: 'locked by another process',
      expected: 'DATABASE_LOCKED',
      skip: null,
      run: () =>
        inDir(async (dir) => {
          const path = join(dir, 'hub.sqlite');
          makeDatabase(path, 200);
          const before = sha256(path);
          // This process holds the write lock for the hub's whole start-up (it waits 5 s, then gives up).
          const holder = new Database(path);
          holder.exec('BEGIN EXCLUSIVE');
          try {
            const run = await runHubToExit({ HUB_DB_PATH: path, HUB_HTTP_PORT: '0' });
            return outcome('locked by another process', 'DATABASE_LOCKED', run, path, sha256(path) === before);
          } finally {
            holder.exec('ROLLBACK');
            holder.close();
          }
        }),
    },
  ];
}

/** The a-second-hub case needs a first hub listening: the caller starts it and passes its port. */
export async function secondHubOnPort(port: number): Promise<FaultOutcome> {
  return inDir(async (dir) => {
    const path = join(dir, 'second.sqlite');
    const run = await runHubToExit({ HUB_DB_PATH: path, HUB_HTTP_PORT: String(port) });
    const result = outcome('second hub on a taken port', 'PORT_IN_USE', run, null, null);
    const listened = run.stdout.includes('POS_HUB_LISTENING');
    return { ...result, ok: result.ok && !listened && /in use/.test(result.line) };
  });
}
