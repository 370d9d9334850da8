/**
 * A table actor's memory: the table lock, the table row, and the orders homed at this table with
 * their versions, leases and fencing epochs. Rebuilt from SQLite rows at start (TableSeed), so the
 * only state that is not durable is whether a holder's socket is currently connected.
 */
import type { HubMessage } from '#protocol/hub-messages.js';
import type { OrderSnapshot } from '#protocol/snapshot.js';
import type { ErrorCode } from '#protocol/errors.js';
import type { ActorKey } from './types.js';
import { leaseEpochKey, lockEpochKey, parseEpochKey, tableIdOfKey } from '#threads/keys.js';

export { leaseEpochKey, lockEpochKey, tableIdOfKey } from '#threads/keys.js';

export interface Grant {
  readonly terminalId: string;
  readonly role: string;
  readonly expiresAt: number;
  /**
   * The expiry the writer holds for this grant, or will once the units already emitted commit. A renewal
   * moves only `expiresAt` (memory); the stored row catches up lazily (`renewalDue`, docs/architecture.md
   * "Lease renewals"). Never later than `expiresAt`.
   */
  readonly storedExpiresAt: number;
  readonly epoch: number;
  /** False between a socket drop and a reconnect: expiry was cut to the grace window. */
  readonly connected: boolean;
}

export interface OrderEntry {
  readonly posReference: string;
  readonly tableId: number | null;
  readonly version: number;
  readonly snapshot: OrderSnapshot | null;
  readonly lease: Grant | null;
  /** Last epoch granted on this order's lease (persisted; only increases). */
  readonly leaseEpoch: number;
  /** An ORDER_FINALIZE was committed: a second one is answered, not queued again. */
  readonly finalizing: boolean;
}

export interface TableContext {
  readonly key: ActorKey;
  readonly tableId: number | null;
  readonly lock: Grant | null;
  readonly lockEpoch: number;
  readonly table: { readonly status: string; readonly posReference: string | null } | null;
  readonly orders: ReadonlyMap<string, OrderEntry>;
  /** mutationKey(terminalId, mutationId, owner) of every applied mutation homed here. */
  readonly mutations: ReadonlySet<string>;
}

export type SnapshotValidation = { ok: true } | { ok: false; code: ErrorCode; message: string };

/** The domain rule check (src/domain validateSnapshotChange), injected so the actor stays pure. */
export type SnapshotValidator = (
  previous: OrderSnapshot | null,
  next: OrderSnapshot,
  options: { sendChangesToKitchen: boolean },
) => SnapshotValidation;

/** Accepts every change: for tests and benches of the actor's own rules. The shard host passes src/domain's validateSnapshotChange. */
export const passThroughValidator: SnapshotValidator = () => ({ ok: true });

export interface TableTimings {
  readonly leaseTtlMs: number;
  readonly leaseGraceMs: number;
  readonly lockTtlMs: number;
  readonly lockGraceMs: number;
}

export interface TableEnv {
  readonly timings: TableTimings;
  readonly sendChangesToKitchen: boolean;
  readonly validate: SnapshotValidator;
}

export interface TableSeed {
  readonly key: ActorKey;
  readonly orders?: ReadonlyArray<{ posReference: string; tableId: number | null; version: number; snapshot: OrderSnapshot | null }>;
  /** `expiresAt` is the expiry to run on; `storedExpiresAt` (default: the same) what the stored row says. */
  readonly leases?: ReadonlyArray<{ posReference: string; terminalId: string; role: string; tableId: number | null; expiresAt: number; storedExpiresAt?: number; epoch: number }>;
  readonly lock?: { terminalId: string; role: string; expiresAt: number; storedExpiresAt?: number; epoch: number } | null;
  readonly table?: { status: string; posReference: string | null } | null;
  readonly epochs?: ReadonlyArray<{ key: string; epoch: number }>;
  readonly mutations?: ReadonlyArray<{ terminalId: string; owner?: string; mutationId: string }>;
  readonly finalizing?: readonly string[];
}

/** Mutation ids are scoped to (owner, device): see Principal.owner. */
export function mutationKey(terminalId: string, mutationId: string, owner = ''): string {
  return `${owner}\u0000${terminalId}\u0000${mutationId}`;
}

/** The sender's owner as a write-op field (absent when the principal has none). */
export function ownerScope(from: { readonly owner?: string }): { owner?: string } {
  return from.owner === undefined ? {} : { owner: from.owner };
}

