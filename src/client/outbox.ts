/**
 * The durable queue of writes the hub (or Odoo) has not confirmed yet. Every write is queued here
 * first, then sent; it leaves only on a confirmation, so a crash or a dropped socket replays it with
 * the same mutationId (the hub applies a mutation once). Newer snapshots of the same order replace
 * queued older ones, except the one in flight; the queue is flushed strictly in order.
 */
import type { ClientClock } from './deps.js';
import type { OutboxAction, OutboxEntry, OutboxStore } from './outbox-store.js';

/** Entries with the same key supersede each other: the latest snapshot of an order wins. */
export function replaceKeyOf(action: OutboxAction, payload: Record<string, unknown>): string | null {
  switch (action) {
    case 'orders/create':
    case 'orders/update':
      return typeof payload.pos_reference === 'string' ? `order:${payload.pos_reference}` : null;
    case 'tables/update':
      return typeof payload.tableId === 'number' ? `table:${payload.tableId}` : null;
    case 'floor-plans/update':
      return typeof payload.floorId === 'number' ? `floor:${payload.floorId}` : null;
    case 'orders/finalize':
      return null;
    default: {
      const unreachable: never = action;
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
  enqueue(id: string, action: OutboxAction, payload: Record<string, unknown>): { entry: OutboxEntry; replaced: string[] } {
    const key = replaceKeyOf(action, payload);
    const replaced: string[] = [];
    if (key !== null) {
      this.entries = this.entries.filter((e) => {
        const same = e.id !== this.inFlight && replaceKeyOf(e.action, e.payload) === key;
        if (same) replaced.push(e.id);
        return !same;
      });
    }
    const entry: OutboxEntry = {
      id,
      action,
      payload,
      createdAt: new Date(this.clock.now()).toISOString(),
      attempts: 0,
      nextAttemptAt: null,
      lastError: null,
    };
    this.entries.push(entry);
    this.persist();
    return { entry, replaced };
  }

  /** The head of the queue, or when it becomes due. Later entries wait behind it (order is kept). */
  head(): { entry: OutboxEntry; dueAt: number } | null {
    const entry = this.entries[0];
    if (entry === undefined) return null;
    return { entry, dueAt: entry.nextAttemptAt === null ? 0 : Date.parse(entry.nextAttemptAt) };
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
  rewrite(id: string, newId: string, payload: Record<string, unknown>): void {
    this.update(id, (e) => ({ ...e, id: newId, payload, attempts: e.attempts + 1, nextAttemptAt: null }));
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
