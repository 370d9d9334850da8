/**
 * Actor seeds from the store port's reads (src/ports/store.ts): a shard's seeds from `contents()` and one
 * evicted actor's from `seedOf(key)`, grouped by the same function the SQLite store uses
 * (src/adapters/sqlite/actor-seeds.ts), so a shard rebuilt from either engine starts from the same shape.
 */
import { groupSeeds, seedOrder } from '#adapters/sqlite/actor-seeds.js';
import type { KeyContents, StoreContents } from '#ports/store.js';
import { tableIdOfKey, type ActorKey } from '#threads/keys.js';
import { emptySeed, type ActorSeed, type KeySeed } from '#threads/seed.js';

/** One seed per stored actor whose key `keep` accepts (a shard's actors at start and after a reload). */
export function seedsOfContents(contents: StoreContents, keep: (key: ActorKey) => boolean): ActorSeed[] {
  return groupSeeds(
    {
      orders: contents.orders.map((o) => ({ ...seedOrder(o), homeKey: o.homeKey })),
      leases: contents.leases,
      locks: contents.locks,
      tables: contents.tables,
      epochs: contents.epochs,
      mutations: contents.mutations,
      finalizing: new Set(contents.finalizing),
    },
    keep,
  );
}

/** Everything one evicted actor is rebuilt from. */
export function seedOfKey(key: ActorKey, rows: KeyContents): KeySeed {
  const tableId = tableIdOfKey(key);
  const home = <T>(list: readonly T[]): (T & { homeKey: ActorKey })[] => list.map((r) => ({ ...r, homeKey: key }));
  const seeds = groupSeeds(
    {
      orders: rows.orders.map((o) => ({ ...seedOrder(o), homeKey: key })),
      leases: home(rows.leases),
      locks: rows.lock === null || tableId === null ? [] : [{ ...rows.lock, tableId }],
      tables: rows.table === null || tableId === null ? [] : [{ ...rows.table, tableId }],
      epochs: home(rows.epochs),
      mutations: home(rows.mutations),
      finalizing: new Set(rows.finalizing),
    },
    (k) => k === key,
  );
  return seeds[0] ?? emptySeed(key);
}
