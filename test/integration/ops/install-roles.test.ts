/**
 * scripts/install.sh --role (the three-device layout of docs/ha.md) in its `--root DIR` dry run: the
 * commands each role would run, in order, with passwords masked; the tuned monitor and keeper timeouts; the
 * hub's env file gaining HUB_STORE/HUB_PG_URL/HUB_PG_NODE/HUB_PG_MONITOR_URL (a valid config naming this
 * box's own node) on a data node and keeping its edits on a second run; the drop-in that starts the hub
 * after the keeper (systemd-analyze verify); the replicator's password in the postgres user's .pgpass before
 * the create (the standby's base backup and, after a failover, the old primary's rejoin sign in with it) and
 * pg_rewind's pg_hba.conf line; `pg_autoctl config set`'s echo of a password not shown; an existing data
 * directory not created again; bad arguments refused before any change; shellcheck clean.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const SCRIPT = join(REPO, 'scripts', 'install.sh');
const PASSWORDS = {
  POS_HUB_MONITOR_PASSWORD: 'monitor-secret-1234',
  POS_HUB_REPLICATION_PASSWORD: 'replication-secret-1234',
  POS_HUB_DB_PASSWORD: 'hub-db-secret-1234',
};

function sh(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 90_000, cwd: REPO }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const withoutPasswords = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const key of Object.keys(PASSWORDS)) delete env[key];
  return env;
};
const install = (args: string[], env: NodeJS.ProcessEnv = { ...withoutPasswords(), ...PASSWORDS }) =>
  sh('bash', [SCRIPT, ...args], env);
/** What the dry run prints once it has written the replicator's password file (before the create). */
const PGPASS_NOTE = 'install.sh: wrote /var/lib/postgresql/.pgpass (pgautofailover_replicator, mode 600)';
const REWIND_HBA = 'add to /var/lib/postgresql/hub/pg_hba.conf (once): host postgres pgautofailover_replicator samenet scram-sha-256';
const DROPIN = 'etc/systemd/system/pos-hub.service.d/pgautofailover.conf';
/** The "would run" lines, in order, without the prefix. */
const commands = (stdout: string): string[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('install.sh: would '))
    .map((l) => l.replace(/^install\.sh: would (run: )?/, ''));

