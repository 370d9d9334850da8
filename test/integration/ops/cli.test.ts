/**
 * The `pos-hub` executable end to end (bin/pos-hub.js → tsx → src/cli/main.ts) as an operator runs it:
 * stats against a hub and against nothing, doctor against the Odoo simulator and on a bad config,
 * reset refused and done, start in the foreground (SIGTERM, exit 78), help and usage errors.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUB_LOGIN, HUB_PASSWORD, SIM_DB, startOdooSim, type StartedOdooSim } from '../../helpers/odoo-sim.js';
import { spawnHub } from '../../helpers/spawn-hub.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'pos-hub.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in a clean directory with only the given variables (plus PATH/HOME), like a fresh shell. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: workDir, env: { PATH: process.env.PATH ?? '', HOME: workDir, ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let workDir: string;
let terminal: TestTerminal | undefined;
let hub: StartedHub;
let hubUrl: string;
let odoo: StartedOdooSim;
const ADMIN_TOKEN = 'cli-admin-token';

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'pos-hub-cli-'));
  // A real hub as `npm start` runs it, with one terminal connected and the admin token set.
  hub = await startHub({ mode: 'child-process', env: { HUB_ADMIN_TOKEN: ADMIN_TOKEN } });
  hubUrl = hub.url;
  terminal = await TestTerminal.connect(hub.wsUrl, { deviceId: 'cli-tablet' });
  odoo = await startOdooSim();
});

afterAll(async () => {
  await terminal?.close();
  await hub?.close();
  await odoo?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('pos-hub CLI', () => {
  it('prints help and rejects unknown commands and options', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/pos-hub stats \[--url URL\] \[--json\]/);
    const bad = await cli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command "frobnicate"');
    const badOption = await cli(['stats', '--urll', hubUrl]);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('unknown option --urll');
  });

  it('stats prints the readable table from a running hub', async () => {
    const run = await cli(['stats', '--url', hubUrl]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`POS Hub at ${hubUrl}`);
    expect(run.stdout).toMatch(/^ {2}Status +ok$/m);
    expect(run.stdout).toMatch(/^ {2}Connected terminals {2}1$/m);
    expect(run.stdout).toMatch(/^ {2}Uptime +\d+s$/m);
    expect(run.stdout).toMatch(/^ {2}Last Odoo sync +never$/m);
    expect(run.stdout).toMatch(/^ {2}uWS +native$/m);
    expect(run.stdout).toMatch(/^ {2}Shards +\d+$/m);
    // A SQLite hub: one box.
    expect(run.stdout).toMatch(/^ {2}Role +standalone, epoch 0$/m);
    expect(run.stdout).toMatch(/^ {2}Replication +single box \(SQLite\)$/m);
    // The title and 17 rows, then the problem list: this hub's Odoo (port 9) never answers.
    expect(lines).toHaveLength(21);
    expect(lines[19]).toBe('1 problem:');
  });

  it('stats --json prints the health document for scripts; the port comes from HUB_HTTP_PORT by default', async () => {
    const run = await cli(['stats', '--json'], { HUB_HTTP_PORT: String(hub.port) });
    expect(run.code).toBe(0);
    const health = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', connectedTerminals: 1, activeLeases: 0, uws: 'native' });
  });

  it('stats --check exits 1 and lists what needs someone (this hub has no Odoo), with or without --json', async () => {
    const plain = await cli(['stats', '--url', hubUrl]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^! Odoo reachable +no$/m);
    const check = await cli(['stats', '--check', '--url', hubUrl]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      '\n1 problem:\n! Odoo is unreachable: finalizations queue and only cached terminal sessions sign in\n',
    );
    const json = await cli(['stats', '--json', '--check', '--url', hubUrl]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'ok', odooReachable: false });
  });

  it('stats fails cleanly with exit 1 when no hub answers', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await cli(['stats', '--url', url]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`the hub at ${url} is not answering (ECONNREFUSED)`);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('reset needs --yes, reports the refusal without the right token, and resets with it', async () => {
    const guarded = await cli(['reset', '--url', hubUrl]);
    expect(guarded.code).toBe(2);
    expect(guarded.stderr).toContain('--yes');
    const refused = await cli(['reset', '--yes', '--url', hubUrl, '--token', 'wrong']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused (HTTP 403 RESET_FORBIDDEN)');
    expect(terminal!.closeInfo).toBeNull();
    const done = await cli(['reset', '--yes', '--url', hubUrl], { HUB_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('Reset done');
    // The hub tells connected terminals to resync by closing them with 4005.
    expect((await terminal!.closed).code).toBe(4005);
  });

  it('doctor passes against the Odoo simulator with a healthy database', async () => {
    const dbPath = join(workDir, 'hub.sqlite');
    const db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);');
    db.close();
    const run = await cli(['doctor'], {
      ODOO_URL: odoo.url,
      ODOO_DB: SIM_DB,
      ODOO_USER: HUB_LOGIN,
      ODOO_PASSWORD: HUB_PASSWORD,
      HUB_DB_PATH: dbPath,
      HUB_HTTP_PORT: String(await closedPort()),
      HUB_HOST: '127.0.0.1',
      HUB_MDNS_ENABLED: 'false',
    });
    expect(run.stdout).toMatch(/^PASS {2}config /m);
    expect(run.stdout).toMatch(/^PASS {2}odoo {8}.*answers \(Odoo 12\.0/m);
    expect(run.stdout).toMatch(new RegExp(`^PASS {2}odoo login {2}signed in as ${HUB_LOGIN}`, 'm'));
    expect(run.stdout).toMatch(/^PASS {2}sqlite .*integrity ok \(journal wal\)/m);
    expect(run.stdout).toMatch(/^(PASS|WARN) {2}disk {8}\d+ MiB free of \d+ MiB/m);
    expect(run.stdout).toMatch(/^(PASS|WARN) {2}uws /m);
    expect(run.stdout).toMatch(/^PASS {2}port .* is free/m);
    expect(run.stdout).toMatch(/^PASS {2}mdns .*disabled/m);
    expect(run.code).toBe(0);
  });

  it('doctor on a bad config names every bad variable, a wrong password, a corrupt database and a taken port; exit 1', async () => {
    const dbPath = join(workDir, 'corrupt.sqlite');
    writeFileSync(dbPath, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 7)]));
    const taken = createServer();
    const takenPort = await listen(taken);
    try {
      const run = await cli(['doctor'], {
        ODOO_URL: odoo.url,
        ODOO_DB: SIM_DB,
        ODOO_USER: HUB_LOGIN,
        ODOO_PASSWORD: 'wrong-password',
        HUB_SHARDS: 'many',
        HUB_LOG_LEVEL: 'loud',
        HUB_DB_PATH: dbPath,
        HUB_HTTP_PORT: String(takenPort),
        HUB_HOST: '127.0.0.1',
        HUB_MDNS_ENABLED: 'false',
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^FAIL {2}config {6}HUB_SHARDS must be a whole number/m);
      expect(run.stdout).toMatch(/^FAIL {2}config {6}HUB_LOG_LEVEL /m);
      expect(run.stdout).toMatch(/^PASS {2}odoo /m);
      expect(run.stdout).toMatch(/^FAIL {2}odoo login .*refused: .*Access denied/im);
      expect(run.stdout).toMatch(/^FAIL {2}sqlite .*damaged.*the hub would exit 65 \(DATABASE_CORRUPT\)/m);
      expect(run.stdout).toMatch(new RegExp(`^FAIL {2}port .*:${takenPort} is in use by another program`, 'm'));
      expect(run.stdout).toMatch(/checks failed\.$/m);
      expect(run.stdout + run.stderr).not.toContain('wrong-password');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('doctor reads --env, and says so', async () => {
    const file = join(workDir, 'env');
    writeFileSync(file, 'HUB_DEV_AUTH=true\nHUB_MDNS_ENABLED=nope\n');
    const run = await cli(['doctor', '--env', file, '--skip-odoo'], { HUB_HTTP_PORT: '0' });
    expect(run.stdout).toContain(`configuration from ${file}`);
    expect(run.stdout).toMatch(/^FAIL {2}config {6}HUB_MDNS_ENABLED must be true or false/m);
    expect(run.code).toBe(1);
    const missing = await cli(['doctor', '--env', join(workDir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
  });

  it('start runs the hub in the foreground, stops on SIGTERM, and passes exit 78 through on a bad config', async () => {
    const hub = await spawnHub({
      args: [BIN, 'start'],
      cwd: workDir,
      testDefaults: false,
      env: {
        HOME: workDir,
        HUB_ENV_FILE: '/nonexistent/.env',
        HUB_HTTP_PORT: '0',
        HUB_HOST: '127.0.0.1',
        HUB_DEV_AUTH: 'true',
        HUB_MDNS_ENABLED: 'false',
        HUB_LOG_LEVEL: 'warn',
        HUB_SHARDS: '1',
        HUB_DB_PATH: join(workDir, 'start.sqlite'),
        ODOO_URL: odoo.url,
      },
    });
    const port = hub.listening!.port;
    const stats = await cli(['stats', '--url', `http://127.0.0.1:${port}`]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^ {2}Status +ok$/m);
    expect(await hub.kill('SIGTERM')).toEqual({ code: 0, signal: null });

    const bad = await cli(['start'], { HUB_SHARDS: 'lots', HUB_DEV_AUTH: 'true', HUB_ENV_FILE: '/nonexistent/.env' });
    expect(bad.code).toBe(78);
    expect(bad.stdout + bad.stderr).toContain('HUB_SHARDS');
  });
});
