/**
 * Issue 13, item 2, as an operator meets it: the hub binary refuses dev auth on a LAN address (exit 78,
 * naming HUB_DEV_AUTH and HUB_HOST) and under NODE_ENV=production, warns on every start when the
 * override allows it, and the demo listens on 127.0.0.1 with a random admin token printed once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pos-hub-devauth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const baseEnv = (extra: Record<string, string>): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  HUB_ENV_FILE: '/nonexistent/.env',
  HUB_MDNS_ENABLED: 'false',
  HUB_HTTP_PORT: '0',
  HUB_SHARDS: '1',
  HUB_LOG_LEVEL: 'warn',
  ODOO_URL: 'http://127.0.0.1:9',
  HUB_DB_PATH: join(dir, `${Object.values(extra).join('-').replace(/[^a-z0-9]/gi, '')}.sqlite`),
  ...extra,
});

function runMain(extra: Record<string, string>): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: baseEnv(extra), encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stderr: run.stderr };
}

/** Start a process, wait for a line matching `ready`, then stop it; returns everything it printed. */
async function runUntil(args: string[], extra: Record<string, string>, ready: RegExp): Promise<string> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: baseEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error(`not ready within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (ready.test(output)) {
        clearTimeout(limit);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => {
      clearTimeout(limit);
      reject(new Error(`exited before ready:\n${output}`));
    });
  });
  child.kill('SIGTERM');
  await exited;
  return output;
}

describe('dev auth only on loopback', () => {
  it('exits 78 naming HUB_DEV_AUTH and HUB_HOST when dev auth would listen on the LAN', () => {
    const run = runMain({ HUB_DEV_AUTH: 'true', HUB_HOST: '0.0.0.0' });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('HUB_DEV_AUTH');
    expect(run.stderr).toContain('HUB_HOST=0.0.0.0');
  }, 40_000);

  it('exits 78 with NODE_ENV=production and dev auth, even on loopback', () => {
    const run = runMain({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', NODE_ENV: 'production' });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('NODE_ENV=production');
  }, 40_000);

  it('starts with HUB_DEV_AUTH_ALLOW_REMOTE=true, and says so on stderr', async () => {
    const output = await runUntil(['--import', 'tsx', 'src/main.ts'], { HUB_DEV_AUTH: 'true', HUB_HOST: '0.0.0.0', HUB_DEV_AUTH_ALLOW_REMOTE: 'true' }, /POS_HUB_LISTENING/);
    expect(output).toMatch(/WARNING: HUB_DEV_AUTH=true on HUB_HOST=0\.0\.0\.0/);
  }, 40_000);

  it('the demo listens on 127.0.0.1 and prints a random admin token', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 2; i++) {
      const output = await runUntil(['--import', 'tsx', 'src/demo.ts'], { HUB_LOG_PRETTY: 'false' }, /POS_HUB_LISTENING .*\n/);
      const listening = JSON.parse(/POS_HUB_LISTENING (.*)\n/.exec(output)?.[1] ?? '{}') as { host?: string };
      expect(listening.host).toBe('127.0.0.1');
      const token = /admin token \(dashboard, reset\): (\S+)/.exec(output)?.[1] ?? '';
      expect(token.length).toBeGreaterThanOrEqual(20);
      expect(token).not.toBe('demo');
      tokens.push(token);
    }
    expect(tokens[0]).not.toBe(tokens[1]);
  }, 80_000);
});
