/**
 * The pipeline floor's durable step: one row per write in a SQLite file under WAL + synchronous=FULL, group
 * commit (whatever queued while the previous commit ran goes in the next, one turn later), and only then the
 * ORDER_ACK and ORDER_UPDATED frames, encoded here as the hub's writer does. The WAL is checkpointed between
 * commits, as workers/writer/store-upkeep.ts does, so a checkpoint never lands inside a write's commit.
 */
import Database from 'better-sqlite3';
import type { FloorDone, FloorWrite } from './floor-wire.js';

/** Rows between checkpoints (the hub's store upkeep uses the same figure). */
const CHECKPOINT_ROWS = 384;

export class GroupCommitter {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, number, string]>;
  private readonly commitAll: (writes: readonly FloorWrite[]) => FloorDone[];
  private queue: FloorWrite[] = [];
  private scheduled = false;
  private rowsSinceCheckpoint = 0;
  private seq = 0;

  /** `onLoop`: commits and checkpoints are scheduled on the event loop; false for a thread that calls flush() and upkeep() itself. */
  constructor(
    file: string,
    private readonly onCommitted: (done: FloorDone[]) => void,
    private readonly onLoop = true,
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('wal_autocheckpoint = 0');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS writes (seq INTEGER PRIMARY KEY, pos_reference TEXT NOT NULL, version INTEGER NOT NULL, snapshot TEXT NOT NULL)',
    );
    this.insert = this.db.prepare('INSERT INTO writes (pos_reference, version, snapshot) VALUES (?, ?, ?)');
    this.commitAll = this.db.transaction((writes: readonly FloorWrite[]) => writes.map((w) => this.row(w)));
  }

  enqueue(write: FloorWrite): void {
    this.queue.push(write);
    if (this.scheduled || !this.onLoop) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  close(): void {
    this.db.close();
  }

  /** One row, and its frames once the seq is known; the snapshot is stringified once for both. */
  private row(w: FloorWrite): FloorDone {
    const snapshot = JSON.stringify(w.snapshot);
    this.insert.run(w.posReference, w.version, snapshot);
    const seq = (this.seq += 1);
    const ref = JSON.stringify(w.posReference);
    return {
      terminalId: w.terminalId,
      tableId: w.tableId,
      ack: `{"type":"ORDER_ACK","posReference":${ref},"version":${w.version},"mutationId":${JSON.stringify(w.mutationId)},"seq":${seq}}`,
      updated: `{"type":"ORDER_UPDATED","posReference":${ref},"version":${w.version},"sourceTerminal":${JSON.stringify(w.terminalId)},"seq":${seq},"snapshot":${snapshot}}`,
    };
  }

  /** Commit everything queued, then hand the frames on. */
  flush(): void {
    const writes = this.queue;
    this.queue = [];
    this.scheduled = false;
    // The frames leave only after the transaction (and its fsync) returned: nothing acked before its commit.
    this.onCommitted(this.commitAll(writes));
    this.rowsSinceCheckpoint += writes.length;
    if (this.onLoop && this.rowsSinceCheckpoint >= CHECKPOINT_ROWS) setImmediate(() => this.upkeep());
  }

  /** Checkpoint in a later turn, and only when no write waits (the next commit goes first). */
  upkeep(): void {
    if (this.queue.length > 0 || this.rowsSinceCheckpoint < CHECKPOINT_ROWS) return;
    this.db.pragma('wal_checkpoint(PASSIVE)');
    this.rowsSinceCheckpoint = 0;
  }
}
