/**
 * Port: the writer's durable store, so the same writer can run on the embedded SQLite file or on a
 * PostgreSQL cluster with a synchronous standby (docs/ha.md). It names what the writer needs — group
 * commit of units with gap-free seq, seeds, events up to a high-water mark, mutation look-ups, the
 * takeover epoch, device owners (meta rows), the Odoo forward queue, pruning — and nothing of either engine.
 *
 * Shape: async everywhere. Postgres answers over a socket, so its adapter cannot be synchronous; the
 * SQLite adapter does its work synchronously and returns an already-settled promise. The cost on SQLite
 * is one promise and one microtask hop per call (bench/ceilings/store-port.ts measures it against the
 * fsync a commit waits for anyway); the gain is one writer for both stores.
 * Writes are declarative (a unit is a list of ops, applied in order in one transaction per batch) rather
 * than a callback holding a transaction open, so no adapter ever keeps a lock across an await of the caller.
 * Only highWaterMark() is synchronous: it is the adapter's own memory of what its commits returned.
 */
import type { ForwardOutcome, FinalizeSuccess, PendingFinalize } from './forwarding.js';
import type { QuarantinedRecord } from './metrics.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';
import { HubError } from '../protocol/errors.js';

export type { FinalizeSuccess, ForwardOutcome, PendingFinalize };

export interface StoredOrder {
  readonly posReference: string;
  readonly homeKey: string;
  readonly tableId: number | null;
  readonly version: number;
  readonly snapshot: OrderSnapshot | null;
  readonly state: string | null;
  readonly terminalId: string | null;
  /** Set once Odoo confirmed the order: it is closed. */
  readonly odooOrderId: number | null;
}

export interface StoredLease {
  readonly posReference: string;
  readonly homeKey: string;
  readonly terminalId: string;
  readonly role: string;
  readonly tableId: number | null;
  readonly expiresAt: number;
  readonly epoch: number;
}

export interface StoredLock {
  readonly tableId: number;
  readonly terminalId: string;
  readonly role: string;
  readonly expiresAt: number;
  readonly epoch: number;
}

export interface StoredTable {
  readonly tableId: number;
  readonly status: string;
  readonly posReference: string | null;
}

/** One write inside a unit. Field names follow the writer's ops, so its switch maps one to one. */
export type StoreOp =
  | { readonly op: 'order_put'; readonly order: Omit<StoredOrder, 'odooOrderId'> }
  | { readonly op: 'lease_put'; readonly lease: StoredLease }
  | { readonly op: 'lease_delete'; readonly posReference: string }
  | { readonly op: 'lock_put'; readonly lock: StoredLock }
  | { readonly op: 'lock_delete'; readonly tableId: number }
  | { readonly op: 'table_put'; readonly table: StoredTable }
  | { readonly op: 'floor_plan_put'; readonly floorId: number; readonly plan: unknown }
  /**
   * Takes the next seq. A non-null payload is stored (and served) as `{...payload, seq}`; `finalize`, when
   * present, queues the event for the Odoo forwarder.
   */
  | {
      readonly op: 'event';
      readonly type: string;
      readonly posReference: string | null;
      readonly payload: Readonly<Record<string, unknown>> | null;
      readonly sourceTerminal: string | null;
      readonly finalize?: unknown;
    }
  /**
   * Remembers a mutation's reply, stamped with the unit's seq when the unit has one; a duplicate id keeps the
   * first. Mutation ids are scoped by `owner` (the device's bound user, docs/security.md; '' when none) in
   * every op and look-up below: a device id released to another user never answers that user's ids.
   */
  | {
      readonly op: 'mutation';
      readonly terminalId: string;
      readonly owner?: string;
      readonly mutationId: string;
      readonly homeKey: string;
      readonly posReference: string | null;
      readonly result: Readonly<Record<string, unknown>>;
    }
  /** Reads a remembered reply into the unit's `replies` (nothing when there is none). */
  | { readonly op: 'replay'; readonly terminalId: string; readonly owner?: string; readonly mutationId: string }
  /**
   * The next ticket number of the day and type. With a mutation id already answered, that answer is
   * replied instead and no number is taken; otherwise `reply(n)` is remembered under it and replied.
   */
  | {
      readonly op: 'ticket';
      readonly businessDay: string;
      readonly orderType: string;
      readonly terminalId: string;
      readonly owner?: string;
      readonly mutationId?: string;
      readonly reply: (ticketNumber: number) => Readonly<Record<string, unknown>>;
    }
  | { readonly op: 'meta_put'; readonly key: string; readonly value: string };

/** The writes of one request, all or nothing with the rest of its batch. */
export interface StoreUnit {
  readonly ops: readonly StoreOp[];
  /**
   * The request's mutation id. When the store already holds a reply under it (the terminal retried, maybe
   * to a new primary after failover), the unit is not applied and that reply is its outcome.
   */
  readonly dedupe?: { readonly terminalId: string; readonly owner?: string; readonly mutationId: string };
}

