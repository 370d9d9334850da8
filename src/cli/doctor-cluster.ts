/**
 * `pos-hub doctor`'s cluster checks when HUB_STORE=postgres (docs/ha.md): every data node of HUB_PG_URL
 * answers, exactly one is writable, a synchronous standby is attached (so an acked commit survives the
 * primary), how far the standby lags, and what the pg_auto_failover monitor says. One line each, with
 * what to do; the verdicts are a pure function of what was read, so they are tested without a cluster.
 */
import type { CheckResult, CheckStatus } from './doctor-checks.js';
import { probeCluster, type NodeProbe } from '../adapters/postgres/cluster-view.js';
import { connectTarget, parsePgUrl } from '../adapters/postgres/connection.js';

/** Beyond this the standby is more than a moment behind (a burst of writes replays in milliseconds). */
export const LAG_WARN_BYTES = 16 * 1024 * 1024;

export interface MonitorNode {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly reported: string;
  readonly goal: string;
}

export type MonitorRead =
  | { readonly kind: 'not-configured' }
  | { readonly kind: 'unreachable'; readonly error: string }
  | { readonly kind: 'nodes'; readonly nodes: readonly MonitorNode[] };

const line = (status: CheckStatus, detail: string): CheckResult => ({ status, name: 'cluster', detail });
const where = (p: { host: string; port: number }): string => `${p.host}:${p.port}`;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The verdicts, from the data nodes' answers and the monitor's. */
export function clusterVerdicts(probes: readonly NodeProbe[], monitor: MonitorRead): CheckResult[] {
  const out: CheckResult[] = [];
  for (const p of probes) {
    if (p.ok && !p.inRecovery && !p.canCommit)
      out.push(
        line(
          'FAIL',
          `${where(p)} is out of recovery but cannot commit: its synchronous standby is gone and pg_auto_failover has not demoted it (cut off from the monitor and the standby?) — check the network to it and \`pg_autoctl show state\` on the witness`,
        ),
      );
    else if (p.ok) out.push(line('PASS', `${where(p)} answers (${p.inRecovery ? 'standby' : 'primary, writable'})`));
    else
      out.push(
        line(
          'FAIL',
          `${where(p)} does not answer: ${p.error} — is the node up (systemctl status pgautofailover on it), does its pg_hba.conf admit this host and the hub's user?`,
        ),
      );
  }
  // Writable means able to commit: an undemoted old primary beside the promoted one is not a split brain.
  const primaries = probes.filter((p): p is Extract<NodeProbe, { ok: true }> => p.ok && !p.inRecovery && p.canCommit);
  if (primaries.length === 0) {
    out.push(
      line(
        'FAIL',
        'no writable primary among the data nodes: the hub cannot commit; see the monitor line and `pg_autoctl show state` on the witness',
      ),
    );
  } else if (primaries.length > 1) {
    out.push(
      line(
        'FAIL',
        `${primaries.length} writable primaries (${primaries.map(where).join(', ')}): split brain — stop the hubs, keep the node the monitor names primary, rebuild the other as a standby (docs/ha.md)`,
      ),
    );
  } else {
    out.push(line('PASS', `exactly one writable primary (${where(primaries[0]!)})`));
  }
  const primary = primaries.length === 1 ? primaries[0]! : null;
  if (primary !== null) out.push(...replicationVerdicts(primary, probes.length));
  out.push(monitorVerdict(monitor));
  return out;
}

