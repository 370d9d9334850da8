/**
 * `pos-hub doctor`: checks an installation before (or while) the hub runs — config, Odoo reachable and
 * the hub's login, SQLite integrity (quick_check), free disk space, the uWS native binary, the port, mDNS,
 * TLS — one PASS/WARN/FAIL line
 * each, exit 1 when anything FAILs so scripts and installers can rely on it.
 */
import { parseArgs } from './args.js';
import {
  checkConfig,
  checkDiskSpace,
  checkMdns,
  checkOdoo,
  checkPort,
  checkSqlite,
  checkUws,
  type CheckResult,
} from './doctor-checks.js';
import { checkTls } from './doctor-tls.js';
import { checkCluster } from './doctor-cluster.js';
import { checkHaSettings } from './doctor-ha-settings.js';
import { loadEnv } from './env-file.js';
import { EXIT, type CliIo } from './io.js';

export function formatCheck(check: CheckResult): string {
  return `${check.status.padEnd(4)}  ${check.name.padEnd(10)}  ${check.detail}`;
}

export async function doctorCommand(argv: readonly string[], io: CliIo, cwd: string): Promise<number> {
  const args = parseArgs(argv, { flags: ['skip-odoo'], values: ['env', 'monitor'] });
  const loaded = loadEnv(io.env, args.values.get('env'), cwd);
  io.out(`pos-hub doctor (configuration from ${loaded.file ?? 'the process environment'})`);
  const { results, config } = checkConfig(loaded.env);
  const all: CheckResult[] = [...results];
  const print = (checks: readonly CheckResult[]) => {
    for (const check of checks) io.out(formatCheck(check));
  };
  print(results);
  const odoo = args.flags.has('skip-odoo')
    ? [{ status: 'WARN', name: 'odoo', detail: 'skipped (--skip-odoo)' } as const]
    : await checkOdoo(config);
  print(odoo);
  all.push(...odoo);
  // HUB_STORE=postgres: the cluster instead of the SQLite file (docs/ha.md).
  // The monitor: --monitor, else the hub's own HUB_PG_MONITOR_URL, else pg_autoctl's variable.
  const monitor = args.values.get('monitor') ?? (config.HUB_PG_MONITOR_URL || loaded.env.PG_AUTOCTL_MONITOR);
  const store =
    config.HUB_STORE === 'postgres'
      ? Promise.all([checkCluster(config.HUB_PG_URL, monitor), checkHaSettings(loaded.env, config)]).then((parts) => parts.flat())
      : checkSqlite(config.HUB_DB_PATH).then((sqlite) => [sqlite, checkDiskSpace(config.HUB_DB_PATH)]);
  for (const check of [store, checkUws(), checkPort(config), checkMdns(config), checkTls(config, new Date())]) {
    const done = await check;
    const lines = Array.isArray(done) ? done : [done];
    print(lines);
    all.push(...lines);
  }
  const failed = all.filter((c) => c.status === 'FAIL').length;
  const warned = all.filter((c) => c.status === 'WARN').length;
  io.out(
    failed === 0
      ? `All checks passed${warned > 0 ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}.`
      : `${failed} check${failed > 1 ? 's' : ''} failed.`,
  );
  return failed === 0 ? EXIT.OK : EXIT.FAILED;
}
