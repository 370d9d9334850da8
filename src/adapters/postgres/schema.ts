/**
 * The hub schema on PostgreSQL: the same tables and columns as src/adapters/sqlite/schema.ts, plus the
 * two things a replicated store needs — a one-row seq counter (seq is taken inside the commit, so a
 * rolled-back batch leaves no gap, and events.id stays UNIQUE) and a `takeovers` table whose epochs only
 * grow. Versions in `schema_version`; append migrations, never edit one.
 */
import type { ClientBase } from 'pg';

const MIGRATIONS: readonly string[] = [
  // 1: the SQLite schema at its version 3, in Postgres types (epoch-ms columns are BIGINT).
  `
  CREATE TABLE orders (
    pos_reference TEXT PRIMARY KEY,
    home_key TEXT NOT NULL,
    table_id INTEGER,
    version INTEGER NOT NULL,
    snapshot TEXT,
    state TEXT,
    terminal_id TEXT,
    odoo_order_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE leases (
    pos_reference TEXT PRIMARY KEY,
    home_key TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    role TEXT NOT NULL,
    table_id INTEGER,
    expires_at BIGINT NOT NULL,
    epoch BIGINT NOT NULL
  );
  CREATE TABLE table_locks (
    table_id INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    role TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    epoch BIGINT NOT NULL
  );
  CREATE TABLE tables (table_id INTEGER PRIMARY KEY, status TEXT NOT NULL, pos_reference TEXT, updated_at TEXT NOT NULL);
  CREATE TABLE floor_plans (floor_id INTEGER PRIMARY KEY, plan TEXT NOT NULL, updated_at TEXT NOT NULL);
  -- id is the seq: given by seq_counter inside the commit, never by a sequence (a rollback would skip one).
  CREATE TABLE events (
    id BIGINT PRIMARY KEY,
    type TEXT NOT NULL,
    pos_reference TEXT,
    payload TEXT,
    source_terminal TEXT,
    forwarded INTEGER,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_error TEXT,
    finalize TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX events_forward ON events(status, id) WHERE forwarded = 0;
  CREATE INDEX events_odoo_status ON events(status) WHERE forwarded IS NOT NULL;
  CREATE INDEX events_finalize ON events(pos_reference) WHERE type = 'ORDER_FINALIZE';
  CREATE TABLE epochs (key TEXT PRIMARY KEY, home_key TEXT NOT NULL, epoch BIGINT NOT NULL);
  -- rowid stands in for SQLite's implicit rowid: mutation pruning keeps the newest N.
  CREATE TABLE mutations (
    rowid BIGSERIAL UNIQUE,
    terminal_id TEXT NOT NULL,
    mutation_id TEXT NOT NULL,
    home_key TEXT NOT NULL,
    pos_reference TEXT,
    result TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (terminal_id, mutation_id)
  );
  CREATE TABLE tickets (business_day TEXT NOT NULL, order_type TEXT NOT NULL, last_number INTEGER NOT NULL, PRIMARY KEY (business_day, order_type));
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE INDEX orders_home ON orders(home_key);
  CREATE INDEX orders_closed ON orders(updated_at) WHERE odoo_order_id IS NOT NULL;
  CREATE INDEX leases_home ON leases(home_key);
  CREATE INDEX epochs_home ON epochs(home_key);
  CREATE INDEX mutations_home ON mutations(home_key);
  -- The last seq given. One row, locked FOR UPDATE by each commit, so batches take seqs one after another.
  CREATE TABLE seq_counter (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL CHECK (seq >= 0));
  INSERT INTO seq_counter VALUES (1, 0);
  -- One row per takeover: the fencing epoch of the hub that became leader. Only ever grows.
  CREATE TABLE takeovers (epoch BIGINT PRIMARY KEY CHECK (epoch > 0), node TEXT NOT NULL, taken_at BIGINT NOT NULL);
  `,
  // 2: mutation ids scoped by the device's owner, as SQLite's migration 4 (docs/security.md). No hub wrote
  // mutations through this adapter before it, so existing rows keep '' (the unbound scope).
  `
  ALTER TABLE mutations ADD COLUMN owner TEXT NOT NULL DEFAULT '';
  ALTER TABLE mutations DROP CONSTRAINT mutations_pkey;
  ALTER TABLE mutations ADD PRIMARY KEY (owner, terminal_id, mutation_id);
  `,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Tables reset empties; epochs, seq_counter, takeovers and meta's resume floor stay (as on SQLite). */
export const PG_DATA_TABLES = [
  'orders',
  'leases',
  'table_locks',
  'tables',
  'floor_plans',
  'events',
  'mutations',
  'tickets',
] as const;

/**
 * Bring the database to PG_SCHEMA_VERSION, one transaction per migration, under an advisory lock so two
 * hubs starting together do not both migrate.
 */
export async function migratePg(client: ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(7201813)');
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_version');
    const current = rows[0]?.version ?? 0;
    if (current > PG_SCHEMA_VERSION)
      throw new Error(`database schema version ${current} is newer than this hub (${PG_SCHEMA_VERSION})`);
    for (let v = current; v < PG_SCHEMA_VERSION; v++) {
      const sql = MIGRATIONS[v];
      if (sql === undefined) break;
      await client.query(sql);
    }
    if (rows.length === 0) await client.query('INSERT INTO schema_version VALUES ($1)', [PG_SCHEMA_VERSION]);
    else await client.query('UPDATE schema_version SET version = $1', [PG_SCHEMA_VERSION]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
