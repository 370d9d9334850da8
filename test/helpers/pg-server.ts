/**
 * A throwaway PostgreSQL 15 server for tests: initdb into a fresh temp dir, started on a free loopback
 * port (no unix socket outside that dir), stopped and deleted by close(). Postgres refuses to run as
 * root, so as root the server runs as the `postgres` user (runuser) in a dir it owns.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
export const PG_BIN = '/usr/lib/postgresql/15/bin';
/** initdb and start together take a few seconds; a hung start fails the test rather than the run. */
const START_LIMIT_MS = 60_000;

export interface PgServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  close(): Promise<void>;
}

/** Run a Postgres binary as the postgres user when we are root (Postgres refuses root). */
export async function asPostgres(binary: string, args: readonly string[], timeoutMs = START_LIMIT_MS): Promise<string> {
  const isRoot = process.getuid?.() === 0;
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, [...args]];
  const { stdout } = await run(cmd, argv, {
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: { PATH: `${PG_BIN}:${process.env.PATH ?? ''}`, LC_ALL: 'C.UTF-8' },
  });
  return stdout;
}

/** A port the kernel just gave us on loopback (free now; Postgres binds it a moment later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A temp dir the postgres user owns (0700, as initdb wants). */
export function postgresOwnedDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  return dir;
}

function postgresIds(): { uid: number; gid: number } {
  // Read from the system rather than assumed: Debian gives postgres whatever id was free.
  const fields = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
    ?.split(':');
  if (fields === undefined || fields.length < 4) throw new Error('no postgres user on this machine');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

export async function startPgServer(): Promise<PgServer> {
  const dir = postgresOwnedDir('pos-hub-pg-');
  const data = join(dir, 'data');
  const port = await freePort();
  try {
    await asPostgres(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await asPostgres(join(PG_BIN, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '50',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async close() {
      await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop']).catch(
        () => undefined,
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * ALTER SYSTEM one setting (null: RESET) and return once the reload has reached every backend.
 * pg_reload_conf() only signals the postmaster; a connection opened, or a query sent, a moment later may
 * still read the old value. The postmaster re-reads the file and then signals its children, so once a
 * freshly forked backend reads `expected`, every existing session applies it before its next command.
 */
export async function setPgSetting(url: string, name: string, value: string | null, expected: string): Promise<void> {
  const once = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  await once(async (c) => {
    await c.query(
      value === null ? `ALTER SYSTEM RESET ${name}` : `ALTER SYSTEM SET ${name} = '${value.replaceAll("'", "''")}'`,
    );
    await c.query('SELECT pg_reload_conf()');
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const seen = await once(
      async (c) => (await c.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]?.v,
    );
    if (seen === expected) return;
    if (Date.now() > deadline)
      throw new Error(`${name} still reads '${seen}' 10 s after the reload (want '${expected}')`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
