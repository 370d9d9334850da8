/**
 * The hub database schema and its migrations, keyed on PRAGMA user_version. Column names keep the
 * seed's inspection queries working unchanged (orders, leases, events). Append migrations; never edit one.
 */
import type { Database } from 'better-sqlite3';

const MIGRATIONS: readonly string[] = [
  // 1: initial schema
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
    expires_at INTEGER NOT NULL,
    epoch INTEGER NOT NULL
  );
  CREATE TABLE table_locks (
    table_id INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    role TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    epoch INTEGER NOT NULL
  );
  CREATE TABLE tables (
    table_id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    pos_reference TEXT,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE floor_plans (
    floor_id INTEGER PRIMARY KEY,
    plan TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    pos_reference TEXT,
    payload TEXT,
    source_terminal TEXT,
    forwarded INTEGER,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error TEXT,
    finalize TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX events_forward ON events(status, id) WHERE forwarded = 0;
  CREATE TABLE epochs (key TEXT PRIMARY KEY, home_key TEXT NOT NULL, epoch INTEGER NOT NULL);
  CREATE TABLE mutations (
    terminal_id TEXT NOT NULL,
    mutation_id TEXT NOT NULL,
    home_key TEXT NOT NULL,
    pos_reference TEXT,
    result TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (terminal_id, mutation_id)
  );
  CREATE TABLE tickets (
    business_day TEXT NOT NULL,
    order_type TEXT NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (business_day, order_type)
  );
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // 2: /health's forward counters are recounted after every commit; without this index that count
  // scanned the whole retained event log (up to HUB_EVENT_RETENTION rows) on each one.
  `
  CREATE INDEX events_odoo_status ON events(status) WHERE forwarded IS NOT NULL;
  `,
  // 3: idle table actors are evicted and rebuilt one key at a time (seedOf), and closed orders are pruned
  // oldest first: each needs its rows by home key, or the closed orders by age, without a table scan.
  `
  CREATE INDEX IF NOT EXISTS orders_home ON orders(home_key);
  CREATE INDEX IF NOT EXISTS orders_closed ON orders(updated_at) WHERE odoo_order_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS leases_home ON leases(home_key);
  CREATE INDEX IF NOT EXISTS epochs_home ON epochs(home_key);
  CREATE INDEX IF NOT EXISTS mutations_home ON mutations(home_key);
  CREATE INDEX IF NOT EXISTS events_finalize ON events(pos_reference) WHERE type = 'ORDER_FINALIZE';
  `,
  // 4: mutation ids are scoped to (owner, device, mutationId) (docs/security.md): a device id released to
  // another user must not answer that user's mutationId with the previous owner's result. Existing rows
  // take their device's current owner (meta `device:<id>`), so a reconnecting owner's replay still answers;
  // rows of an unbound device keep '' (the owner of a fixture or a pre-binding hub). Rowid order is kept
  // (pruning drops the oldest rowids).
  `
  CREATE TABLE mutations_scoped (
    owner TEXT NOT NULL DEFAULT '',
    terminal_id TEXT NOT NULL,
    mutation_id TEXT NOT NULL,
    home_key TEXT NOT NULL,
    pos_reference TEXT,
    result TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (owner, terminal_id, mutation_id)
  );
  INSERT INTO mutations_scoped (owner, terminal_id, mutation_id, home_key, pos_reference, result, created_at)
    SELECT
      COALESCE((SELECT CASE WHEN json_valid(d.value) AND json_type(d.value, '$.owner') = 'text' THEN json_extract(d.value, '$.owner') END
                FROM meta d WHERE d.key = 'device:' || m.terminal_id), ''),
      m.terminal_id, m.mutation_id, m.home_key, m.pos_reference, m.result, m.created_at
    FROM mutations m ORDER BY m.rowid;
  DROP TABLE mutations;
  ALTER TABLE mutations_scoped RENAME TO mutations;
  CREATE INDEX mutations_home ON mutations(home_key);
  `,
  // 5: /health's counters are kept by SQLite itself as rows change, so a commit reads six small rows
  // instead of recounting orders, leases, locks and the forward queue after every commit (issue 16).
  // An upsert that updates fires no INSERT trigger, so a rewritten order or renewed lease counts once.
  `
  CREATE TABLE IF NOT EXISTS tallies (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
  INSERT OR REPLACE INTO tallies (name, n) VALUES
    ('orders', (SELECT count(*) FROM orders)),
    ('leases', (SELECT count(*) FROM leases)),
    ('locks', (SELECT count(*) FROM table_locks)),
    ('forward:pending', (SELECT count(*) FROM events WHERE forwarded IS NOT NULL AND status = 'pending')),
    ('forward:forwarded', (SELECT count(*) FROM events WHERE forwarded IS NOT NULL AND status = 'forwarded')),
    ('forward:dead', (SELECT count(*) FROM events WHERE forwarded IS NOT NULL AND status = 'dead'));
  CREATE TRIGGER IF NOT EXISTS tally_orders_in AFTER INSERT ON orders BEGIN UPDATE tallies SET n = n + 1 WHERE name = 'orders'; END;
  CREATE TRIGGER IF NOT EXISTS tally_orders_out AFTER DELETE ON orders BEGIN UPDATE tallies SET n = n - 1 WHERE name = 'orders'; END;
  CREATE TRIGGER IF NOT EXISTS tally_leases_in AFTER INSERT ON leases BEGIN UPDATE tallies SET n = n + 1 WHERE name = 'leases'; END;
  CREATE TRIGGER IF NOT EXISTS tally_leases_out AFTER DELETE ON leases BEGIN UPDATE tallies SET n = n - 1 WHERE name = 'leases'; END;
  CREATE TRIGGER IF NOT EXISTS tally_locks_in AFTER INSERT ON table_locks BEGIN UPDATE tallies SET n = n + 1 WHERE name = 'locks'; END;
  CREATE TRIGGER IF NOT EXISTS tally_locks_out AFTER DELETE ON table_locks BEGIN UPDATE tallies SET n = n - 1 WHERE name = 'locks'; END;
  CREATE TRIGGER IF NOT EXISTS tally_forward_in AFTER INSERT ON events WHEN NEW.forwarded IS NOT NULL
    BEGIN UPDATE tallies SET n = n + 1 WHERE name = 'forward:' || NEW.status; END;
  CREATE TRIGGER IF NOT EXISTS tally_forward_out AFTER DELETE ON events WHEN OLD.forwarded IS NOT NULL
    BEGIN UPDATE tallies SET n = n - 1 WHERE name = 'forward:' || OLD.status; END;
  CREATE TRIGGER IF NOT EXISTS tally_forward_move AFTER UPDATE OF status, forwarded ON events
    WHEN (OLD.forwarded IS NOT NULL) <> (NEW.forwarded IS NOT NULL) OR OLD.status <> NEW.status
    BEGIN
      UPDATE tallies SET n = n - 1 WHERE OLD.forwarded IS NOT NULL AND name = 'forward:' || OLD.status;
      UPDATE tallies SET n = n + 1 WHERE NEW.forwarded IS NOT NULL AND name = 'forward:' || NEW.status;
    END;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring the database to SCHEMA_VERSION, one transaction per migration. */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this hub (${SCHEMA_VERSION})`);
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    const sql = MIGRATIONS[v];
    if (sql === undefined) break;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** Tables `reset` empties. Kept: epochs (fencing only ever increases) and the event id sequence (seq too). */
export const DATA_TABLES = ['orders', 'leases', 'table_locks', 'tables', 'floor_plans', 'events', 'mutations', 'tickets'] as const;
