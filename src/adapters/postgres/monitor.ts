/**
 * The one write a hub makes to the pg_auto_failover monitor (docs/ha.md "A leader hub that keeps
 * crashing"): a follower whose leader stopped serving asks for a failover — only while the monitor has
 * every node settled (reported state = goal state), so it never races a change already under way.
 */
import { connectTarget, parsePgUrl } from './connection.js';

/** pg_auto_failover's default formation and group, which install.sh and cluster.sh create. */
const FORMATION = 'default';
const GROUP = 0;

/** Resolves once the monitor accepted; rejects (nothing asked) when it is mid-change, refuses or does not answer. */
export async function requestFailover(monitorUrl: string, timeoutMs: number): Promise<void> {
  const client = await connectTarget({ ...parsePgUrl(monitorUrl), readWrite: false }, timeoutMs, timeoutMs);
  try {
    const { rows } = await client.query<{ nodename: string; reportedstate: string; goalstate: string }>(
      'SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node WHERE formationid = $1 AND groupid = $2 ORDER BY nodeid',
      [FORMATION, GROUP],
    );
    const states = rows.map((r) => `${r.nodename} ${r.reportedstate}→${r.goalstate}`).join(', ');
    const settled = rows.length >= 2 && rows.every((r) => r.reportedstate === r.goalstate) && rows.some((r) => r.goalstate === 'primary');
    if (!settled) throw new Error(`the monitor is not settled (${states || 'no nodes'}): no failover asked`);
    await client.query('SELECT pgautofailover.perform_failover($1, $2)', [FORMATION, GROUP]);
  } finally {
    await client.end().catch(() => undefined);
  }
}
