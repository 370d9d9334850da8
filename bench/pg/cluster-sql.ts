/**
 * Small reads on the pg bench's cluster: the primary's one-host URL (pg.Client takes no multi-host URL;
 * the monitor says which node is primary) and the store's seq counter there.
 */
import pg from 'pg';
import type { PgCluster } from '../../test/helpers/pg-cluster.js';

/** The node the monitor has as primary, as a one-host URL (pg.Client takes no multi-host URL). */
export async function primaryUrl(cluster: PgCluster): Promise<string | null> {
  const node = await cluster.primary();
  return node === null ? null : cluster.nodeUrl(node);
}

/** The cluster's last given seq, read on the primary; null when there is no primary or no schema yet. */
export async function seqCounter(cluster: PgCluster): Promise<number | null> {
  const url = await primaryUrl(cluster);
  if (url === null) return null;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ seq: string }>('SELECT seq FROM seq_counter WHERE id = 1');
    return rows[0] === undefined ? 0 : Number(rows[0].seq);
  } catch {
    // No schema yet: no hub has opened the store.
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}