/** A remembered or new reply a replay or ticket op produced, for the terminal that op names. */
export interface UnitReply {
  readonly terminalId: string;
  readonly reply: unknown;
}

export type UnitOutcome =
  /** `seq`: the unit's last event with a payload, else its first event, else null. Replies in op order. */
  | { readonly kind: 'applied'; readonly seq: number | null; readonly replies: readonly UnitReply[] }
  | { readonly kind: 'duplicate'; readonly reply: unknown };

/**
 * An applied unit's `seq` event as stored: the payload object its op held and its JSON text, `seq` included.
 * That payload is the message the unit stamps with `seq`, so the writer sends this text instead of another
 * stringify of the same snapshot.
 */
export interface StampedText {
  readonly payload: unknown;
  readonly json: string;
}

export interface CommitResult {
  /** One per unit, in order. */
  readonly units: readonly UnitOutcome[];
  /** The high-water mark after this commit. */
  readonly seq: number;
  /** Per unit, in order, its StampedText where the engine serialized one (optional: else the writer encodes). */
  readonly stamped?: readonly (StampedText | null)[];
}

/** One served event: its seq and its payload as stored (`seq` included). */
export interface StoredEvent {
  readonly seq: number;
  readonly payload: unknown;
}

/** Everything actors are rebuilt from, as the writer's seeds filter it by shard. */
export interface StoreContents {
  readonly orders: readonly StoredOrder[];
  readonly leases: readonly StoredLease[];
  readonly locks: readonly StoredLock[];
  readonly tables: readonly StoredTable[];
  readonly floorPlans: readonly unknown[];
  readonly epochs: readonly { readonly key: string; readonly homeKey: string; readonly epoch: number }[];
  readonly mutations: readonly { readonly terminalId: string; readonly owner: string; readonly mutationId: string; readonly homeKey: string }[];
  /** Orders with a finalize queued or done (a second ORDER_FINALIZE is answered, not queued). */
  readonly finalizing: readonly string[];
}

/** One actor's rows (its home key), to rebuild it after eviction. */
export interface KeyContents {
  readonly orders: readonly Omit<StoredOrder, 'homeKey' | 'terminalId' | 'odooOrderId'>[];
  readonly leases: readonly Omit<StoredLease, 'homeKey'>[];
  readonly lock: Omit<StoredLock, 'tableId'> | null;
  readonly table: Omit<StoredTable, 'tableId'> | null;
  readonly epochs: readonly { readonly key: string; readonly epoch: number }[];
  readonly mutations: readonly { readonly terminalId: string; readonly owner: string; readonly mutationId: string }[];
  readonly finalizing: readonly string[];
}

export interface PruneLimits {
  readonly closedOrders: number;
  readonly orderBytes: number;
  /** Events kept by count (the resume window). */
  readonly retention: number;
  readonly eventBytes: number;
}

export interface PruneOutcome {
  /** Closed orders deleted (their routes can be forgotten). */
  readonly orders: readonly string[];
  readonly events: number;
  /** The lowest lastSeq a resume still covers. */
  readonly resumeFloor: number;
}

export interface StoreTallies {
  readonly orders: number;
  readonly activeLeases: number;
  readonly activeLocks: number;
  readonly pendingForward: number;
  readonly totalForwarded: number;
  readonly deadLetters: number;
}

export interface RecentEvent {
  readonly id: number;
  readonly type: string;
  readonly posReference: string | null;
  readonly status: 'local' | 'pending' | 'forwarded' | 'dead';
  readonly createdAt: string;
}

/**
 * What a rejected call means for the writer. `transient`: nothing was applied (a full or failing disk, a
 * lost or read-only primary, a serialization conflict): refuse retryable, reload, keep serving. `in_doubt`:
 * the COMMIT was sent and its answer lost, so it may have been applied: refused retryable all the same (a
 * retry with the same mutation id is answered from the store, never applied twice). `fatal`: a bug or a
 * damaged store: the writer thread dies with its cause.
 */
export type StoreFault = 'transient' | 'in_doubt' | 'fatal';

