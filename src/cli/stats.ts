/**
 * `pos-hub stats`: GET /health from a running hub and print it as a table an operator reads over SSH,
 * or as the raw JSON with --json. A hub that does not answer is a clear sentence and exit code 1.
 * Older hubs (the reference's eight /health fields) print with dashes for what they lack. What needs
 * someone (a degraded status, dead letters, a stale Odoo sync) is marked and listed; --check turns it
 * into exit code 1 for scripts and monitoring.
 */
import { parseArgs } from './args.js';
import { hubUrl, requestHub } from './hub-http.js';
import { EXIT, type CliIo } from './io.js';

type Health = Record<string, unknown>;

function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${pad(h)}h ${pad(m)}m`;
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s % 60)}s`;
  if (m > 0) return `${m}m ${pad(s % 60)}s`;
  return `${s}s`;
}

function ago(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  return `${new Date(at)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')} (${duration((now - at) / 1000)} ago)`;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value as string | number | bigint | symbol);
}

/** Orders waiting for Odoo with no successful sync for this long mean the forwarder is stuck. */
export const STALE_SYNC_MS = 10 * 60_000;

export interface HealthProblem {
  /** The table row it marks. */
  readonly row: string;
  readonly message: string;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** What an operator must look at, from one /health document; `now` is injected for the staleness. */
export function healthProblems(health: Health, now: number): HealthProblem[] {
  const problems: HealthProblem[] = [];
  if (health.status !== 'ok') {
    problems.push({
      row: 'Status',
      message: `status is ${show(health.status)}, not ok: read the hub log (journalctl -u pos-hub)`,
    });
  }
  const dead = count(health.deadLetters);
  if (dead > 0) {
    problems.push({
      row: 'Dead letters',
      message: `${dead} dead letter${dead === 1 ? '' : 's'}: order${dead === 1 ? '' : 's'} Odoo refused for good and will not retry; see the dashboard (docs/operations.md)`,
    });
  }
  const pending = count(health.pendingForward);
  const last = typeof health.lastOdooSync === 'string' ? Date.parse(health.lastOdooSync) : Number.NaN;
  const since = Number.isNaN(last) ? count(health.uptime) * 1000 : now - last;
  if (pending > 0 && since >= STALE_SYNC_MS) {
    problems.push({
      row: 'Last Odoo sync',
      message: `${pending} order${pending === 1 ? '' : 's'} waiting for Odoo and no successful sync for ${duration(since / 1000)}: check Odoo and the network (pos-hub doctor)`,
    });
  }
  if (health.odooReachable === false) {
    problems.push({
      row: 'Odoo reachable',
      message: 'Odoo is unreachable: finalizations queue and only cached terminal sessions sign in',
    });
  }
  problems.push(...clusterProblems(health.cluster));
  return problems;
}

interface ClusterHealth {
  readonly role?: unknown;
  readonly epoch?: unknown;
  readonly leader?: { readonly url?: unknown } | null;
  readonly replication?: {
    readonly lagBytes?: unknown;
    readonly syncState?: unknown;
    readonly standbys?: unknown;
  } | null;
}

const asCluster = (value: unknown): ClusterHealth | null =>
  typeof value === 'object' && value !== null ? (value as ClusterHealth) : null;

/** A Postgres hub whose writes have one copy only (docs/ha.md): someone must bring the standby back. */
function clusterProblems(value: unknown): HealthProblem[] {
  const cluster = asCluster(value);
  if (cluster === null || cluster.role === 'standalone') return [];
  const r = cluster.replication;
  if (r === null || r === undefined)
    return [{ row: 'Replication', message: 'no PostgreSQL primary answers: the hub cannot commit (pos-hub doctor)' }];
  if (count(r.standbys) === 0)
    return [{ row: 'Replication', message: 'no standby is streaming: every write has one copy only (pos-hub doctor)' }];
  if (r.syncState !== 'sync' && r.syncState !== 'quorum')
    return [
      {
        row: 'Replication',
        message: `the standby is ${show(r.syncState)}, not synchronous: an acked write may be lost with the primary (pos-hub doctor)`,
      },
    ];
  return [];
}

function clusterRows(value: unknown): [string, string][] {
  const cluster = asCluster(value);
  if (cluster === null)
    return [
      ['Role', '-'],
      ['Replication', '-'],
    ];
  const leader =
    cluster.role === 'follower' && typeof cluster.leader?.url === 'string' ? ` (leader ${cluster.leader.url})` : '';
  const r = cluster.replication;
  const replication =
    cluster.role === 'standalone'
      ? 'single box (SQLite)'
      : r === null || r === undefined
        ? 'no primary answering'
        : `${show(r.standbys)} standby, ${show(r.syncState)}, lag ${typeof r.lagBytes === 'number' ? `${r.lagBytes} B` : 'unknown'}`;
  return [
    ['Role', `${show(cluster.role)}, epoch ${show(cluster.epoch)}${leader}`],
    ['Replication', replication],
  ];
}

/** The table `pos-hub stats` prints; `now` is injected so the "ago" column is testable. */
export function formatHealth(url: string, health: Health, now: number): string[] {
  const rows: [string, string][] = [
    ['Status', show(health.status)],
    ['Version', show(health.version)],
    ['Uptime', typeof health.uptime === 'number' ? duration(health.uptime) : '-'],
    ['Connected terminals', show(health.connectedTerminals)],
    ['Active leases', show(health.activeLeases)],
    ['Table locks', show(health.activeLocks)],
    ['Orders', show(health.orders)],
    ['Pending to Odoo', show(health.pendingForward)],
    ['Forwarded to Odoo', show(health.totalForwarded)],
    ['Dead letters', show(health.deadLetters)],
    [
      'Last Odoo sync',
      typeof health.lastOdooSync === 'string'
        ? ago(health.lastOdooSync, now)
        : health.lastOdooSync === null
          ? 'never'
          : '-',
    ],
    ['Odoo reachable', show(health.odooReachable)],
    ['uWS', show(health.uws)],
    ['Shards', show(health.shards)],
    ['Event seq', show(health.seq)],
    ...clusterRows(health.cluster),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const problems = healthProblems(health, now);
  const marked = new Set(problems.map((p) => p.row));
  const table = rows.map(([label, value]) => `${marked.has(label) ? '! ' : '  '}${label.padEnd(width)}  ${value}`);
  if (problems.length === 0) return [`POS Hub at ${url}`, ...table];
  return [
    `POS Hub at ${url}`,
    ...table,
    '',
    `${problems.length} problem${problems.length === 1 ? '' : 's'}:`,
    ...problems.map((p) => `! ${p.message}`),
  ];
}

export async function statsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'check'], values: ['url'] });
  const base = hubUrl(args.values.get('url'), io.env);
  const response = await requestHub(`${base}/health`);
  if (!response.ok) {
    io.err(`pos-hub stats: the hub at ${base} is not answering (${response.reason}).`);
    io.err('Is it running? Check with: systemctl status pos-hub  (or pass --url http://HOST:PORT)');
    return EXIT.FAILED;
  }
  const health = response.body;
  if (typeof health !== 'object' || health === null || !('status' in health)) {
    io.err(`pos-hub stats: ${base}/health answered HTTP ${response.status} but not with a hub health document.`);
    return EXIT.FAILED;
  }
  const now = Date.now();
  if (args.flags.has('json')) io.out(JSON.stringify(health, null, 2));
  else for (const line of formatHealth(base, health as Health, now)) io.out(line);
  return args.flags.has('check') && healthProblems(health as Health, now).length > 0 ? EXIT.FAILED : EXIT.OK;
}
