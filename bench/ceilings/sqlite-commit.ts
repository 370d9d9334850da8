/**
 * Durability ceiling: how many order rows per second better-sqlite3 can commit under WAL with
 * synchronous=FULL on this disk, for group commits of 1, 64 and 256 rows, and what one fsync costs.
 * The hub can never acknowledge durable writes faster than this; its group commit aims near the
 * batched figures. Rows are real snapshot JSON (~1 kB), as the hub stores them.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { monoUs } from '../lib/clock.js';
import { Histogram, type LatencySummary } from '../lib/histogram.js';
import { newDraft, rng, toSnapshot } from '../venue/orders.js';

export interface CommitFigure {
  readonly batch: number;
  readonly rowsPerS: number;
  readonly commitsPerS: number;
  readonly commit: LatencySummary;
}

export interface SqliteCeiling {
  readonly dir: string;
  readonly rowBytes: number;
  readonly batches: CommitFigure[];
  readonly fsync: LatencySummary;
}

export function measureSqlite(batchSizes: readonly number[], durationMs: number, parentDir = tmpdir()): SqliteCeiling {
  const dir = mkdtempSync(join(parentDir, 'pos-hub-bench-sqlite-'));
  try {
    const random = rng(42);
    const row = JSON.stringify(
      toSnapshot(newDraft('BENCH/SQL/1', 1, random, new Date().toISOString()), {
        state: 'editing',
        staffName: 'bench',
      }),
    );
    const db = new Database(join(dir, 'ceiling.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(
      'CREATE TABLE events (seq INTEGER PRIMARY KEY, pos_reference TEXT NOT NULL, version INTEGER NOT NULL, snapshot TEXT NOT NULL)',
    );
    const insert = db.prepare('INSERT INTO events (pos_reference, version, snapshot) VALUES (?, ?, ?)');
    const batches: CommitFigure[] = [];
    let version = 0;
    for (const batch of batchSizes) {
      const commit = db.transaction((n: number) => {
        for (let i = 0; i < n; i += 1) insert.run(`BENCH/SQL/${i % 120}`, (version += 1), row);
      });
      const h = new Histogram();
      const start = monoUs();
      const end = start + durationMs * 1000;
      let commits = 0;
      while (monoUs() < end && commits < 1_000_000) {
        const t0 = monoUs();
        commit(batch);
        h.record(monoUs() - t0);
        commits += 1;
      }
      const seconds = (monoUs() - start) / 1e6;
      batches.push({
        batch,
        rowsPerS: Math.round((commits * batch) / seconds),
        commitsPerS: Math.round(commits / seconds),
        commit: h.summary(),
      });
    }
    db.close();
    return {
      dir: parentDir,
      rowBytes: Buffer.byteLength(row),
      batches,
      fsync: measureFsync(dir, Math.min(durationMs, 1000)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw fsync of a 4 kB append, the floor under any durable commit. */
function measureFsync(dir: string, durationMs: number): LatencySummary {
  const fd = openSync(join(dir, 'fsync.bin'), 'w');
  const block = Buffer.alloc(4096, 7);
  const h = new Histogram();
  const end = monoUs() + durationMs * 1000;
  try {
    for (let i = 0; i < 100_000 && monoUs() < end; i += 1) {
      writeSync(fd, block);
      const t0 = monoUs();
      fsyncSync(fd);
      h.record(monoUs() - t0);
    }
  } finally {
    closeSync(fd);
  }
  return h.summary();
}
