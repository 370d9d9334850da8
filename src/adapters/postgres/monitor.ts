/**
 * What a hub reads from, and the one write it makes to, the pg_auto_failover monitor (docs/ha.md): the
 * group's nodes with their states (the lone-commit guard, alone-guard.ts) and, from a follower whose
 * leader stopped serving, a failover request ("A leader hub that keeps crashing") — asked only while the
 * monitor has every node settled (reported state = goal state), so it never races a change under way.
 */
import type pg from 'pg';
import { connectTarget, parsePgUrl } from './connection.js';

/** pg_auto_failover's default formation and group, which install.sh and cluster.sh create. */
const FORMATION = 'default';
const GROUP = 0;

/** One row of pgautofailover.node for our group. */
export interface MonitorNodeRow {
  readonly nodeId: number;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly reported: string;
  readonly goal: string;
}

/** One fresh connection to the monitor for `fn`, connect and each query bounded by `timeoutMs`. */
export async function withMonitor<T>(
  monitorUrl: string,
  timeoutMs: number,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connectTarget({ ...parsePgUrl(monitorUrl), readWrite: false }, timeoutMs, timeoutMs);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The group's nodes, in node id order. */
export async function groupNodes(client: pg.Client): Promise<MonitorNodeRow[]> {
  const { rows } = await client.query<{
    nodeid: number;
    nodename: string;
    nodehost: string;
    nodeport: number;
    reportedstate: string;
    goalstate: string;
  }>(
    'SELECT nodeid, nodename, nodehost, nodeport, reportedstate::text, goalstate::text FROM pgautofailover.node WHERE formationid = $1 AND groupid = $2 ORDER BY nodeid',
    [FORMATION, GROUP],
  );
  return rows.map((r) => ({
    nodeId: Number(r.nodeid),
    name: r.nodename,
    host: r.nodehost,
    port: Number(r.nodeport),
    reported: r.reportedstate,
    goal: r.goalstate,
  }));
}

/** Resolves once the monitor accepted; rejects (nothing asked) when it is mid-change, refuses or does not answer. */
export function requestFailover(monitorUrl: string, timeoutMs: number): Promise<void> {
  return withMonitor(monitorUrl, timeoutMs, async (client) => {
    const nodes = await groupNodes(client);
    const states = nodes.map((n) => `${n.name} ${n.reported}→${n.goal}`).join(', ');
    const settled =
      nodes.length >= 2 && nodes.every((n) => n.reported === n.goal) && nodes.some((n) => n.goal === 'primary');
    if (!settled) throw new Error(`the monitor is not settled (${states || 'no nodes'}): no failover asked`);
    await client.query('SELECT pgautofailover.perform_failover($1, $2)', [FORMATION, GROUP]);
  });
}