function replicationVerdicts(primary: Extract<NodeProbe, { ok: true }>, dataNodes: number): CheckResult[] {
  const r = primary.replication;
  if (r === null || r.standbys === 0) {
    return [
      line(
        dataNodes < 2 ? 'WARN' : 'FAIL',
        dataNodes < 2
          ? 'HUB_PG_URL names one data node: no second copy of any write (add the standby to HUB_PG_URL and the cluster)'
          : 'no standby is streaming from the primary: every write has one copy only — check the standby (pg_autoctl show state; its log) and the network between the two',
      ),
    ];
  }
  const out: CheckResult[] = [];
  const synchronous =
    primary.synchronousStandbyNames.trim() !== '' && (r.syncState === 'sync' || r.syncState === 'quorum');
  out.push(
    synchronous
      ? line(
          'PASS',
          `synchronous standby attached (${r.syncState}; synchronous_standby_names = ${primary.synchronousStandbyNames})`,
        )
      : line(
          'FAIL',
          `commits do not wait for a standby (synchronous_standby_names = '${primary.synchronousStandbyNames}', sync_state ${r.syncState ?? 'none'}): an acked write may be lost with the primary — the monitor has the primary in wait_primary while the standby catches up or is unhealthy; check it with pg_autoctl show state on the witness and journalctl -u pgautofailover on the standby`,
        ),
  );
  if (r.lagBytes === null)
    out.push(
      line(
        'WARN',
        "replication lag unknown: grant the hub's user pg_monitor (GRANT pg_monitor TO poshub) so doctor and /health can read it",
      ),
    );
  else if (r.lagBytes > LAG_WARN_BYTES)
    out.push(
      line(
        'WARN',
        `standby replays ${formatBytes(r.lagBytes)} behind the primary: check its disk and CPU, and the link between the boxes`,
      ),
    );
  else out.push(line('PASS', `replication lag ${formatBytes(r.lagBytes)}`));
  return out;
}

function monitorVerdict(monitor: MonitorRead): CheckResult {
  switch (monitor.kind) {
    case 'not-configured':
      return line(
        'WARN',
        'monitor not checked: set HUB_PG_MONITOR_URL (install.sh --role writes it) or pass --monitor postgres://autoctl_node:PASSWORD@WITNESS:5432/pg_auto_failover',
      );
    case 'unreachable':
      return line(
        'FAIL',
        `monitor does not answer: ${monitor.error} — without it no failover happens (check the witness box and its pgautofailover service)`,
      );
    case 'nodes': {
      const states = monitor.nodes
        .map((n) => `${n.name} ${n.reported}${n.reported === n.goal ? '' : ` → ${n.goal}`}`)
        .join(', ');
      if (monitor.nodes.length === 0)
        return line('FAIL', 'the monitor knows no data node: create them with install.sh --role primary / secondary');
      const settled = monitor.nodes.every((n) => n.reported === n.goal);
      const healthy =
        monitor.nodes.some((n) => n.reported === 'primary') && monitor.nodes.some((n) => n.reported === 'secondary');
      if (settled && healthy) return line('PASS', `monitor: ${states}`);
      return line(
        'WARN',
        `monitor: ${states} — ${settled ? 'running without a second copy' : 'a state change is under way'}; run pg_autoctl show state on the witness`,
      );
    }
    default: {
      const never: never = monitor;
      return never;
    }
  }
}

/** The monitor's view, as `pg_autoctl show state` prints it (the same table, read over SQL). */
export async function readMonitor(monitorUrl: string | undefined, timeoutMs: number): Promise<MonitorRead> {
  if (monitorUrl === undefined || monitorUrl.trim() === '') return { kind: 'not-configured' };
  try {
    const client = await connectTarget({ ...parsePgUrl(monitorUrl), readWrite: false }, timeoutMs, timeoutMs);
    try {
      const { rows } = await client.query<{
        nodename: string;
        nodehost: string;
        nodeport: number;
        reportedstate: string;
        goalstate: string;
      }>(
        'SELECT nodename, nodehost, nodeport, reportedstate::text, goalstate::text FROM pgautofailover.node ORDER BY nodeid',
      );
      return {
        kind: 'nodes',
        nodes: rows.map((r) => ({
          name: r.nodename,
          host: r.nodehost,
          port: Number(r.nodeport),
          reported: r.reportedstate,
          goal: r.goalstate,
        })),
      };
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    return { kind: 'unreachable', error: error instanceof Error ? error.message : String(error) };
  }
}

/** Every cluster line for HUB_PG_URL (and the monitor when given). Never throws. */
export async function checkCluster(
  pgUrl: string,
  monitorUrl: string | undefined,
  timeoutMs = 3000,
): Promise<CheckResult[]> {
  let target;
  try {
    target = parsePgUrl(pgUrl);
  } catch (error) {
    return [line('FAIL', `HUB_PG_URL: ${error instanceof Error ? error.message : String(error)}`)];
  }
  const [probes, monitor] = await Promise.all([
    probeCluster(target, { connectTimeoutMs: timeoutMs, queryTimeoutMs: timeoutMs }),
    readMonitor(monitorUrl, timeoutMs),
  ]);
  return clusterVerdicts(probes, monitor);
}
