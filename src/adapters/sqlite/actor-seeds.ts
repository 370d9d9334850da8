/**
 * The one place stored rows become actor seeds (src/threads/seed.ts): each row lands in the seed of its
 * actor key — orders, leases, epochs and mutations by their stored home key, locks and table rows by
 * their table's key, finalize marks with the order they close. The store calls it for a whole shard at
 * start and for one evicted actor on demand, so both give the same shape.
 */
import type { OrderSnapshot } from '../../protocol/snapshot.js';
import { tableKey, type ActorKey } from '../../threads/keys.js';
import type { ActorSeed, SeedLease, SeedLock, SeedOrder } from '../../threads/seed.js';

/** Rows as read, each with the actor key it belongs to (or the table it fences). */
export interface SeedRows {
  readonly orders: ReadonlyArray<SeedOrder & { readonly homeKey: ActorKey }>;
  readonly leases: ReadonlyArray<SeedLease & { readonly homeKey: ActorKey }>;
  readonly locks: ReadonlyArray<SeedLock & { readonly tableId: number }>;
  readonly tables: ReadonlyArray<{
    readonly tableId: number;
    readonly status: string;
    readonly posReference: string | null;
  }>;
  readonly epochs: ReadonlyArray<{ readonly key: string; readonly homeKey: ActorKey; readonly epoch: number }>;
  readonly mutations: ReadonlyArray<{
    readonly terminalId: string;
    readonly owner: string;
    readonly mutationId: string;
    readonly homeKey: ActorKey;
  }>;
  /** posReferences with an ORDER_FINALIZE queued or done. */
  readonly finalizing: ReadonlySet<string>;
}

type Building = {
  key: ActorKey;
  orders: SeedOrder[];
  leases: SeedLease[];
  lock: SeedLock | null;
  table: { status: string; posReference: string | null } | null;
  epochs: { key: string; epoch: number }[];
  mutations: { terminalId: string; owner: string; mutationId: string }[];
  finalizing: string[];
};

/** One seed per actor key that `keep` accepts, in first-seen order. */
export function groupSeeds(rows: SeedRows, keep: (key: ActorKey) => boolean): ActorSeed[] {
  const seeds = new Map<ActorKey, Building>();
  const seed = (key: ActorKey): Building | null => {
    let s = seeds.get(key);
    if (s === undefined) {
      if (!keep(key)) return null;
      s = { key, orders: [], leases: [], lock: null, table: null, epochs: [], mutations: [], finalizing: [] };
      seeds.set(key, s);
    }
    return s;
  };
  const homes = new Map<string, ActorKey>();
  for (const { homeKey, ...order } of rows.orders) {
    seed(homeKey)?.orders.push(order);
    homes.set(order.posReference, homeKey);
  }
  for (const { homeKey, ...lease } of rows.leases) {
    seed(homeKey)?.leases.push(lease);
    homes.set(lease.posReference, homeKey);
  }
  for (const { tableId, ...lock } of rows.locks) {
    const s = seed(tableKey(tableId));
    if (s !== null) s.lock = lock;
  }
  for (const { tableId, status, posReference } of rows.tables) {
    const s = seed(tableKey(tableId));
    if (s !== null) s.table = { status, posReference };
  }
  for (const { homeKey, key, epoch } of rows.epochs) seed(homeKey)?.epochs.push({ key, epoch });
  // Mutations of the front's own work (tickets) have no actor: an empty home key.
  for (const { homeKey, terminalId, owner, mutationId } of rows.mutations)
    if (homeKey !== '') seed(homeKey)?.mutations.push({ terminalId, owner, mutationId });
  for (const posReference of rows.finalizing) {
    const home = homes.get(posReference);
    if (home !== undefined) seeds.get(home)?.finalizing.push(posReference);
  }
  return [...seeds.values()];
}

/** An order row as a seed keeps it (without its writer-only columns). */
export function seedOrder(row: {
  posReference: string;
  tableId: number | null;
  version: number;
  snapshot: OrderSnapshot | null;
  state: string | null;
}): SeedOrder {
  return {
    posReference: row.posReference,
    tableId: row.tableId,
    version: row.version,
    snapshot: row.snapshot,
    state: row.state,
  };
}
