/**
 * The messages that cross threads: front → shard, shard → writer, front ↔ writer, writer → front.
 * Every union is discriminated by `kind`; every request carries `reqId` so a dying thread can fail
 * all of its pending requests at once. Plain data only (structured clone), errors as HubErrorData.
 */
import type { HubErrorData } from '../src/protocol/errors.js';
import type { HubMessage } from '../src/protocol/hub-messages.js';
import type { OrderSnapshot } from '../src/protocol/snapshot.js';
import type { FloorPlan, SyncInitOrder, TableState } from '../src/protocol/hub-messages.js';
import type { ActorKey, Outbound, Principal, ShardMessage, Unit } from '../actors/table/types.js';
import type { Relay, TransferMessage, TransferRelay } from '../actors/table/transfer-logic.js';
import type { EventView, LeaseView, LockView } from '../src/ports/state-view.js';
import type { QuarantinedRecord } from '../src/ports/metrics.js';

export type { ActorKey, Outbound, Principal, ShardMessage, Unit, UnitJoin, UnitOrigin, WriteOp } from '../actors/table/types.js';
export type { Relay, TransferMessage, TransferRelay } from '../actors/table/transfer-logic.js';

/** State a shard is rebuilt from at start (rows whose home key hashes to that shard). */
export interface ShardSeed {
  readonly orders: ReadonlyArray<{ posReference: string; homeKey: ActorKey; tableId: number | null; version: number; snapshot: OrderSnapshot | null; state: string | null }>;
  readonly leases: ReadonlyArray<{ posReference: string; homeKey: ActorKey; terminalId: string; role: string; tableId: number | null; expiresAt: number; epoch: number }>;
  readonly locks: ReadonlyArray<{ tableId: number; terminalId: string; role: string; expiresAt: number; epoch: number }>;
  readonly tables: ReadonlyArray<{ tableId: number; status: string; posReference: string | null }>;
  readonly epochs: ReadonlyArray<{ key: string; homeKey: ActorKey; epoch: number }>;
  readonly mutations: ReadonlyArray<{ terminalId: string; owner: string; mutationId: string; homeKey: ActorKey }>;
  readonly finalizing: ReadonlyArray<{ posReference: string; homeKey: ActorKey }>;
}

/** One evicted actor's rows, fetched when an input for it arrives (the store's seedOf). */
export interface KeySeed {
  readonly orders: ReadonlyArray<{ posReference: string; tableId: number | null; version: number; snapshot: OrderSnapshot | null; state: string | null }>;
  readonly leases: ReadonlyArray<{ posReference: string; terminalId: string; role: string; tableId: number | null; expiresAt: number; epoch: number }>;
  readonly lock: { terminalId: string; role: string; expiresAt: number; epoch: number } | null;
  readonly table: { status: string; posReference: string | null } | null;
  readonly epochs: ReadonlyArray<{ key: string; epoch: number }>;
  readonly mutations: ReadonlyArray<{ terminalId: string; owner: string; mutationId: string }>;
  readonly finalizing: readonly string[];
}

// ---- front → shard -------------------------------------------------------------------------
export type FrontToShard =
  | { readonly kind: 'terminal'; readonly key: ActorKey; readonly from: Principal; readonly msg: ShardMessage; readonly receivedAt: number }
  | { readonly kind: 'connected'; readonly terminalId: string }
  | { readonly kind: 'disconnected'; readonly terminalId: string }
  | { readonly kind: 'request'; readonly reqId: number; readonly req: ShardRequest }
  /** ORDER_TRANSFER to the source's actor, with the destination's actor key resolved by the front. */
  | { readonly kind: 'transfer'; readonly key: ActorKey; readonly toKey: ActorKey; readonly from: Principal; readonly msg: TransferMessage; readonly receivedAt: number }
  /** A transfer step addressed to another actor, relayed by the front (shards never talk directly). */
  | { readonly kind: 'relay'; readonly key: ActorKey; readonly event: TransferRelay };

/** Reset is two-phase: `quiesce` drops memory and proves the writer got every earlier unit (a load
 *  round trip on the same port), the writer wipes, then `reload` rebuilds from the empty tables. */
export type ShardRequest = { readonly type: 'quiesce' } | { readonly type: 'reload' } | { readonly type: 'collect_metrics' } | { readonly type: 'stop' };

// ---- shard → front ---------------------------------------------------------------------------
export type ShardToFront =
  | { readonly kind: 'ready'; readonly actors: number }
  | { readonly kind: 'reply'; readonly reqId: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'reply'; readonly reqId: number; readonly ok: false; readonly error: HubErrorData }
  | { readonly kind: 'fatal'; readonly error: HubErrorData }
  | { readonly kind: 'relay'; readonly relays: readonly Relay[] };

