/**
 * Schema migrations by user_version: a database from an older hub is upgraded in place, and the
 * counters /health needs after every commit are answered from an index, never by scanning the event log.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, migrate } from '../../../src/adapters/sqlite/schema.js';

const plan = (db: Database.Database, sql: string): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('hub schema', () => {
  it('upgrades a version-1 database in place and keeps its rows', () => {
    const db = new Database(':memory:');
    migrate(db);
    // Turn it back into what the first release left behind: schema 1, without the later index.
    db.exec('DROP INDEX events_odoo_status');
    db.pragma('user_version = 1');
    db.prepare(`INSERT INTO events (type, pos_reference, payload, source_terminal, forwarded, status, created_at) VALUES ('ORDER_FINALIZE', 'A', '{}', 't', 0, 'pending', 'now')`).run();
    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'events_odoo_status'`).get()).toEqual({ name: 'events_odoo_status' });
    expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 1 });
    // The tallies start from the rows already there.
    expect(db.prepare(`SELECT n FROM tallies WHERE name = 'forward:pending'`).get()).toEqual({ n: 1 });
    migrate(db); // idempotent
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  });

  it('counts Odoo-bound events through the partial index, not by scanning the event log', () => {
    const db = new Database(':memory:');
    migrate(db);
    const detail = plan(db, 'SELECT status, count(*) AS n FROM events WHERE forwarded IS NOT NULL GROUP BY status');
    expect(detail).toContain('USING INDEX events_odoo_status');
    expect(detail).not.toMatch(/SCAN events(?! USING)/);
  });

  it('rebuilds one evicted actor from its home key through indexes, not by scanning', () => {
    const db = new Database(':memory:');
    migrate(db);
    expect(plan(db, `SELECT * FROM orders WHERE home_key = 't:1'`)).toContain('USING INDEX orders_home');
    expect(plan(db, `SELECT * FROM leases WHERE home_key = 't:1'`)).toContain('USING INDEX leases_home');
    expect(plan(db, `SELECT * FROM epochs WHERE home_key = 't:1'`)).toContain('USING INDEX epochs_home');
    expect(plan(db, `SELECT * FROM mutations WHERE home_key = 't:1'`)).toContain('USING INDEX mutations_home');
    expect(plan(db, `SELECT 1 FROM events WHERE type = 'ORDER_FINALIZE' AND pos_reference = 'A' AND status IN ('pending', 'forwarded')`)).toContain('events_finalize');
  });
});
