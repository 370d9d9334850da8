/**
 * The Postgres store's pruning, as the SQLite store's: closed orders by count and bytes, events by count and
 * bytes (never ones owed to Odoo), old mutation replies; and the resume floor they move. Each runs inside a
 * transaction of PgStore's on its one connection. Split from store.ts, which keeps the connection.
 */
import type pg from 'pg';
import type { PruneLimits, PruneOutcome } from '../../ports/store.js';

/** The first seq a SYNC_RESUME may start after (meta `resume_floor`). */
export async function floorOn(c: pg.Client): Promise<number> {
  const { rows } = await c.query<{ value: string }>(`SELECT value FROM meta WHERE key = 'resume_floor'`);
  return Number(rows[0]?.value ?? '0');
}

/** As the SQLite store's pruneScheduled: closed orders by count and bytes, events by count and bytes, never ones owed to Odoo. */
export async function pruneOn(c: pg.Client, limits: PruneLimits): Promise<PruneOutcome> {
  const { rows: closed } = await c.query<{ posReference: string; n: number; bytes: number }>(
    `SELECT pos_reference AS "posReference",
         row_number() OVER (ORDER BY updated_at DESC, pos_reference DESC) AS n,
         sum(coalesce(octet_length(snapshot), 0)) OVER (ORDER BY updated_at DESC, pos_reference DESC) AS bytes
       FROM orders WHERE odoo_order_id IS NOT NULL AND pos_reference NOT IN (SELECT pos_reference FROM leases)`,
  );
  const orders: string[] = [];
  for (const o of closed) {
    if (Number(o.n) <= limits.closedOrders && Number(o.bytes) <= limits.orderBytes) continue;
    await c.query('DELETE FROM orders WHERE pos_reference = $1', [o.posReference]);
    await c.query('DELETE FROM epochs WHERE key = $1', [`lease:${o.posReference}`]);
    orders.push(o.posReference);
  }
  const { rows: seqRows } = await c.query<{ seq: number }>('SELECT seq FROM seq_counter WHERE id = 1');
  const byCount = (seqRows[0]?.seq ?? 0) - limits.retention;
  const { rows: cut } = await c.query<{ id: number }>(
    `SELECT id FROM (SELECT id, sum(coalesce(octet_length(payload), 0) + coalesce(octet_length(finalize), 0)) OVER (ORDER BY id DESC) AS acc FROM events) s
       WHERE acc > $1 ORDER BY id DESC LIMIT 1`,
    [limits.eventBytes],
  );
  const cutoff = Math.max(byCount, cut[0]?.id ?? 0);
  let floor = await floorOn(c);
  let events = 0;
  if (cutoff > 0 && cutoff > floor) {
    events =
      (await c.query(`DELETE FROM events WHERE id <= $1 AND (forwarded IS NULL OR status = 'forwarded')`, [cutoff]))
        .rowCount ?? 0;
    await c.query(
      `INSERT INTO meta (key, value) VALUES ('resume_floor', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(cutoff)],
    );
    floor = cutoff;
  }
  await c.query('DELETE FROM mutations WHERE rowid <= (SELECT max(rowid) FROM mutations) - $1', [limits.retention]);
  return { orders, events, resumeFloor: floor };
}

/** As the SQLite store's prune(retention): events past the resume window and old mutation replies. */
export async function trimOn(c: pg.Client, retention: number): Promise<void> {
  const { rows } = await c.query<{ seq: number }>('SELECT seq FROM seq_counter WHERE id = 1');
  const cutoff = (rows[0]?.seq ?? 0) - retention;
  if (cutoff > 0 && cutoff > (await floorOn(c))) {
    await c.query(`DELETE FROM events WHERE id <= $1 AND (forwarded IS NULL OR status = 'forwarded')`, [cutoff]);
    await c.query(
      `INSERT INTO meta (key, value) VALUES ('resume_floor', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(cutoff)],
    );
  }
  await c.query('DELETE FROM mutations WHERE rowid <= (SELECT max(rowid) FROM mutations) - $1', [retention]);
}
