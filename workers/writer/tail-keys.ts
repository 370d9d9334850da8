/**
 * Which actors a run of replicated events touched, for a follower's tail (replica-tail.ts): the table ids and
 * order references the events name. Order references resolve to their home keys through the store (an order's
 * home is fixed at its first write and its events need not name its table), and a shard also drops any actor
 * holding one of the orders, so an order that moved between tables leaves its old actor too.
 */
import type { StoredEvent } from '#ports/store.js';
import { tableKey, type ActorKey } from '#threads/keys.js';

export interface TouchedRefs {
  readonly tableKeys: readonly ActorKey[];
  readonly posReferences: readonly string[];
}

const POS_FIELDS = ['posReference', 'fromPosReference', 'toPosReference'] as const;
const TABLE_FIELDS = ['tableId', 'fromTableId', 'toTableId'] as const;

export function touchedBy(events: readonly StoredEvent[]): TouchedRefs {
  const tables = new Set<ActorKey>();
  const orders = new Set<string>();
  const table = (value: unknown): void => {
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) tables.add(tableKey(value));
  };
  for (const { payload } of events) {
    if (payload === null || typeof payload !== 'object') continue;
    const p = payload as Record<string, unknown>;
    for (const f of POS_FIELDS) if (typeof p[f] === 'string' && p[f] !== '') orders.add(p[f]);
    for (const f of TABLE_FIELDS) table(p[f]);
    const snapshot = p.snapshot;
    if (snapshot !== null && typeof snapshot === 'object') table((snapshot as Record<string, unknown>).tableId);
  }
  return { tableKeys: [...tables], posReferences: [...orders] };
}