// ---- shard → writer (own MessageChannel) -------------------------------------------------------
export type ShardToWriter =
  /** `generation`: the writer's storage generation the shard's memory was loaded at (see 'rollback'). */
  | { readonly kind: 'units'; readonly units: readonly Unit[]; readonly generation: number }
  /** `grants`: only the actors holding a lease or lock (the rest load on demand with `load_key`). */
  | { readonly kind: 'load'; readonly reqId: number; readonly shard: number; readonly shards: number; readonly scope?: 'all' | 'grants' }
  | { readonly kind: 'load_key'; readonly key: ActorKey };

export type WriterToShard =
  | { readonly kind: 'loaded'; readonly reqId: number; readonly seed: ShardSeed; readonly generation: number }
  | { readonly kind: 'loaded_key'; readonly key: ActorKey; readonly seed: KeySeed }
  /**
   * A commit failed (disk full): actors may hold state that never reached SQLite. The shard reloads from
   * SQLite; until then the writer refuses its units (older generation) with STORAGE_UNAVAILABLE.
   */
  | { readonly kind: 'rollback'; readonly generation: number }
  /** These transfers' two parts are committed: the shards lift their fences. */
  | { readonly kind: 'committed'; readonly txIds: readonly string[] };

// ---- front ↔ writer --------------------------------------------------------------------------
export type WriterRequest =
  | { readonly type: 'sync'; readonly terminalId: string; readonly lastSeq?: number }
  | { readonly type: 'routes' }
  | { readonly type: 'state' }
  | { readonly type: 'reset' }
  | { readonly type: 'collect_metrics' }
  | { readonly type: 'flush' }
  | { readonly type: 'stop' }
  | DeviceRequest;

/** Device ids bound to the identity that first signed them in (workers/writer/device-owners.ts). */
export type DeviceRequest =
  | { readonly type: 'device_claim'; readonly deviceId: string; readonly owner: string; readonly now: number; readonly idleReleaseMs: number }
  /** Devices in use at `now` (on disconnect, and for every live one at each auth re-check): the idle clock restarts. */
  | { readonly type: 'device_seen'; readonly devices: ReadonlyArray<{ readonly deviceId: string; readonly owner: string }>; readonly now: number }
  | { readonly type: 'device_release'; readonly deviceId: string };

export type DeviceClaim =
  | { readonly ok: true; readonly previousOwner: string | null }
  | { readonly ok: false; readonly owner: string; readonly lastSeen: number };

/** `quarantined`: stored records left out of every read (README "Security"), reported to managers. */
export type SyncResult =
  | { readonly mode: 'init'; readonly orders: SyncInitOrder[]; readonly tables: TableState[]; readonly floorPlans: FloorPlan[]; readonly seq: number; readonly quarantined: QuarantinedRecord[] }
  | { readonly mode: 'resume'; readonly fromSeq: number; readonly toSeq: number; readonly events: HubMessage[]; readonly quarantined: QuarantinedRecord[] };

export interface WriterStateView {
  readonly leases: LeaseView[];
  readonly locks: LockView[];
  readonly events: EventView[];
}

export type FrontToWriter =
  | { readonly kind: 'request'; readonly reqId: number; readonly req: WriterRequest }
  /** Work without a table actor: ticket numbers and floor plans are sequenced by the writer itself. */
  | { readonly kind: 'units'; readonly units: readonly Unit[] };

export interface WriterStats {
  readonly seq: number;
  readonly orders: number;
  readonly activeLeases: number;
  readonly activeLocks: number;
  readonly pendingForward: number;
  readonly totalForwarded: number;
  readonly deadLetters: number;
  readonly lastOdooSync: number | null;
  readonly odooReachable: boolean;
  readonly lastOdooError: string | null;
  /** Set while the disk refuses commits (SQLITE_FULL …): /health reports `degraded` with it. */
  readonly storageError?: { readonly reason: string; readonly since: number; readonly failures: number } | null;
}

/** A committed unit's messages, seq already stamped. */
export interface Delivery {
  readonly out: readonly Outbound[];
  readonly receivedAt?: number;
}

export type WriterToFront =
  | { readonly kind: 'deliver'; readonly deliveries: readonly Delivery[]; readonly stats: WriterStats }
  | { readonly kind: 'reply'; readonly reqId: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'reply'; readonly reqId: number; readonly ok: false; readonly error: HubErrorData }
  | { readonly kind: 'stats'; readonly stats: WriterStats }
  /** Closed orders the scheduled pruning deleted: the front forgets their routes. */
  | { readonly kind: 'forget'; readonly posReferences: readonly string[] }
  | { readonly kind: 'fatal'; readonly error: HubErrorData };
