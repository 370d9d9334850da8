/**
 * scripts/install.sh in its `--root DIR` dry-run mode: it writes the systemd unit (with the hardening
 * directives), /etc/pos-hub/env with defaults and the CLI link under DIR, changes nothing else, keeps
 * an edited env file on a second run, and refuses a Node other than 20.x.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const SCRIPT = join(REPO, 'scripts', 'install.sh');

function install(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-install-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('install.sh --root', () => {
  it('writes the hardened unit, the env file and the CLI link, and only prints what it would run', async () => {
    const root = join(dir, 'root1');
    const run = await install(['--root', root]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const unit = readFileSync(join(root, 'etc/systemd/system/pos-hub.service'), 'utf8');
    const directives = new Map(
      unit
        .split('\n')
        .filter((l) => /^[A-Za-z]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
    );
    expect(directives.get('NoNewPrivileges')).toBe('true');
    expect(directives.get('ProtectSystem')).toBe('strict');
    expect(directives.get('ReadWritePaths')).toBe('/var/lib/pos-hub');
    expect(directives.get('ProtectHome')).toBe('true');
    expect(directives.get('PrivateTmp')).toBe('true');
    expect(directives.get('Restart')).toBe('on-failure');
    expect(directives.get('RestartPreventExitStatus')).toBe('65 69 73 75 77 78 79');
    expect(directives.get('User')).toBe('pos-hub');
    expect(directives.get('EnvironmentFile')).toBe('/etc/pos-hub/env');
    expect(directives.get('WorkingDirectory')).toBe(REPO);
    expect(directives.get('ExecStart')).toBe(`${process.execPath} --import tsx ${REPO}/src/main.ts`);
    expect(unit).not.toMatch(/@[A-Z_]+@/); // every placeholder filled (@system-service is a syscall group)

    const envPath = join(root, 'etc/pos-hub/env');
    const envText = readFileSync(envPath, 'utf8');
    expect(envText).toMatch(/^HUB_DB_PATH=\/var\/lib\/pos-hub\/hub\.sqlite$/m);
    expect(envText).toMatch(/^HUB_HTTP_PORT=8766$/m);
    expect(envText).toMatch(/^HUB_MDNS_ENABLED=true$/m);
    expect(envText).toMatch(/^ODOO_PASSWORD=$/m);
    expect(statSync(envPath).mode & 0o777).toBe(0o640); // it will hold the Odoo password
    // Every default in it is a valid value for the hub's config (only the Odoo credentials are to fill in).
    const values = Object.fromEntries(
      envText
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(() => parseConfig({ ...values, ODOO_USER: 'hub', ODOO_PASSWORD: 'a-real-password' })).not.toThrow();

    expect(statSync(join(root, 'var/lib/pos-hub')).isDirectory()).toBe(true);
    expect(readlinkSync(join(root, 'usr/local/bin/pos-hub'))).toBe(join(REPO, 'bin/pos-hub.js'));
    expect(run.stdout).toMatch(/would run: useradd --system --no-create-home .*--shell \S*nologin .*pos-hub$/m);
    expect(run.stdout).toContain('would run: systemctl enable --now pos-hub');
    expect(run.stdout).toContain('would run: chown pos-hub:pos-hub /var/lib/pos-hub');
  });

  it('keeps an edited /etc/pos-hub/env on a second run', async () => {
    const root = join(dir, 'root2');
    expect((await install(['--root', root])).code).toBe(0);
    const envPath = join(root, 'etc/pos-hub/env');
    writeFileSync(envPath, 'ODOO_PASSWORD=edited-by-operator\n');
    const again = await install(['--root', root, '--no-start']);
    expect(again.code).toBe(0);
    expect(readFileSync(envPath, 'utf8')).toBe('ODOO_PASSWORD=edited-by-operator\n');
    expect(again.stdout).toContain('/etc/pos-hub/env exists; left as it is');
    expect(again.stdout).toContain('would run: systemctl enable pos-hub');
  });

  it.each([
    ['18', 'v18.19.0'],
    ['22', 'v22.12.0'],
  ])('refuses a Node other than 20.x (%s), whose uWS binary does not load', async (major, version) => {
    const fakeBin = join(dir, `node-${major}-bin`);
    mkdirSync(fakeBin, { recursive: true });
    const fakeNode = join(fakeBin, 'node');
    writeFileSync(fakeNode, `#!/bin/sh\ncase "$1" in -p) echo ${major} ;; --version) echo ${version} ;; esac\n`);
    chmodSync(fakeNode, 0o755);
    const run = await install(['--root', join(dir, `root-node-${major}`)], {
      ...process.env,
      PATH: `${fakeBin}:/usr/bin:/bin`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the hub runs on Node.js 20 (20.12 or newer 20.x); found ${version}.`);
  });

  it('refuses a checkout under /home, which the unit (ProtectHome=true) cannot see, saying where to move it', async () => {
    const home = mkdtempSync('/home/pos-hub-install-test-');
    try {
      mkdirSync(join(home, 'src'));
      mkdirSync(join(home, 'deploy'));
      writeFileSync(join(home, 'src', 'main.ts'), '');
      writeFileSync(join(home, 'deploy', 'pos-hub.service'), '');
      const root = join(dir, 'root-home');
      const run = await install(['--root', root, '--app-dir', home]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `install.sh: ${home} is under /home, /root or /run/user, which the service cannot see (the unit sets ProtectHome=true).`,
      );
      expect(run.stderr).toContain(`sudo cp -a "${home}" /opt/pos-hub`);
      expect(() => statSync(join(root, 'etc/systemd/system/pos-hub.service'))).toThrow();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('rejects unknown options', async () => {
    const run = await install(['--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown option --frobnicate');
  });
});
