/**
 * Every prepared statement the store runs, by name, prepared once when the store opens. Split from
 * store.ts so the SQL reads in one place and the store's methods read as what they do with it.
 */
import type { Database as Db, Statement } from 'better-sqlite3';

export type Statements = Record<string, Statement>;

export function prepareStatements(db: Db): Statements {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    orderPut:
      p(`INSERT INTO orders (pos_reference, home_key, table_id, version, snapshot, state, terminal_id, created_at, updated_at)
      VALUES (@posReference, @homeKey, @tableId, @version, @snapshot, @state, @terminalId, @now, @now)
      ON CONFLICT(pos_reference) DO UPDATE SET table_id = excluded.table_id, version = excluded.version, snapshot = excluded.snapshot,
        state = excluded.state, terminal_id = excluded.terminal_id, updated_at = excluded.updated_at`),
    orderOdooId: p(`UPDATE orders SET odoo_order_id = ? WHERE pos_reference = ?`),
    leasePut: p(`INSERT INTO leases (pos_reference, home_key, terminal_id, role, table_id, expires_at, epoch)
      VALUES (@posReference, @homeKey, @terminalId, @role, @tableId, @expiresAt, @epoch)
      ON CONFLICT(pos_reference) DO UPDATE SET terminal_id = excluded.terminal_id, role = excluded.role, table_id = excluded.table_id,
        expires_at = excluded.expires_at, epoch = excluded.epoch`),
    leaseDelete: p(`DELETE FROM leases WHERE pos_reference = ?`),
    lockPut:
      p(`INSERT INTO table_locks (table_id, terminal_id, role, expires_at, epoch) VALUES (@tableId, @terminalId, @role, @expiresAt, @epoch)
      ON CONFLICT(table_id) DO UPDATE SET terminal_id = excluded.terminal_id, role = excluded.role, expires_at = excluded.expires_at, epoch = excluded.epoch`),
    lockDelete: p(`DELETE FROM table_locks WHERE table_id = ?`),
    epochPut: p(
      `INSERT INTO epochs (key, home_key, epoch) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET epoch = max(epoch, excluded.epoch)`,
    ),
    tablePut: p(`INSERT INTO tables (table_id, status, pos_reference, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(table_id) DO UPDATE SET status = excluded.status, pos_reference = excluded.pos_reference, updated_at = excluded.updated_at`),
    floorPut: p(`INSERT INTO floor_plans (floor_id, plan, updated_at) VALUES (?, ?, ?)
      ON CONFLICT(floor_id) DO UPDATE SET plan = excluded.plan, updated_at = excluded.updated_at`),
    eventInsert:
      p(`INSERT INTO events (id, type, pos_reference, payload, source_terminal, forwarded, status, finalize, created_at)
      VALUES (@id, @type, @posReference, @payload, @sourceTerminal, @forwarded, @status, @finalize, @createdAt)`),
    mutationPut: p(
      `INSERT OR IGNORE INTO mutations (terminal_id, mutation_id, home_key, pos_reference, result, created_at, owner) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    mutationGet: p(`SELECT result FROM mutations WHERE terminal_id = ? AND mutation_id = ? AND owner = ?`),
    ticketNext: p(`INSERT INTO tickets (business_day, order_type, last_number) VALUES (?, ?, 1)
      ON CONFLICT(business_day, order_type) DO UPDATE SET last_number = last_number + 1 RETURNING last_number`),
    metaGet: p(`SELECT value FROM meta WHERE key = ?`),
    metaPut: p(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
    metaDelete: p(`DELETE FROM meta WHERE key = ?`),
    seq: p(`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS seq`),
    resume: p(
      `SELECT id, payload FROM events WHERE id > ? AND payload IS NOT NULL AND (source_terminal IS NULL OR source_terminal <> ?) ORDER BY id LIMIT ?`,
    ),
    pending: p(`SELECT id, pos_reference, finalize, attempts FROM events
      WHERE forwarded = 0 AND status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?`),
    markForwarded: p(`UPDATE events SET forwarded = 1, status = 'forwarded', last_error = NULL WHERE id = ?`),
    markFailed: p(`UPDATE events SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`),
    markDead: p(`UPDATE events SET status = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?`),
    // Kept by triggers (schema migration 5): read after every commit, as one row already in StoreCounts'
    // shape (half the CPU of six rows looked up by name in JS).
    tallies: p(`SELECT ${[
      ['orders', 'orders'],
      ['leases', 'activeLeases'],
      ['locks', 'activeLocks'],
      ['forward:pending', 'pendingForward'],
      ['forward:forwarded', 'totalForwarded'],
      ['forward:dead', 'deadLetters'],
    ]
      .map(([name, as]) => `coalesce((SELECT n FROM tallies WHERE name = '${name}'), 0) AS ${as}`)
      .join(', ')}`),
    pruneEvents: p(`DELETE FROM events WHERE id <= ? AND (forwarded IS NULL OR status = 'forwarded')`),
    pruneMutations: p(`DELETE FROM mutations WHERE rowid <= (SELECT max(rowid) FROM mutations) - ?`),
    keyOrders: p(
      `SELECT pos_reference AS posReference, table_id AS tableId, version, snapshot, state, odoo_order_id AS odooOrderId FROM orders WHERE home_key = ?`,
    ),
    keyLeases: p(
      `SELECT pos_reference AS posReference, terminal_id AS terminalId, role, table_id AS tableId, expires_at AS expiresAt, epoch FROM leases WHERE home_key = ?`,
    ),
    keyLock: p(
      `SELECT terminal_id AS terminalId, role, expires_at AS expiresAt, epoch FROM table_locks WHERE table_id = ?`,
    ),
    keyTable: p(`SELECT status, pos_reference AS posReference FROM tables WHERE table_id = ?`),
    keyEpochs: p(`SELECT key, epoch FROM epochs WHERE home_key = ?`),
    keyMutations: p(
      `SELECT terminal_id AS terminalId, owner, mutation_id AS mutationId FROM mutations WHERE home_key = ?`,
    ),
    keyFinalizing: p(
      `SELECT 1 AS yes FROM events WHERE type = 'ORDER_FINALIZE' AND pos_reference = ? AND status IN ('pending', 'forwarded') LIMIT 1`,
    ),
    // Closed orders (confirmed by Odoo, no lease) newest first, with their running count and snapshot bytes.
    closedOrders: p(`SELECT pos_reference AS posReference, home_key AS homeKey,
        row_number() OVER (ORDER BY updated_at DESC, pos_reference DESC) AS n,
        sum(coalesce(length(snapshot), 0)) OVER (ORDER BY updated_at DESC, pos_reference DESC) AS bytes
      FROM orders WHERE odoo_order_id IS NOT NULL AND pos_reference NOT IN (SELECT pos_reference FROM leases)`),
    orderDelete: p(`DELETE FROM orders WHERE pos_reference = ?`),
    epochDelete: p(`DELETE FROM epochs WHERE key = ?`),
    // The newest event id at which the payload bytes from the newest event down first exceed the cap.
    eventsByteCut:
      p(`SELECT id FROM (SELECT id, sum(coalesce(length(payload), 0) + coalesce(length(finalize), 0)) OVER (ORDER BY id DESC) AS acc FROM events)
      WHERE acc > ? ORDER BY id DESC LIMIT 1`),
  };
}
