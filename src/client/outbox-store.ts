/**
 * Where the outbox lives between page loads and crashes. The entry shape is the reference's
 * (reference-system.md §10: id, action, payload, createdAt, attempts, nextAttemptAt, lastError);
 * stores are synchronous so a write is durable before the call that queued it returns.
 * The Node file store sits in src/adapters/outbox-file/ (node:fs is not allowed here).
 */

export const OUTBOX_STORAGE_KEY = 'pos_sync_outbox';

export type OutboxAction =
  | 'orders/create'
  | 'orders/update'
  | 'orders/finalize'
  | 'tables/update'
  | 'floor-plans/update';

export const OUTBOX_ACTIONS: readonly OutboxAction[] = [
  'orders/create',
  'orders/update',
  'orders/finalize',
  'tables/update',
  'floor-plans/update',
];

export interface OutboxEntry {
  /** UUID; also the write's mutationId, so a replay is applied once. */
  readonly id: string;
  readonly action: OutboxAction;
  readonly payload: Record<string, unknown>;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly attempts: number;
  /** ISO 8601, or null for "as soon as possible". */
  readonly nextAttemptAt: string | null;
  readonly lastError: string | null;
}

export interface OutboxStore {
  load(): OutboxEntry[];
  save(entries: readonly OutboxEntry[]): void;
}

/** Keeps entries for the life of the process: tests, and platforms without storage. */
export function memoryOutboxStore(initial: readonly OutboxEntry[] = []): OutboxStore & { readonly entries: () => OutboxEntry[] } {
  let entries = initial.map((e) => ({ ...e }));
  return {
    load: () => entries.map((e) => ({ ...e })),
    save: (next) => {
      entries = next.map((e) => ({ ...e }));
    },
    entries: () => entries.map((e) => ({ ...e })),
  };
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Reads back only well-formed entries: a corrupt or foreign value must not stop the terminal. */
export function parseOutboxEntries(raw: unknown): OutboxEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: OutboxEntry[] = [];
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const e = item as Record<string, unknown>;
    if (typeof e.id !== 'string' || typeof e.action !== 'string' || !OUTBOX_ACTIONS.includes(e.action as OutboxAction)) continue;
    if (typeof e.payload !== 'object' || e.payload === null) continue;
    out.push({
      id: e.id,
      action: e.action as OutboxAction,
      payload: e.payload as Record<string, unknown>,
      createdAt: typeof e.createdAt === 'string' ? e.createdAt : new Date(0).toISOString(),
      attempts: typeof e.attempts === 'number' ? e.attempts : 0,
      nextAttemptAt: typeof e.nextAttemptAt === 'string' ? e.nextAttemptAt : null,
      lastError: typeof e.lastError === 'string' ? e.lastError : null,
    });
  }
  return out;
}

/** The browser store: localStorage under `pos_sync_outbox`, as the reference frontend keeps it. */
export function localStorageOutboxStore(storage: StorageLike, key: string = OUTBOX_STORAGE_KEY): OutboxStore {
  return {
    load() {
      const text = storage.getItem(key);
      if (text === null) return [];
      try {
        return parseOutboxEntries(JSON.parse(text));
      } catch {
        return [];
      }
    },
    save(entries) {
      storage.setItem(key, JSON.stringify(entries));
    },
  };
}

/** localStorage when the platform has it, else memory. */
export function defaultOutboxStore(): OutboxStore {
  const storage = (globalThis as { localStorage?: StorageLike }).localStorage;
  if (storage) {
    try {
      storage.getItem(OUTBOX_STORAGE_KEY);
      return localStorageOutboxStore(storage);
    } catch {
      // Storage exists but is blocked (privacy mode); fall through to memory.
    }
  }
  return memoryOutboxStore();
}
