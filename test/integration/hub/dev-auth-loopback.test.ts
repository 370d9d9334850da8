/**
 * Issue 13, item 2, as an operator meets it: the hub binary refuses dev auth on a LAN address (exit 78,
 * naming HUB_DEV_AUTH and HUB_HOST) and under NODE_ENV=production, warns on every start when the
 * override allows it, and the demo listens on 127.0.0.1 with a random admin token printed once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HUB_START_LIMIT_MS, spawnHub } from '../../helpers/spawn-hub.js';

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

async function runMain(extra: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  const run = await spawnHub({ env: baseEnv(extra), testDefaults: false, until: 'exit' });
  return { status: (await run.exit).code, stderr: run.stderr() };
}

/** Start a process, wait for its listening line, then stop it; returns everything it printed and that line. */
async function runUntilListening(args: string[], extra: Record<string, string>): Promise<{ output: string; listening: Record<string, unknown> }> {
  const run = await spawnHub({ args, env: baseEnv(extra), testDefaults: false });
  await run.kill('SIGTERM');
  return { output: run.output(), listening: run.listening ?? {} };
}

describe('dev auth only on loopback', () => {
  it('exits 78 naming HUB_DEV_AUTH and HUB_HOST when dev auth would listen on the LAN', async () => {
    const run = await runMain({ HUB_DEV_AUTH: 'true', HUB_HOST: '0.0.0.0' });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('HUB_DEV_AUTH');
    expect(run.stderr).toContain('HUB_HOST=0.0.0.0');
  }, HUB_START_LIMIT_MS + 10_000);

  it('exits 78 with NODE_ENV=production and dev auth, even on loopback', async () => {
    const run = await runMain({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', NODE_ENV: 'production' });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('NODE_ENV=production');
  }, HUB_START_LIMIT_MS + 10_000);

  it('starts with HUB_DEV_AUTH_ALLOW_REMOTE=true, and says so on stderr', async () => {
    const { output } = await runUntilListening(['--import', 'tsx', 'src/main.ts'], { HUB_DEV_AUTH: 'true', HUB_HOST: '0.0.0.0', HUB_DEV_AUTH_ALLOW_REMOTE: 'true' });
    expect(output).toMatch(/WARNING: HUB_DEV_AUTH=true on HUB_HOST=0\.0\.0\.0/);
  }, HUB_START_LIMIT_MS + 10_000);

  it('the demo listens on 127.0.0.1 and prints a random admin token', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { output, listening } = await runUntilListening(['--import', 'tsx', 'src/demo.ts'], { HUB_LOG_PRETTY: 'false' });
      expect(listening.host).toBe('127.0.0.1');
      const token = /admin token \(dashboard, reset\): (\S+)/.exec(output)?.[1] ?? '';
      expect(token.length).toBeGreaterThanOrEqual(20);
      expect(token).not.toBe('demo');
      tokens.push(token);
    }
    expect(tokens[0]).not.toBe(tokens[1]);
  }, 2 * HUB_START_LIMIT_MS + 10_000);
});