/** Build the context from persisted rows. Restored grants start as disconnected-but-live: the
 *  holder has its TTL (or what was left of it) to reconnect and heartbeat. */
export function contextFromSeed(seed: TableSeed): TableContext {
  const tableId = tableIdOfKey(seed.key);
  const epochs = new Map((seed.epochs ?? []).map((e) => [e.key, e.epoch]));
  const finalizing = new Set(seed.finalizing ?? []);
  const orders = new Map<string, OrderEntry>();
  for (const o of seed.orders ?? []) {
    orders.set(o.posReference, {
      posReference: o.posReference,
      tableId: o.tableId,
      version: o.version,
      snapshot: o.snapshot,
      lease: null,
      leaseEpoch: epochs.get(leaseEpochKey(o.posReference)) ?? 0,
      finalizing: finalizing.has(o.posReference),
    });
  }
  for (const l of seed.leases ?? []) {
    const existing = orders.get(l.posReference);
    const base: OrderEntry = existing ?? {
      posReference: l.posReference,
      tableId: l.tableId,
      version: 0,
      snapshot: null,
      lease: null,
      leaseEpoch: 0,
      finalizing: false,
    };
    orders.set(l.posReference, {
      ...base,
      lease: {
        terminalId: l.terminalId,
        role: l.role,
        expiresAt: l.expiresAt,
        storedExpiresAt: Math.min(l.storedExpiresAt ?? l.expiresAt, l.expiresAt),
        epoch: l.epoch,
        connected: false,
      },
      leaseEpoch: Math.max(base.leaseEpoch, l.epoch, epochs.get(leaseEpochKey(l.posReference)) ?? 0),
    });
  }
  // Orders with no row left (released before a reset, say) still remember their last epoch.
  for (const [key, epoch] of epochs) {
    const fenced = parseEpochKey(key);
    if (fenced?.kind !== 'lease') continue;
    const { posReference } = fenced;
    if (!orders.has(posReference)) {
      orders.set(posReference, { posReference, tableId, version: 0, snapshot: null, lease: null, leaseEpoch: epoch, finalizing: false });
    }
  }
  const lock: Grant | null = seed.lock
    ? {
        terminalId: seed.lock.terminalId,
        role: seed.lock.role,
        expiresAt: seed.lock.expiresAt,
        storedExpiresAt: Math.min(seed.lock.storedExpiresAt ?? seed.lock.expiresAt, seed.lock.expiresAt),
        epoch: seed.lock.epoch,
        connected: false,
      }
    : null;
  const lockEpoch = Math.max(lock?.epoch ?? 0, tableId === null ? 0 : (epochs.get(lockEpochKey(tableId)) ?? 0));
  return {
    key: seed.key,
    tableId,
    lock,
    lockEpoch,
    table: seed.table ?? null,
    orders,
    mutations: new Set((seed.mutations ?? []).map((m) => mutationKey(m.terminalId, m.mutationId, m.owner))),
  };
}

/**
 * Nothing here needs memory: no lease, no lock, and every order either without a snapshot or closed
 * (finalized; its finalize is queued in SQLite and forwarded by the writer). Everything else in the
 * context is durable, so the host may drop such an actor and rebuild it from SQLite when it is next used.
 */
export function isIdle(ctx: TableContext): boolean {
  if (ctx.lock !== null) return false;
  for (const order of ctx.orders.values()) if (order.lease !== null || (order.snapshot !== null && !order.finalizing)) return false;
  return true;
}

/** Whether `terminalId` holds this table's lock or a lease on one of its orders: its connects and drops matter here. */
export function holdsGrant(ctx: TableContext, terminalId: string): boolean {
  if (ctx.lock?.terminalId === terminalId) return true;
  for (const order of ctx.orders.values()) if (order.lease?.terminalId === terminalId) return true;
  return false;
}

/**
 * When a renewed grant's stored row must be brought up to date: once less than a quarter of its TTL is
 * left on the stored expiry (15 s for a lease, 11 s for a lock at the defaults). That quarter is the time a
 * write has to commit before the stored row — which SYNC_INIT, /api/state and the dashboard read — could
 * show a held grant as lapsed; a commit takes milliseconds. Waiting that long lets one row carry several
 * heartbeats (the SDK's: every 20 s for a lease of 60 s; fewer than three rows per four). Null when the stored
 * row is current (no renewal since the last write).
 */
