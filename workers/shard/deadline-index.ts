/**
 * Each actor's next lease or lock expiry, kept for the actors that changed instead of recomputed over
 * every actor after every batch (the busy-venue profile's top shard cost: the scan grew with the actors
 * in memory, not with the work). A min-heap with lazy deletion: an entry whose time is no longer its
 * key's deadline is stale and dropped when it reaches the top.
 */
import type { ActorKey } from '#threads/actor-io.js';

interface Entry {
  readonly at: number;
  readonly key: ActorKey;
}

export class DeadlineIndex {
  private readonly deadlines = new Map<ActorKey, number>();
  private heap: Entry[] = [];

  /** The actor's deadline is now `at` (null: it has none). */
  set(key: ActorKey, at: number | null): void {
    if (at === null) {
      this.deadlines.delete(key);
      return;
    }
    if (this.deadlines.get(key) === at) return;
    this.deadlines.set(key, at);
    this.push({ at, key });
    // Renewals leave stale entries behind; rebuild before they outnumber the live ones by much.
    if (this.heap.length > 4 * this.deadlines.size + 64) this.rebuild();
  }

  delete(key: ActorKey): void {
    this.deadlines.delete(key);
  }

  clear(): void {
    this.deadlines.clear();
    this.heap = [];
  }

  /** The earliest deadline of any actor, or null. */
  earliest(): number | null {
    this.dropStale();
    return this.heap[0]?.at ?? null;
  }

  /** Removes and returns the keys whose deadline is at or before `now`, earliest first. */
  takeDue(now: number): ActorKey[] {
    const due: ActorKey[] = [];
    for (this.dropStale(); this.heap.length > 0 && (this.heap[0] as Entry).at <= now; this.dropStale()) {
      const top = this.pop();
      this.deadlines.delete(top.key);
      due.push(top.key);
    }
    return due;
  }

  get size(): number {
    return this.deadlines.size;
  }

  private dropStale(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0] as Entry;
      if (this.deadlines.get(top.key) === top.at) return;
      this.pop();
    }
  }

  private rebuild(): void {
    this.heap = [];
    for (const [key, at] of this.deadlines) this.push({ at, key });
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as Entry).at <= entry.at) break;
      h[i] = h[parent] as Entry;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0] as Entry;
    const last = h.pop() as Entry;
    if (h.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= h.length) break;
      const right = left + 1;
      const child = right < h.length && (h[right] as Entry).at < (h[left] as Entry).at ? right : left;
      if ((h[child] as Entry).at >= last.at) break;
      h[i] = h[child] as Entry;
      i = child;
    }
    h[i] = last;
    return top;
  }
}
