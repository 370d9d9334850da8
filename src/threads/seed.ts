/**
 * What an actor is rebuilt from: its stored rows grouped by actor key once, by the store
 * (src/adapters/sqlite/store.ts, `actorSeeds` and `seedOf`), and handed unchanged to the shard host
 * and the table actor. A shard's seed is one entry per actor; an evicted actor's seed is one entry.
 * Expiries are wall-clock epoch ms as stored; the shard host moves them to its own time on arrival.
 */
import type { OrderSnapshot } from '../protocol/snapshot.js';
import type { ActorKey } from './keys.js';

export interface SeedOrder {
  readonly posReference: string;
  readonly tableId: number | null;
  readonly version: number;
  readonly snapshot: OrderSnapshot | null;
  readonly state: string | null;
}

export interface SeedLease {
  readonly posReference: string;
  readonly terminalId: string;
  readonly role: string;
  readonly tableId: number | null;
  readonly expiresAt: number;
  readonly epoch: number;
}

export interface SeedLock {
  readonly terminalId: string;
  readonly role: string;
  readonly expiresAt: number;
  readonly epoch: number;
}

/** One actor's rows. `epochs` are keyed by leaseEpochKey / lockEpochKey (./keys.ts). */
export interface ActorSeed {
  readonly key: ActorKey;
  readonly orders: readonly SeedOrder[];
  readonly leases: readonly SeedLease[];
  readonly lock: SeedLock | null;
  readonly table: { readonly status: string; readonly posReference: string | null } | null;
  readonly epochs: ReadonlyArray<{ readonly key: string; readonly epoch: number }>;
  readonly mutations: ReadonlyArray<{ readonly terminalId: string; readonly owner: string; readonly mutationId: string }>;
  /** posReferences with an ORDER_FINALIZE queued or done. */
  readonly finalizing: readonly string[];
}

/** State a shard is rebuilt from at start and after a reload: the actors whose keys hash to it. */
export type ShardSeed = readonly ActorSeed[];

/** One evicted actor's rows, fetched when an input for it arrives. */
export type KeySeed = ActorSeed;

/** An actor with no stored rows yet. */
export function emptySeed(key: ActorKey): ActorSeed {
  return { key, orders: [], leases: [], lock: null, table: null, epochs: [], mutations: [], finalizing: [] };
}