export function renewalDue(grant: Grant, ttlMs: number): number | null {
  return grant.expiresAt > grant.storedExpiresAt ? grant.storedExpiresAt - Math.floor(ttlMs / 4) : null;
}

/**
 * How far ahead of now the host's timer also ticks actors, so the stored renewals of a shard go to the
 * writer together (one commit) rather than one per actor as each falls due: an eighth of the shorter TTL
 * (5.6 s at the defaults). A renewal is therefore written with between TTL/4 and TTL/4 + this window left
 * on its stored expiry, and a shard sends at most one batch of renewals per window.
 */
export function renewalWindowMs(timings: TableTimings): number {
  return Math.floor(Math.min(timings.leaseTtlMs, timings.lockTtlMs) / 8);
}

/** Earliest lease or lock expiry or stored-renewal due, or null: when the host must send the next tick. */
export function nextDeadline(ctx: TableContext, timings: TableTimings): number | null {
  let next: number | null = null;
  const consider = (at: number | null): void => {
    if (at !== null && (next === null || at < next)) next = at;
  };
  if (ctx.lock) {
    consider(ctx.lock.expiresAt);
    consider(renewalDue(ctx.lock, timings.lockTtlMs));
  }
  for (const order of ctx.orders.values()) {
    if (!order.lease) continue;
    consider(order.lease.expiresAt);
    consider(renewalDue(order.lease, timings.leaseTtlMs));
  }
  return next;
}

/**
 * The grace on load (docs/architecture.md "Lease renewals"): every stored lease and lock is live until at
 * least `loadedAt` + its TTL, whatever its stored expiry says. A renewal's promise ("held until t + TTL",
 * t before the crash or failover, so t < loadedAt) therefore survives without the renewal having been
 * committed. The stored expiry is kept as such: the grant is written again at its next renewal due (at
 * once, when the stored one is short or past).
 */
export function graceOnLoad(seed: TableSeed, loadedAt: number, timings: TableTimings): TableSeed {
  if ((seed.leases?.length ?? 0) === 0 && (seed.lock ?? null) === null) return seed;
  return {
    ...seed,
    leases: (seed.leases ?? []).map((l) => ({
      ...l,
      storedExpiresAt: l.storedExpiresAt ?? l.expiresAt,
      expiresAt: Math.max(l.expiresAt, loadedAt + timings.leaseTtlMs),
    })),
    lock:
      seed.lock === undefined || seed.lock === null
        ? null
        : {
            ...seed.lock,
            storedExpiresAt: seed.lock.storedExpiresAt ?? seed.lock.expiresAt,
            expiresAt: Math.max(seed.lock.expiresAt, loadedAt + timings.lockTtlMs),
          },
  };
}

/**
 * LEASE_DENIED for a terminal that may not write an order: another terminal holds the lease (its id is
 * the reference's `holder`), or nobody does and the sender must acquire it first (`withoutLease` says
 * for what). One builder, so every write path words the refusal the same way.
 */
export function leaseRefusal(posReference: string, holder: Grant | null, withoutLease: string): HubMessage {
  return {
    type: 'LEASE_DENIED',
    posReference,
    holder: holder?.terminalId ?? '',
    reason: holder ? `Order is being edited on ${holder.terminalId}` : `Acquire the lease before ${withoutLease}`,
    code: holder ? 'LEASE_HELD' : 'LEASE_NOT_HELD',
  };
}

/** A grant is live until its expiry; an expired one stays in the context until the tick that ends it. */
export const live = (grant: Grant | null, now: number): grant is Grant => grant !== null && grant.expiresAt > now;

/**
 * Where a grant (the table lock, or one order's lease) stands: nobody holds it, its holder is connected,
 * or its holder's socket dropped and the grant runs out its grace window. The table machine's states
 * are these values (actors/table/table.machine.ts); an inspector reads one order's lease with it too.
 */
export type GrantState = 'free' | 'connected' | 'away';

export function grantState(grant: Grant | null): GrantState {
  if (grant === null) return 'free';
  return grant.connected ? 'connected' : 'away';
}

/** Whether any order homed here has a lease on record (live, or expired and awaiting its tick). */
export function anyLease(ctx: TableContext): boolean {
  for (const order of ctx.orders.values()) if (order.lease !== null) return true;
  return false;
}
