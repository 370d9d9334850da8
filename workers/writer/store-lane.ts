/**
 * The writer's one lane to its store: commits and the reads that must see them run one at a time, in
 * order. A task calls `done` when its store call settled; on SQLite that is in the same turn (the adapter's
 * promises say they are settled, ports/settled.ts), so the whole lane runs synchronously as the writer did
 * before the port; on Postgres the next task waits for the answer over the socket. Split from
 * writer-core.ts so the ordering rule reads in one place.
 */

export type LaneTask = (done: () => void) => void;

export class StoreLane {
  private tasks: LaneTask[] = [];
  private running = false;
  private halted = false;

  /** A task is under way (on Postgres: a store call is in flight). */
  get busy(): boolean {
    return this.running;
  }

  push(task: LaneTask): void {
    if (this.halted) return;
    this.tasks.push(task);
    if (!this.running) this.drain();
  }

  /** Ahead of everything waiting: the reads that were waiting for the commit that just finished. */
  pushFront(tasks: readonly LaneTask[]): void {
    if (this.halted || tasks.length === 0) return;
    this.tasks = [...tasks, ...this.tasks];
    if (!this.running) this.drain();
  }

  /** The writer is dying or stopped: nothing more runs. */
  halt(): void {
    this.halted = true;
    this.tasks = [];
  }

  private drain(): void {
    this.running = true;
    try {
      while (!this.halted) {
        const task = this.tasks.shift();
        if (task === undefined) break;
        let inTurn = true;
        let finished = false;
        task(() => {
          if (finished) return;
          finished = true;
          if (!inTurn) this.drain();
        });
        inTurn = false;
        // Still in flight: `done` resumes the lane when it settles.
        if (!finished) return;
      }
      this.running = false;
    } catch (error) {
      // A task threw in this turn: a bug the thread dies of; the lane must not claim to be busy meanwhile.
      this.running = false;
      throw error;
    }
  }
}
