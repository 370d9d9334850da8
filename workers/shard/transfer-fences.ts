/**
 * The shard host's side of the transfer protocol: which table actors are fenced by an ORDER_TRANSFER
 * in flight, and the inputs deferred until the fence lifts (on the writer's commit notice, or at once
 * when the transfer is refused). Fencing the whole actor keeps the rule simple: nothing can write either
 * order between prepare and commit, and inputs are replayed in arrival order afterwards.
 */
import type { FenceChange, FencePhase } from '../../actors/table/transfer-logic.js';
import type { ActorKey } from '#threads/keys.js';

interface Fence {
  readonly txId: string;
  readonly phase: FencePhase;
}

/** What to do with a prepare that reaches an actor. */
export type PrepareVerdict = 'handle' | 'defer' | 'refuse';

export class TransferFences<Deferred> {
  private readonly fences = new Map<ActorKey, Fence>();
  private readonly deferred = new Map<ActorKey, Deferred[]>();
  private readonly freed = new Set<ActorKey>();

  get size(): number {
    return this.fences.size;
  }

  /** Fenced, or still holding deferred inputs that must run first (order is kept). */
  isBlocked(key: ActorKey): boolean {
    return this.fences.has(key) || this.deferred.has(key);
  }

  /** Hold an input for a fenced actor; it runs when the fence lifts, in arrival order. */
  defer(key: ActorKey, input: Deferred): void {
    let queue = this.deferred.get(key);
    if (!queue) {
      queue = [];
      this.deferred.set(key, queue);
    }
    queue.push(input);
  }

  /**
   * A prepare of the actor's own transfer (source and destination at one table) is handled. One from
   * another transfer waits — unless this actor is itself waiting for a prepared reply: two sources
   * waiting on each other would deadlock, so that one is refused (TRANSFER_BUSY) instead.
   */
  prepareVerdict(key: ActorKey, txId: string): PrepareVerdict {
    const fence = this.fences.get(key);
    if (!fence || fence.txId === txId) return 'handle';
    return fence.phase === 'awaiting_prepared' ? 'refuse' : 'defer';
  }

  /** Apply an actor step's fence change. A change for another transfer than the current one is stale. */
  change(key: ActorKey, change: FenceChange): void {
    const current = this.fences.get(key);
    if (current && current.txId !== change.txId) return;
    if (change.phase === 'free') {
      if (current) this.lift(key);
      return;
    }
    this.fences.set(key, { txId: change.txId, phase: change.phase });
  }

  /** The writer committed these transfers: lift their fences. */
  committed(txIds: readonly string[]): void {
    const done = new Set(txIds);
    for (const [key, fence] of this.fences) if (done.has(fence.txId)) this.lift(key);
  }

  private lift(key: ActorKey): void {
    this.fences.delete(key);
    if (this.deferred.has(key)) this.freed.add(key);
  }

  /** Next deferred input of an unfenced actor, or null when none is ready. */
  next(): { key: ActorKey; input: Deferred } | null {
    for (const key of this.freed) {
      if (this.fences.has(key)) {
        this.freed.delete(key);
        continue;
      }
      const queue = this.deferred.get(key);
      const input = queue?.shift();
      if (!queue || input === undefined) {
        this.freed.delete(key);
        this.deferred.delete(key);
        continue;
      }
      if (queue.length === 0) {
        this.deferred.delete(key);
        this.freed.delete(key);
      }
      return { key, input };
    }
    return null;
  }

  /** Reset and stop: no transfer survives, nothing is replayed. */
  clear(): void {
    this.fences.clear();
    this.deferred.clear();
    this.freed.clear();
  }
}
