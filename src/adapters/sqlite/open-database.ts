/**
 * Opening the SQLite file safely: the busy timeout, a read-only integrity check before anything writes,
 * WAL with the asked-for synchronous level, migrations, and the write lock taken once. Split from
 * store.ts: start-up's refusals (damaged, foreign, locked) live here, apart from the runtime's rows.
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { migrate } from './schema.js';

/** How long SQLite waits for a lock another connection holds before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/** Thrown by checkIntegrity with SQLite's own code, so start-up classifies it as a damaged database. */
class IntegrityError extends Error {
  readonly code = 'SQLITE_CORRUPT';
}

/** PRAGMA quick_check: the b-tree structure without the index cross-check; reads every page once. */
export function checkIntegrity(db: Db): void {
  const verdict = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
  if (verdict.length !== 1 || verdict[0] !== 'ok')
    throw new IntegrityError(`quick_check: ${verdict.slice(0, 3).join('; ')}`);
}

/**
 * Who copies the write-ahead log into the database. `inline`: SQLite, inside the COMMIT of whichever
 * transaction takes the log past 1000 pages (tools and tests that use the store without a writer).
 * `writer`: the writer, between commits once their deliveries have left
 * (workers/writer/store-upkeep.ts), so no ack waits for a checkpoint's writes and fsyncs.
 */
export type WalCheckpoints = 'inline' | 'writer';

/** The open, migrated database; closed again when any step fails. */
export function openDatabase(path: string, sync: 'full' | 'normal', checkpoints: WalCheckpoints = 'inline'): Db {
  const db = new Database(path);
  try {
    // Waits out a momentary lock (a backup tool); a lock held longer fails start-up as `locked`.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Read-only checks first: a damaged or foreign file is refused before anything writes to it.
    checkIntegrity(db);
    db.pragma('journal_mode = WAL');
    // better-sqlite3 leaves WAL databases at NORMAL, which can lose acknowledged commits on power loss.
    db.pragma(`synchronous = ${sync === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    if (checkpoints === 'writer') db.pragma('wal_autocheckpoint = 0');
    migrate(db);
    // Take the write lock once: another process holding it is found now, not at the first commit.
    db.exec('BEGIN IMMEDIATE; COMMIT');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
