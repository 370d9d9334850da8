/**
 * The durable queue of writes the hub (or Odoo) has not confirmed yet. Every write is queued here
 * first, then sent; it leaves only on a confirmation, so a crash or a dropped socket replays it with
 * the same mutationId (the hub applies a mutation once). Newer snapshots of the same order replace
 * queued older ones, except the one in flight; entries go out oldest first, strictly in order per order.
 */
import type { ClientClock } from './deps.js';
import type { OutboxEntry, OutboxPayloads, OutboxStore, OutboxWrite } from './outbox-store.js';

/** The order a write belongs to, if any (a lease release waits for that order's queued writes). */
export function orderOf(write: OutboxWrite): string | null {
  switch (write.action) {
    case 'orders/create':
    case 'orders/update':
    case 'orders/finalize':
      return write.payload.pos_reference;
    case 'tables/update':
    case 'floor-plans/update':
      return null;
    default: {
      const unreachable: never = write;
      return unreachable;
    }
  }
}

/** Entries with the same key supersede each other: the latest snapshot of an order wins. */
export function replaceKeyOf(write: OutboxWrite): string | null {
  switch (write.action) {
    case 'orders/create':
    case 'orders/update':
      return `order:${write.payload.pos_reference}`;
    case 'tables/update':
      return `table:${write.payload.tableId}`;
    case 'floor-plans/update':
      return `floor:${write.payload.floorId}`;
    case 'orders/finalize':
      return null;
    default: {
      const unreachable: never = write;
      return unreachable;
    }
  }
}

/** Entries of one group are sent strictly in order: an order's writes and its finalization, one table, one floor. */
export function groupOf(write: OutboxWrite): string {
  switch (write.action) {
    case 'orders/create':
    case 'orders/update':
    case 'orders/finalize':
      return `order:${write.payload.pos_reference}`;
    case 'tables/update':
      return `table:${write.payload.tableId}`;
    case 'floor-plans/update':
      return `floor:${write.payload.floorId}`;
    default: {
      const unreachable: never = write;
      return unreachable;
    }
  }
}

export class Outbox {
  private entries: OutboxEntry[];
  private inFlight: string | null = null;
  private readonly listeners = new Set<(count: number) => void>();

  constructor(
    private readonly store: OutboxStore,
    private readonly clock: ClientClock,
  ) {
    this.entries = store.load();
  }

  get count(): number {
    return this.entries.length;
  }

  list(): readonly OutboxEntry[] {
    return this.entries;
  }

  onChange(listener: (count: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Queue a write; returns the entry and the ids of the queued entries it replaced. */
  enqueue(id: string, write: OutboxWrite): { entry: OutboxEntry; replaced: string[] } {
    const key = replaceKeyOf(write);
    const replaced: string[] = [];
    if (key !== null) {
      this.entries = this.entries.filter((e) => {
        const same = e.id !== this.inFlight && replaceKeyOf(e) === key;
        if (same) replaced.push(e.id);
        return !same;
      });
    }
    const entry: OutboxEntry = {
      ...write,
      id,
      createdAt: new Date(this.clock.now()).toISOString(),
      attempts: 0,
      nextAttemptAt: null,
      lastError: null,
    };
    this.entries.push(entry);
    this.persist();
    return { entry, replaced };
  }

  /**
   * The next entry to send: the oldest due entry whose group (its order, table or floor) has no
   * older entry still waiting. Entries of one order go strictly in order; a stuck order (lease held
   * elsewhere, Odoo refusing it) does not hold back the others. Null when empty; `waitUntil` when
   * every sendable entry is backing off.
   */
  next(now: number): { entry: OutboxEntry } | { waitUntil: number } | null {
    if (this.entries.length === 0) return null;
    const blocked = new Set<string>();
    let waitUntil = Number.POSITIVE_INFINITY;
    for (const entry of this.entries) {
      const group = groupOf(entry);
      if (blocked.has(group)) continue;
      const dueAt = entry.nextAttemptAt === null ? 0 : Date.parse(entry.nextAttemptAt);
      if (dueAt <= now) return { entry };
      blocked.add(group);
      waitUntil = Math.min(waitUntil, dueAt);
    }
    return { waitUntil };
  }

  /** True when an entry of this order is queued (a lease release waits for it). */
  hasOrder(posReference: string): boolean {
    return this.entries.some((e) => orderOf(e) === posReference);
  }

  get(id: string): OutboxEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  setInFlight(id: string | null): void {
    this.inFlight = id;
  }

  get inFlightId(): string | null {
    return this.inFlight;
  }

  remove(id: string): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.id !== id);
    if (this.inFlight === id) this.inFlight = null;
    if (this.entries.length !== before) this.persist();
  }

  /** Record a failed attempt and when to try again. */
  fail(id: string, error: string, retryAt: number): void {
    this.update(id, (e) => ({ ...e, attempts: e.attempts + 1, lastError: error.slice(0, 500), nextAttemptAt: new Date(retryAt).toISOString() }));
  }

  /** Swap the payload of a queued entry (a reconciled snapshot), keeping its place in the queue. */
  rewrite(id: string, newId: string, payload: OutboxPayloads['orders/update']): void {
    this.update(id, (e) => (e.action === 'orders/update' || e.action === 'orders/create' ? { ...e, action: 'orders/update', id: newId, payload, attempts: e.attempts + 1, nextAttemptAt: null } : e));
    if (this.inFlight === id) this.inFlight = newId;
  }

  /** Make every entry due now (a fresh connection deserves a fresh try). */
  resetSchedule(): void {
    if (this.entries.every((e) => e.nextAttemptAt === null)) return;
    this.entries = this.entries.map((e) => ({ ...e, nextAttemptAt: null }));
    this.persist();
  }

  private update(id: string, change: (entry: OutboxEntry) => OutboxEntry): void {
    let changed = false;
    this.entries = this.entries.map((e) => {
      if (e.id !== id) return e;
      changed = true;
      return change(e);
    });
    if (changed) this.persist();
  }

  private persist(): void {
    this.store.save(this.entries);
    for (const listener of this.listeners) listener(this.entries.length);
  }
}