/** An env file's assignments (comments and blank lines skipped). */
const envVars = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-roles-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('install.sh --role', () => {
  it('monitor: packages, the monitor under systemd, the tuned timeouts; no hub, no password shown', async () => {
    const root = join(dir, 'monitor');
    const run = await install(['--root', root, '--role', 'monitor', '--hostname', 'witness']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const cmds = commands(run.stdout);
    expect(cmds.slice(0, 4)).toEqual([
      'apt-get update',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 postgresql-15-auto-failover pgbackrest',
      'systemctl disable --now postgresql',
      'runuser -u postgres -- pg_autoctl create monitor --pgdata /var/lib/postgresql/monitor --pgport 5432 --hostname witness --auth scram-sha-256 --ssl-self-signed',
    ]);
    expect(cmds).toContain('systemctl enable --now pgautofailover');
    const sql = run.stdout.slice(run.stdout.indexOf('would run SQL on pg_auto_failover'));
    for (const [name, value] of [
      ['health_check_period', 1000],
      ['health_check_timeout', 1000],
      ['health_check_max_retries', 1],
      ['health_check_retry_delay', 500],
      ['node_considered_unhealthy_timeout', 4000],
      ['primary_demote_timeout', 6000],
    ] as const)
      expect(sql).toContain(`ALTER SYSTEM SET pgautofailover.${name} = ${value};`);
    expect(sql).toContain("ALTER USER autoctl_node PASSWORD '***'");
    // pg_autoctl admits autoctl_node over TLS only; the hubs' client has none (doctor, the failover request).
    expect(run.stdout).toContain(
      'would add to /var/lib/postgresql/monitor/pg_hba.conf (once): host pg_auto_failover autoctl_node samenet scram-sha-256',
    );
    expect(cmds.indexOf('systemctl enable --now pgautofailover')).toBeGreaterThan(
      cmds.findIndex((c) => c.startsWith('add to /var/lib/postgresql/monitor/pg_hba.conf')),
    );
    expect(run.stdout).not.toContain(PASSWORDS.POS_HUB_MONITOR_PASSWORD);
    // The witness runs no hub.
    expect(run.stdout).not.toMatch(/useradd|pos-hub\.service|npm/);
  }, 120_000);

  it('primary: the data node, its keeper timeout, the hub user, and HUB_STORE/HUB_PG_URL in a valid env file; a second run keeps it', async () => {
    const root = join(dir, 'primary');
    const args = [
      '--root',
      root,
      '--role',
      'primary',
      '--hostname',
      'hub-a',
      '--monitor-host',
      'witness',
      '--pg-hosts',
      'hub-a,hub-b',
    ];
    const run = await install(args);
    expect(run.code).toBe(0);
    const cmds = commands(run.stdout);
    expect(cmds).toContain(
      'runuser -u postgres -- pg_autoctl create postgres --pgdata /var/lib/postgresql/hub --pgport 5432 --hostname hub-a --name hub-a --monitor postgres://autoctl_node:***@witness:5432/pg_auto_failover?sslmode=require --auth scram-sha-256 --ssl-self-signed --dbname poshub --pg-hba-lan',
    );
    const order = [
      'runuser -u postgres -- pg_autoctl config set --pgdata /var/lib/postgresql/hub replication.password ***',
      'runuser -u postgres -- pg_autoctl config set --pgdata /var/lib/postgresql/hub timeout.network_partition_timeout 3',
      'systemctl enable --now pgautofailover',
      'systemctl enable --now pos-hub',
    ].map((c) => cmds.indexOf(c));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(run.stdout).toContain('GRANT pg_monitor TO poshub;');
    const lines = run.stdout.split('\n');
    expect(lines.indexOf(PGPASS_NOTE)).toBeGreaterThan(-1);
    expect(lines.indexOf(PGPASS_NOTE)).toBeLessThan(lines.findIndex((l) => l.includes('pg_autoctl create postgres')));
    expect(readFileSync(join(root, 'var/lib/postgresql/.pgpass'), 'utf8')).toBe(
      `*:*:*:pgautofailover_replicator:${PASSWORDS.POS_HUB_REPLICATION_PASSWORD}\n`,
    );
    expect(statSync(join(root, 'var/lib/postgresql/.pgpass')).mode & 0o777).toBe(0o600);
    expect(cmds).toContain('chown postgres:postgres /var/lib/postgresql/.pgpass');
    expect(cmds.indexOf(REWIND_HBA)).toBeLessThan(cmds.indexOf('systemctl enable --now pgautofailover'));
    for (const secret of Object.values(PASSWORDS)) expect(run.stdout).not.toContain(secret);

    const envFile = join(root, 'etc/pos-hub/env');
    const env = readFileSync(envFile, 'utf8');
    expect(env).toMatch(/^HUB_STORE=postgres$/m);
    const url = `postgres://poshub:${PASSWORDS.POS_HUB_DB_PASSWORD}@hub-a:5432,hub-b:5432/poshub?target_session_attrs=read-write`;
    expect(env).toContain(`HUB_PG_URL=${url}\n`);
    expect(env).toMatch(/^HUB_PG_NODE=hub-a:5432$/m);
    const monitorUrl = `postgres://autoctl_node:${PASSWORDS.POS_HUB_MONITOR_PASSWORD}@witness:5432/pg_auto_failover`;
    expect(env).toContain(`HUB_PG_MONITOR_URL=${monitorUrl}\n`);
    const config = parseConfig({ ...envVars(env), ODOO_USER: 'hub', ODOO_PASSWORD: 'secret-pw' });
    expect(config.HUB_STORE).toBe('postgres');
    expect(config.HUB_PG_NODE).toBe('hub-a:5432');
    expect(config.HUB_PG_MONITOR_URL).toBe(monitorUrl);
    // The hub starts after this box's keeper, the unit the role install creates.
    expect(cmds).toContain('write /etc/systemd/system/pgautofailover.service from: runuser -u postgres -- pg_autoctl show systemd --pgdata /var/lib/postgresql/hub');
    expect(readFileSync(join(root, DROPIN), 'utf8')).toMatch(/^\[Unit\]\nAfter=pgautofailover\.service\nWants=pgautofailover\.service\n$/m);
    const verify = await sh('systemd-analyze', ['verify', '--man=no', 'pos-hub.service'], {
      ...process.env,
      SYSTEMD_UNIT_PATH: `${join(root, 'etc/systemd/system')}:`,
    });
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);

    // An operator's edit survives, the store lines are not doubled, an existing data dir is not re-created.
    writeFileSync(envFile, `${env}ODOO_USER=venue-hub\n`);
    mkdirSync(join(root, 'var/lib/postgresql/hub'), { recursive: true });
    writeFileSync(join(root, 'var/lib/postgresql/hub/PG_VERSION'), '15\n');
    writeFileSync(join(root, 'var/lib/postgresql/.pgpass'), 'backup-host:5432:*:barman:other\n*:*:*:pgautofailover_replicator:old-password-1234\n');
    const again = await install(args);
    expect(again.code).toBe(0);
    expect(readFileSync(join(root, 'var/lib/postgresql/.pgpass'), 'utf8')).toBe(
      `backup-host:5432:*:barman:other\n*:*:*:pgautofailover_replicator:${PASSWORDS.POS_HUB_REPLICATION_PASSWORD}\n`,
    );
    expect(again.stdout).toContain('data node in /var/lib/postgresql/hub exists; not created again');
    expect(commands(again.stdout).some((c) => c.includes('pg_autoctl create'))).toBe(false);
    const env2 = readFileSync(envFile, 'utf8');
    expect(env2.match(/^HUB_STORE=/gm)).toHaveLength(1);
    expect(env2.match(/^HUB_PG_URL=/gm)).toHaveLength(1);
    expect(env2.match(/^HUB_PG_NODE=/gm)).toHaveLength(1);
    expect(env2.match(/^HUB_PG_MONITOR_URL=/gm)).toHaveLength(1);
    expect(env2).toContain('ODOO_USER=venue-hub');
  }, 180_000);

  it('secondary: the same node steps, and no role or password SQL (it replicates from the primary)', async () => {
    const root = join(dir, 'secondary');
    const run = await install([
      '--root',
      root,
      '--role',
      'secondary',
      '--hostname',
      'hub-b',
      '--monitor-host',
      'witness',
      '--pg-hosts',
      'hub-a,hub-b',
    ]);
    expect(run.code).toBe(0);
    expect(commands(run.stdout)).toContainEqual(
      expect.stringContaining(
        'pg_autoctl create postgres --pgdata /var/lib/postgresql/hub --pgport 5432 --hostname hub-b --name hub-b',
      ),
    );
    expect(run.stdout).not.toContain('CREATE ROLE');
    // Its base backup runs inside the create: the replicator's password must be there already.
    const lines = run.stdout.split('\n');
    expect(lines.indexOf(PGPASS_NOTE)).toBeGreaterThan(-1);
    expect(lines.indexOf(PGPASS_NOTE)).toBeLessThan(lines.findIndex((l) => l.includes('pg_autoctl create postgres')));
    expect(commands(run.stdout)).toContain(REWIND_HBA);
    const env = readFileSync(join(root, 'etc/pos-hub/env'), 'utf8');
    expect(env).toMatch(
      /^HUB_PG_URL=postgres:\/\/poshub:[^@]+@hub-a:5432,hub-b:5432\/poshub\?target_session_attrs=read-write$/m,
    );
    // Its own node is hub-b, not the URL's first host (which it would lead by without this line).
    expect(parseConfig({ ...envVars(env), ODOO_USER: 'hub', ODOO_PASSWORD: 'secret-pw' }).HUB_PG_NODE).toBe('hub-b:5432');
    expect(existsSync(join(root, DROPIN))).toBe(true);
  }, 120_000);

  it('refuses bad arguments and missing passwords before changing anything', async () => {
    const cases: [string[], RegExp][] = [
      [['--role', 'witness'], /--role must be single, monitor, primary or secondary/],
      [['--role', 'primary', '--hostname', 'hub-a', '--monitor-host', 'witness'], /needs --pg-hosts A,B/],
      [
        ['--role', 'primary', '--hostname', 'hub-c', '--monitor-host', 'witness', '--pg-hosts', 'hub-a,hub-b'],
        /hub-c is not one of --pg-hosts/,
      ],
      [['--role', 'secondary', '--hostname', 'hub-b', '--pg-hosts', 'hub-a,hub-b'], /needs --monitor-host/],
    ];
    for (const [args, message] of cases) {
      const run = await install(['--root', join(dir, 'bad'), ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    // For real (no --root), a missing or unsafe password stops it first.
    const missing = await install(['--role', 'monitor', '--hostname', 'witness'], withoutPasswords());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/set POS_HUB_MONITOR_PASSWORD/);
    const unsafe = await install(['--role', 'monitor', '--hostname', 'witness'], {
      ...withoutPasswords(),
      POS_HUB_MONITOR_PASSWORD: "it's'bad",
    });
    expect(unsafe.code).toBe(2);
    expect(unsafe.stderr).toMatch(/POS_HUB_MONITOR_PASSWORD must be at least 12 characters/);
    expect(missing.stdout + unsafe.stdout).not.toMatch(/would run|apt-get/);
  }, 60_000);

  it('a single-box install writes no keeper drop-in', async () => {
    const root = join(dir, 'single');
    const run = await install(['--root', root]);
    expect(run.code).toBe(0);
    expect(existsSync(join(root, 'etc/systemd/system/pos-hub.service.d'))).toBe(false);
    expect(readFileSync(join(root, 'etc/pos-hub/env'), 'utf8')).not.toMatch(/^HUB_PG_/m);
  }, 120_000);

  it("for real, pg_autoctl config set's echo of the replication password is not shown", async () => {
    // A stand-in runuser that echoes its last argument, as `pg_autoctl config set` prints the value it set.
    const bin = join(dir, 'fakebin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'runuser'), '#!/bin/sh\necho "$*" >>"$FAKE_LOG"\nfor last; do :; done\necho "$last"\n');
    chmodSync(join(bin, 'runuser'), 0o755);
    const log = join(dir, 'fake.log');
    const script = [
      'set -euo pipefail',
      'say() { echo "install.sh: $*"; }',
      'ROOT="" DRY_RUN=0 ROLE=secondary NODE_NAME=hub-b MONITOR_HOST=witness PG_HOSTS=hub-a,hub-b',
      `. ${join(REPO, 'scripts/ha/roles.sh')}`,
      'ha_check_args',
      'ha_config_set /var/lib/postgresql/hub replication.password "$REPLICATION_PASSWORD"',
    ].join('\n');
    const run = await sh('bash', ['-c', script], { ...withoutPasswords(), ...PASSWORDS, PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: log });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain(
      `-u postgres -- pg_autoctl config set --pgdata /var/lib/postgresql/hub replication.password ${PASSWORDS.POS_HUB_REPLICATION_PASSWORD}`,
    );
    expect(run.stdout).not.toContain(PASSWORDS.POS_HUB_REPLICATION_PASSWORD);
  });

  it('is shellcheck-clean, the role steps included', async () => {
    const run = await sh('shellcheck', ['-x', 'scripts/install.sh', 'scripts/ha/roles.sh', 'scripts/ha/cluster.sh'], {
      ...process.env,
      PWD: REPO,
    });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});
