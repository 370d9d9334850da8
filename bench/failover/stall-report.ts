/**
 * What each node was doing when writes did not flow after a fault healed: its sessions that are not idle
 * (waiting on what, since when), its replication links (as primary and as standby) and the lock waits. Read straight on 127.0.0.1, past
 * the link proxies, and put in the run's error, because the cluster is torn down before anyone can look.
 */
import pg from 'pg';
import type { NodeName } from './cluster.js';

const BUDGET_MS = 3000;

async function onNode(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: BUDGET_MS, query_timeout: BUDGET_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const sessions = await client.query<Record<string, unknown>>(
      `SELECT pid, application_name AS app, client_addr::text AS addr, state, wait_event_type AS wtype, wait_event AS wait,
         round(extract(epoch FROM now() - xact_start))::int AS xact_s, left(query, 60) AS query
       FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle' AND backend_type IN ('client backend', 'walsender', 'walreceiver')`,
    );
    const replication = await client.query<Record<string, unknown>>(
      `SELECT application_name AS app, state, sync_state AS sync, sent_lsn::text AS sent, flush_lsn::text AS flushed,
         round(extract(epoch FROM now() - reply_time))::int AS reply_age_s FROM pg_stat_replication`,
    );
    const receiver = await client.query<Record<string, unknown>>(
      `SELECT status, flushed_lsn::text AS flushed, round(extract(epoch FROM now() - last_msg_receipt_time))::int AS last_msg_age_s, sender_host AS host, sender_port AS port FROM pg_stat_wal_receiver`,
    );
    const waits = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`);
    const { rows } = await client.query<{ ro: boolean; names: string }>(`SELECT pg_is_in_recovery() AS ro, current_setting('synchronous_standby_names') AS names`);
    return JSON.stringify({ recovery: rows[0]?.ro, syncNames: rows[0]?.names, sessions: sessions.rows, replication: replication.rows, receiver: receiver.rows, lockWaits: waits.rows[0]?.n });
  } catch (error) {
    return `unreadable (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** One line per node. */
export async function stallReport(nodeUrl: (node: NodeName) => string): Promise<string> {
  const [node1, node2] = await Promise.all([onNode(nodeUrl('node1')), onNode(nodeUrl('node2'))]);
  return `node1 ${node1}; node2 ${node2}`;
}