export interface HubStorePort {
  readonly engine: 'sqlite' | 'postgres';
  /** How to treat an error this store's calls rejected with (StoreFault). */
  classifyError(error: unknown): StoreFault;
  /**
   * Apply every unit in one transaction and resolve once it is durable (SQLite: fsync; Postgres: flushed on
   * the synchronous standby). Seq stays gap-free: on rejection nothing was applied and no seq was used.
   * `fence`: the writer's takeover epoch. Checked inside the transaction against the latest takeover (a
   * takeover running at the same time waits for it, or it for the takeover); when another epoch is the
   * latest, nothing is applied, no seq is used, and the commit rejects with an error `isFenced` accepts.
   */
  commit(units: readonly StoreUnit[], now: number, fence?: number): Promise<CommitResult>;
  /**
   * Give up the call in flight now instead of waiting for its answer: a writer that stopped leading must not
   * sit out a commit hung on a primary whose standby was promoted (a query timeout, 15 s). The call rejects
   * at once — a commit `in_doubt` once its COMMIT may have been sent, anything else `transient` — and the
   * next call connects afresh. True when a call was given up. SQLite has none: its calls settle in the turn
   * they start, so nothing is ever in flight when another part of the writer runs.
   */
  abandon?(): boolean;
  /**
   * The last seq whose commit returned. Never beyond what is durable, so nothing past it is served: on
   * Postgres a commit waiting for the standby is already visible on the primary.
   */
  highWaterMark(): number;
  /**
   * Events after `afterSeq` up to the high-water mark, except those `excludeTerminal` sent; null when the
   * log no longer reaches back to `afterSeq`, `afterSeq` is beyond the mark, more than `limit` are due, or
   * one cannot be read (the caller falls back to a full sync rather than miss one).
   */
  readEvents(afterSeq: number, limit: number, excludeTerminal?: string): Promise<StoredEvent[] | null>;
  /**
   * A follower's tail (docs/ha.md "Follower hubs"): move the high-water mark by a synchronous write of our
   * own, as at reconnect, and return it — every seq at or below it is on the standby, so it may be served.
   * SQLite (one file, nothing replicated): the mark as it is.
   */
  refreshMark(): Promise<number>;
  /**
   * [posReference, home key] of the orders and leases named (every one when `posReferences` is null), and of
   * the lease epochs of the named orders: the front's routes, and the actors a follower's tail refreshes.
   */
  homesOf(posReferences: readonly string[] | null): Promise<ReadonlyArray<readonly [string, string]>>;
  /** The home key of every actor holding a stored lease or table lock (a promotion re-reads these). */
  grantKeys(): Promise<string[]>;
  /** `owner`: the scope the reply was remembered under ('' when none). */
  getMutation(terminalId: string, mutationId: string, owner?: string): Promise<unknown>;
  contents(): Promise<StoreContents>;
  seedOf(homeKey: string): Promise<KeyContents>;
  /**
   * Record a new leader: returns an epoch higher than any this store has given, durable before it resolves.
   * Fencing tokens stay monotonic across failover because the counter is replicated with the data.
   */
  takeOver(node: string, now: number): Promise<number>;
  /** The highest epoch taken so far (0 before the first takeover). */
  currentEpoch(): Promise<number>;
  meta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  /** Whether the key existed. */
  deleteMeta(key: string): Promise<boolean>;
  // The Odoo forward queue (ports/forwarding.ts's ForwardQueue, asynchronous).
  pendingForward(limit: number, now: number): Promise<PendingFinalize[]>;
  markForwarded(eventId: number, result: FinalizeSuccess, now: number): Promise<void>;
  markAttemptFailed(eventId: number, error: string, nextAttemptAt: number): Promise<void>;
  markDead(eventId: number, error: string, now: number): Promise<void>;
  prune(limits: PruneLimits): Promise<PruneOutcome>;
  /**
   * The light pass the writer runs every few hundred commits: events older than the newest `retention`
   * (never ones owed to Odoo) and mutation replies beyond `retention`. No scans by bytes: cheap enough to
   * run between commits at full rate; prune() does the rest on its schedule.
   */
  trimEvents(retention: number): Promise<void>;
  /** Wipe the data (keeping epochs and seq); every older lastSeq then falls back to a full sync. */
  reset(): Promise<void>;
  /**
   * SQLite only: copy the write-ahead log into the database on the writer's handle; true when all of it was.
   * The writer runs it between commits, after their deliveries (workers/writer/store-upkeep.ts), instead of
   * SQLite running it inside the COMMIT of whichever write crossed its threshold. Postgres has none.
   */
  checkpoint?(): Promise<boolean>;
  tallies(): Promise<StoreTallies>;
  recentEvents(limit: number): Promise<RecentEvent[]>;
  /** Stored values that failed the read limits since open (they read as absent). */
  quarantinedRecords(): readonly QuarantinedRecord[];
  close(): Promise<void>;
}

/** What a fenced commit's error carries in `details` (the epoch the writer held and the latest one). */
export interface FencedDetails {
  readonly classification: 'fenced';
  readonly fence: number;
  readonly current: number;
}

/**
 * The rejection of a commit whose fence is not the latest takeover: a writer that a newer leader replaced.
 * NOT_LEADER, retryable (its units go to the leader), with `details.classification: 'fenced'`.
 */
export function fencedError(fence: number, current: number): HubError {
  const details: FencedDetails = { classification: 'fenced', fence, current };
  return new HubError('NOT_LEADER', `fenced: this writer holds epoch ${fence}, the latest takeover is epoch ${current}; nothing was applied`, {
    retryable: true,
    details,
  });
}

/** Whether a commit was refused by its fence (nothing applied, no seq used): the writer stops leading at once. */
export function isFenced(error: unknown): error is HubError & { readonly details: FencedDetails } {
  return (
    error instanceof HubError &&
    error.code === 'NOT_LEADER' &&
    (error.details as Partial<FencedDetails> | undefined)?.classification === 'fenced'
  );
}
