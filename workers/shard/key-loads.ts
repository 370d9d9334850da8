/**
 * The questions a shard asked the writer for one key's rows (an evicted actor used again), with the inputs
 * waiting for each answer. When a load replaces the shard's memory the waiting inputs are handed back to run
 * again, and the answers still to come for the old questions are skipped: they may predate that load.
 */
import type { ActorKey } from '#threads/actor-io.js';

export class KeyLoads<I> {
  private readonly waiting = new Map<ActorKey, I[]>();
  /** Per key, answers to questions asked before the last reset that are still to come. */
  private readonly stale = new Map<ActorKey, number>();

  constructor(private readonly ask: (key: ActorKey) => void) {}

  /** `input` waits for the key's rows; the first to wait asks for them. */
  wait(key: ActorKey, input: I): void {
    const waiting = this.waiting.get(key);
    if (waiting !== undefined) {
      waiting.push(input);
      return;
    }
    this.waiting.set(key, [input]);
    this.ask(key);
  }

  /**
   * The key's rows came: the inputs that waited for them in arrival order, or null when the answer is for a
   * question dropped by a reset or never asked (the writer answers in the order asked).
   */
  answered(key: ActorKey): I[] | null {
    const stale = this.stale.get(key);
    if (stale !== undefined) {
      if (stale > 1) this.stale.set(key, stale - 1);
      else this.stale.delete(key);
      return null;
    }
    const waiting = this.waiting.get(key);
    if (waiting === undefined) return null;
    this.waiting.delete(key);
    return waiting;
  }

  /** Memory was replaced: every input still waiting, each key's in arrival order, to run again. */
  reset(): I[] {
    for (const key of this.waiting.keys()) this.stale.set(key, (this.stale.get(key) ?? 0) + 1);
    const inputs = [...this.waiting.values()].flat();
    this.waiting.clear();
    return inputs;
  }

  /** The shard stops: nothing waiting will run. */
  clear(): void {
    this.waiting.clear();
  }
}
