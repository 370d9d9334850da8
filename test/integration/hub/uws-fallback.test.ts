/**
 * Regression: with uWS's JavaScript imitation loaded (UWS_USE_FALLBACK=1 forces it) the hub crashed on
 * its first HTTP GET. Now it refuses to start, names the supported Node versions and exits 79; and the
 * native build, the one it runs on, is what loads here without the switch.
 */
import { describe, expect, it } from 'vitest';
import { RUNTIME_EXIT_CODE, SUPPORTED_NODE } from '../../../src/adapters/uws/runtime.js';
import { isNativeUws } from '../../../src/adapters/uws/server.js';
import { spawnHub } from '../../helpers/spawn-hub.js';

async function runHub(env: Record<string, string>, script: string[] = ['src/main.ts']): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = await spawnHub({
    args: ['--import', 'tsx', ...script],
    env: { HUB_ENV_FILE: '/nonexistent/.env', HUB_HTTP_PORT: '0', HUB_HOST: '127.0.0.1', HUB_MDNS_ENABLED: 'false', ...env },
    testDefaults: false,
    until: 'exit',
  });
  return { code: (await run.exit).code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('runtime check', () => {
  it('refuses to start on the uWS JavaScript imitation, naming the supported Node versions', async () => {
    const run = await runHub({ UWS_USE_FALLBACK: '1', HUB_DB_PATH: '/nonexistent/never-opened.sqlite' });
    expect(run.code).toBe(RUNTIME_EXIT_CODE);
    expect(run.stderr).toContain('UWS_USE_FALLBACK is set');
    expect(run.stderr).toContain(`supported: ${SUPPORTED_NODE}`);
  });

  it('pos-hub doctor fails the uws check on the imitation, saying the hub will not start', async () => {
    const run = await runHub(
      { UWS_USE_FALLBACK: '1', HUB_DB_PATH: '/nonexistent/never-opened.sqlite', HUB_DEV_AUTH: 'true' },
      ['bin/pos-hub.js', 'doctor', '--skip-odoo'],
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}uws {7}.*the hub refuses to start \(exit 79\); it runs on Node\.js 20/m);
  });

  it('loads the native uWS binary on this machine without the switch', async () => {
    await import('uWebSockets.js');
    expect(isNativeUws()).toBe(true);
  });
});
