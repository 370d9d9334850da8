/**
 * Where the outbox lives between page loads and crashes. The entry shape is the reference's
 * (reference-system.md §10: id, action, payload, createdAt, attempts, nextAttemptAt, lastError);
 * stores are synchronous so a write is durable before the call that queued it returns.
 * The Node file store sits in src/adapters/outbox-file/ (node:fs is not allowed here).
 */
import { z } from 'zod';
import { floorPlanTableSchema, layoutModeSchema, mutationIdSchema, orderSnapshotSchema, posReferenceSchema, tableIdSchema, tableStatusSchema } from '../protocol/snapshot.js';

export const OUTBOX_STORAGE_KEY = 'pos_sync_outbox';

const entryMutationId = mutationIdSchema;

/**
 * One schema per action: the payload each write carries, checked again when read back from storage
 * (a corrupt or foreign entry is skipped, never sent). The types below are inferred from these.
 */
const payloadSchemas = {
  /** Direct mode: a paid order for Odoo's create_from_ui. */
  'orders/create': z.object({ pos_reference: posReferenceSchema, snapshot: orderSnapshotSchema, mutationId: entryMutationId }),
  /** Hub mode: an ORDER_SNAPSHOT based on the hub's `baseVersion`. */
  'orders/update': z.object({ pos_reference: posReferenceSchema, baseVersion: z.number().int().min(0), snapshot: orderSnapshotSchema, mutationId: entryMutationId }),
  'orders/finalize': z.object({ pos_reference: posReferenceSchema, snapshot: orderSnapshotSchema, configId: z.number().int(), mutationId: entryMutationId }),
  'tables/update': z.object({ tableId: tableIdSchema, status: tableStatusSchema, posReference: posReferenceSchema.optional(), mutationId: entryMutationId }),
  'floor-plans/update': z.object({ floorId: z.number().int().positive(), tables: z.array(floorPlanTableSchema), layoutMode: layoutModeSchema.optional(), mutationId: entryMutationId }),
} as const;

export type OutboxAction = keyof typeof payloadSchemas;
export type OutboxPayloads = { readonly [A in OutboxAction]: z.infer<(typeof payloadSchemas)[A]> };

export const OUTBOX_ACTIONS: readonly OutboxAction[] = ['orders/create', 'orders/update', 'orders/finalize', 'tables/update', 'floor-plans/update'];

/** A write as queued: the action names the payload's shape (switch on `action` to read it). */
export type OutboxWrite = { readonly [A in OutboxAction]: { readonly action: A; readonly payload: OutboxPayloads[A] } }[OutboxAction];

export interface OutboxEntryMeta {
  /** UUID; also the write's mutationId, so a replay is applied once. */
  readonly id: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly attempts: number;
  /** ISO 8601, or null for "as soon as possible". */
  readonly nextAttemptAt: string | null;
  readonly lastError: string | null;
}

export type OutboxEntry = OutboxWrite & OutboxEntryMeta;

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

/**
 * The write an untrusted stored value holds, or null. Entries queued before the payloads were typed
 * wrapped a hub snapshot as `{pos_reference, _hubSnapshot: {posReference, baseVersion, snapshot,
 * mutationId}}`; they are read into today's shape so an upgrade loses no queued edit.
 */
export function parseOutboxWrite(action: unknown, payload: unknown): OutboxWrite | null {
  if (typeof action !== 'string' || typeof payload !== 'object' || payload === null) return null;
  const legacy = (payload as { _hubSnapshot?: unknown })._hubSnapshot;
  const raw: unknown =
    typeof legacy === 'object' && legacy !== null
      ? { pos_reference: (legacy as { posReference?: unknown }).posReference, baseVersion: (legacy as { baseVersion?: unknown }).baseVersion, snapshot: (legacy as { snapshot?: unknown }).snapshot, mutationId: (legacy as { mutationId?: unknown }).mutationId }
      : payload;
  switch (action) {
    case 'orders/create':
    case 'orders/update':
    case 'orders/finalize':
    case 'tables/update':
    case 'floor-plans/update':
      return writeOf(action, raw);
    default:
      return null;
  }
}

function writeOf(action: OutboxAction, raw: unknown): OutboxWrite | null {
  switch (action) {
    case 'orders/create': {
      const parsed = payloadSchemas[action].safeParse(raw);
      return parsed.success ? { action, payload: parsed.data } : null;
    }
    case 'orders/update': {
      const parsed = payloadSchemas[action].safeParse(raw);
      return parsed.success ? { action, payload: parsed.data } : null;
    }
    case 'orders/finalize': {
      const parsed = payloadSchemas[action].safeParse(raw);
      return parsed.success ? { action, payload: parsed.data } : null;
    }
    case 'tables/update': {
      const parsed = payloadSchemas[action].safeParse(raw);
      return parsed.success ? { action, payload: parsed.data } : null;
    }
    case 'floor-plans/update': {
      const parsed = payloadSchemas[action].safeParse(raw);
      return parsed.success ? { action, payload: parsed.data } : null;
    }
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

/** Reads back only well-formed entries: a corrupt or foreign value must not stop the terminal. */
export function parseOutboxEntries(raw: unknown): OutboxEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: OutboxEntry[] = [];
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const e = item as Record<string, unknown>;
    if (typeof e.id !== 'string') continue;
    const write = parseOutboxWrite(e.action, e.payload);
    if (write === null) continue;
    out.push({
      ...write,
      id: e.id,
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
