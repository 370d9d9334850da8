/**
 * When SQLite's write-ahead log is copied into the database. Left to SQLite, a checkpoint ran inside the
 * COMMIT of every ~125th write: its database writes and two fsyncs (2–16 ms on the shared bench box) on that
 * write's ack and on every write queued behind it. Here the writer counts the rows it committed and, past
 * CHECKPOINT_AFTER_ROWS, checkpoints in a later turn, after the deliveries have left and when no units are
 * waiting (store.checkpoint, on the writer's lane so it never interleaves with a commit).
 */
import type { Logger } from '#adapters/log/logger.js';
import type { TimerHandle } from '#ports/clock.js';
import { whenSettled } from '#ports/settled.js';
import type { HubStorePort } from '#ports/store.js';
import { causeOf } from '#protocol/errors.js';
import type { StoreLane } from './store-lane.js';
import type { WriterClock } from './writer-deps.js';

/**
 * Rows committed before a checkpoint is due: a saturation write is three rows and about eight 4 kB WAL
 * frames, so the log stays near SQLite's own 1000-page threshold (~4 MB).
 */
export const CHECKPOINT_AFTER_ROWS = 384;

/**
 * Turns a due checkpoint may be put off because units are waiting: at saturation the writer never idles,
 * and the log must stay bounded all the same (16 more commits add a few hundred frames).
 */
const MAX_DEFERRALS = 16;

export interface StoreUpkeepDeps {
  readonly store: HubStorePort;
  readonly clock: WriterClock;
  readonly log: Logger;
  readonly lane: StoreLane;
  /** Units are queued for the next commit: they go first. */
  readonly unitsWaiting: () => boolean;
  /** The writer stopped (its store is closing): nothing more runs. */
  readonly stopped: () => boolean;
}

export class StoreUpkeep {
  private rows = 0;
  private timer: TimerHandle | null = null;
  private deferrals = 0;
  /** Checkpoints run so far (the bench and the tests read it). */
  runs = 0;

  constructor(private readonly deps: StoreUpkeepDeps) {}

  /** After a commit's deliveries were posted: `rows` more in the log; a checkpoint in a later turn when due. */
  afterCommit(rows: number): void {
    if (this.deps.store.checkpoint === undefined || this.deps.stopped()) return;
    this.rows += rows;
    if (this.rows < CHECKPOINT_AFTER_ROWS || this.timer !== null) return;
    this.timer = this.deps.clock.afterTurn(() => {
      this.timer = null;
      this.run();
    });
  }

  private run(): void {
    if (this.deps.stopped()) return;
    // A checkpoint delays whatever arrives during it: waiting units commit first (their commit calls
    // afterCommit again), up to MAX_DEFERRALS times in a row.
    if (this.deps.unitsWaiting() && this.deferrals < MAX_DEFERRALS) {
      this.deferrals += 1;
      return;
    }
    this.deferrals = 0;
    this.deps.lane.push((done) => {
      const { store } = this.deps;
      if (this.deps.stopped() || store.checkpoint === undefined) {
        done();
        return;
      }
      this.runs += 1;
      whenSettled(
        store.checkpoint(),
        (complete) => {
          // Incomplete (another handle was reading): still due, retried after the next commit.
          if (complete) this.rows = 0;
          done();
        },
        (error) => {
          // Nothing acked depends on it: a full or failing disk is logged and the checkpoint stays due.
          if (store.classifyError(error) === 'fatal') {
            this.deps.lane.halt();
            throw error;
          }
          this.deps.log.warn({ cause: causeOf(error) }, 'WAL checkpoint refused by the store; retried after a later commit');
          done();
        },
      );
    });
  }
}
