/**
 * Regression: with uWS's JavaScript imitation loaded (UWS_USE_FALLBACK=1 forces it) the hub crashed on
 * its first HTTP GET. Now it refuses to start, names the supported Node versions and exits 79; and the
 * native build, the one it runs on, is what loads here without the switch.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RUNTIME_EXIT_CODE, SUPPORTED_NODE } from '../../../src/adapters/uws/runtime.js';
import { isNativeUws } from '../../../src/adapters/uws/server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function runHub(
  env: Record<string, string>,
  script: string[] = ['src/main.ts'],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...script], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        HUB_ENV_FILE: '/nonexistent/.env',
        HUB_HTTP_PORT: '0',
        HUB_HOST: '127.0.0.1',
        HUB_MDNS_ENABLED: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
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
