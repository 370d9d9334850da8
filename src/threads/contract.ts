/**
 * The thread contract: for each pair (front↔shard, front↔writer, shard↔writer) the requests each side
 * answers, with their input and result, and the one-way events it hears. ./rpc.ts turns each map into
 * `request(type, input)` for the caller and `serve(handlers)` for the callee. Named for the side that
 * receives: `FrontToShard` is what the front may ask of and tell a shard. Plain data only (structured
 * clone); errors cross as HubErrorData in the reply envelope.
 */
import type { HubErrorData } from '../protocol/errors.js';
import type { FloorPlan, HubMessage, SyncInitOrder, TableState } from '../protocol/hub-messages.js';
import type { ClusterLeader } from '../ports/cluster.js';
import type { QuarantinedRecord } from '../ports/metrics.js';
import type { EventView, LeaseView, LockView } from '../ports/state-view.js';
import type {
  ActorKey,
  Outbound,
  Principal,
  Relay,
  ShardMessage,
  TransferMessage,
  TransferRelay,
  Unit,
} from './actor-io.js';
import type { EventOf } from './rpc.js';
import type { ShardSeed, KeySeed } from './seed.js';

// ---- front → shard ------------------------------------------------------------------------------

export type FrontToShard = {
  readonly requests: {
    /** Reset, phase one: drop memory and prove the writer got every earlier unit (a load on the same port). */
    readonly quiesce: { readonly input: undefined; readonly result: null };
    /** Reset, phase two (after the writer wiped): rebuild from the empty tables. */
    readonly reload: { readonly input: undefined; readonly result: { readonly actors: number } };
    /**
     * Promotion without a reload (a follower's tail kept memory current, workers/writer/replica-tail.ts): drop
     * what `refresh` names, rebuild every actor of `seeds` (this shard's grant holders, each granted at least
     * now + TTL), drop any other actor holding a grant, then stamp units with `generation`.
     */
    readonly catch_up: {
      readonly input: { readonly generation: number; readonly refresh: TailRefreshData; readonly seeds: ShardSeed };
      readonly result: { readonly actors: number };
    };
    readonly collect_metrics: { readonly input: undefined; readonly result: unknown };
    readonly stop: { readonly input: undefined; readonly result: null };
  };
  readonly events: {
    readonly terminal: {
      readonly key: ActorKey;
      readonly from: Principal;
      readonly msg: ShardMessage;
      readonly receivedAt: number;
      /** StageMark (src/ports/metrics.ts) when the front handed it to the shard: the `to_shard` stage starts here. */
      readonly sentAt?: number;
    };
    /** ORDER_TRANSFER to the source's actor, with the destination's actor key resolved by the front. */
    readonly transfer: {
      readonly key: ActorKey;
      readonly toKey: ActorKey;
      readonly from: Principal;
      readonly msg: TransferMessage;
      readonly receivedAt: number;
      /** StageMark when the front handed it to the shard. */
      readonly sentAt?: number;
    };
    /** A transfer step addressed to another actor, relayed by the front (shards never talk directly). */
    readonly relay: { readonly key: ActorKey; readonly event: TransferRelay };
    readonly connected: { readonly terminalId: string };
    readonly disconnected: { readonly terminalId: string };
  };
};

/** Actors a follower's tail found older than the store: by key, by an order they hold, or (`all`) every one. */
export interface TailRefreshData {
  readonly keys: readonly ActorKey[];
  readonly posReferences: readonly string[];
  readonly all?: boolean;
}

/** One input of a shard, as its host takes it. */
export type ShardInput = EventOf<FrontToShard>;

// ---- shard → front ------------------------------------------------------------------------------

export type ShardToFront = {
  readonly requests: Record<never, never>;
  readonly events: {
    readonly ready: { readonly actors: number };
    readonly fatal: HubErrorData;
    /** Transfer steps for actors elsewhere: the front routes each by its key. */
    readonly relay: readonly Relay[];
  };
};

// ---- shard → writer (each shard's own MessageChannel) --------------------------------------------

export type ShardToWriter = {
  readonly requests: {
    /**
     * The rows of the actors hashing to `shard`: all of them, or (`grants`) only those holding a lease or
     * lock (the rest load on demand with `load_key`). `generation`: the writer's storage generation the
     * shard's memory is now loaded at (see `rollback`).
     */
    readonly load: {
      readonly input: { readonly shard: number; readonly shards: number; readonly scope: 'all' | 'grants' };
      /** `following`: the writer follows (a replicated store's follower): the actors must not act on expiry. */
      readonly result: { readonly seed: ShardSeed; readonly generation: number; readonly following?: boolean };
    };
  };
  readonly events: {
    /** A turn's units; `generation` is the storage generation the shard's memory was loaded at. */
    readonly units: { readonly units: readonly Unit[]; readonly generation: number };
    /** One evicted actor's rows, answered with `loaded_key` after the commit of everything sent before. */
    readonly load_key: { readonly key: ActorKey };
  };
};

export type WriterToShard = {
  readonly requests: Record<never, never>;
  readonly events: {
    readonly loaded_key: { readonly key: ActorKey; readonly seed: KeySeed };
    /**
     * A commit failed (disk full): actors may hold state that never reached SQLite. The shard reloads from
     * SQLite; until then the writer refuses its units (older generation) with STORAGE_UNAVAILABLE.
     */
    readonly rollback: { readonly generation: number };
    /** These transfers' two parts are committed: the shards lift their fences. */
    readonly committed: { readonly txIds: readonly string[] };
    /** A follower's tail delivered the leader's events: drop these actors (they load on demand). */
    readonly refresh: TailRefreshData;
  };
};

// ---- front → writer -----------------------------------------------------------------------------

export type FrontToWriter = {
  readonly requests: {
    readonly sync: {
      /**
       * `shared`: the caller keeps the newest SYNC_INIT content it was sent and reuses it when told
       * `init_same`, so each version's orders cross the thread (and are encoded) once, not per terminal.
       */
      readonly input: { readonly terminalId: string; readonly lastSeq?: number; readonly shared?: boolean };
      readonly result: SyncResult;
    };
    /** Every order's actor key (orders and leases), for the front's routing table. */
    readonly routes: { readonly input: undefined; readonly result: ReadonlyArray<readonly [string, ActorKey]> };
    readonly state: { readonly input: undefined; readonly result: WriterStateView };
    readonly reset: { readonly input: undefined; readonly result: WriterStats };
    readonly collect_metrics: { readonly input: undefined; readonly result: unknown };
    /** Commit what is queued; answers with fresh counters. */
    readonly flush: { readonly input: undefined; readonly result: WriterStats };
    /** Commit, stop the forwarder, close SQLite; answers with the measured batching. */
    readonly stop: { readonly input: undefined; readonly result: WriterBatching };
    /** Bind a device id to the identity that first signed it in (workers/writer/device-owners.ts). */
    readonly device_claim: {
      readonly input: {
        readonly deviceId: string;
        readonly owner: string;
        readonly now: number;
        readonly idleReleaseMs: number;
        /** A follower hub: decide as a claim would, record nothing (the leader binds the device). */
        readonly readOnly?: boolean;
      };
      readonly result: DeviceClaim;
    };
    /** Devices in use at `now` (on disconnect, and for every live one at each auth re-check): the idle clock restarts. */
    readonly device_seen: {
      readonly input: {
        readonly devices: ReadonlyArray<{ readonly deviceId: string; readonly owner: string }>;
        readonly now: number;
      };
      readonly result: number;
    };
    /** Free a device id; true when it was bound. */
    readonly device_release: { readonly input: { readonly deviceId: string }; readonly result: boolean };
    /**
     * Become the leader (src/hub/leadership.ts): record a takeover naming `node` (the hub id), commit under
     * its new epoch from now on, bump the storage generation (units built on older actor memory are refused)
     * and start forwarding to Odoo.
     */
    readonly take_over: {
      readonly input: { readonly node: string };
      /** `catchUp`: what the shards take instead of a reload (null: reload them; the writer already told them). */
      readonly result: { readonly epoch: number; readonly generation?: number; readonly catchUp?: TakeOverCatchUp | null };
    };
    /** Stop leading: queued units are refused NOT_LEADER naming `leader`, the forwarder stops, nothing more is written. */
    readonly demote: { readonly input: { readonly leader: ClusterLeader | null }; readonly result: null };
  };
  readonly events: {
    /** Work without a table actor: ticket numbers and floor plans are sequenced by the writer itself. */
    readonly units: { readonly units: readonly Unit[] };
  };
};

/** A follower's catch-up at its takeover (workers/writer/replica-tail.ts): what changed since its tail's mark. */
export interface TakeOverCatchUp extends TailRefreshData {
  /** Every actor holding a stored grant, all shards together (the hub hands each shard its own). */
  readonly seeds: ShardSeed;
  readonly events: number;
}

export type DeviceClaim =
  | { readonly ok: true; readonly previousOwner: string | null }
  | { readonly ok: false; readonly owner: string; readonly lastSeen: number };

/** `quarantined`: stored records left out of every read (README "Security"), reported to managers. */
export type SyncResult =
  | {
      readonly mode: 'init';
      /** Names this content: the same version is the same SYNC_INIT, until a write or a lease expiry changes it. */
      readonly version: number;
      readonly orders: SyncInitOrder[];
      readonly tables: TableState[];
      readonly floorPlans: FloorPlan[];
      readonly seq: number;
      readonly quarantined: QuarantinedRecord[];
    }
  | {
      /** The current SYNC_INIT is the one last sent to this (`shared`) caller. */
      readonly mode: 'init_same';
      readonly version: number;
      readonly quarantined: QuarantinedRecord[];
    }
  | {
      readonly mode: 'resume';
      readonly fromSeq: number;
      readonly toSeq: number;
      readonly events: HubMessage[];
      readonly quarantined: QuarantinedRecord[];
    };

export interface WriterStateView {
  readonly leases: LeaseView[];
  readonly locks: LockView[];
  readonly events: EventView[];
}

/** The writer's measured group commits (README figures, the writerBatch metric). */
export interface WriterBatching {
  readonly commits: number;
  readonly units: number;
  readonly rows: number;
  readonly maxUnits: number;
  readonly commitMs: number;
}

// ---- writer → front -----------------------------------------------------------------------------

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
  /** Epoch ms until which a new leader's forwarder waits out its predecessor's Odoo claims (ForwarderStatus). */
  readonly odooClaimWaitUntil?: number | null;
}

/** A committed unit's messages, seq already stamped: what the writer core builds. */
export interface Delivery {
  readonly out: readonly Outbound[];
  readonly receivedAt?: number;
  /** StageMark when the writer handed the commit's deliveries to the front: the `to_front` stage starts here. */
  readonly sentAt?: number;
}

/**
 * A broadcast already encoded (issue 16): the stamped message's JSON text, built once off the front thread
 * (workers/writer/encode-deliveries.ts) and published to JSON sockets unchanged; msgpack sockets get it
 * re-encoded on the front from that text, only when one listens. To every ready terminal but `except`.
 * Crossing as one string, it also spares both threads the structured clone of the snapshot's object graph.
 */
export interface EncodedBroadcast {
  readonly to: 'broadcast';
  readonly except: string | null;
  readonly type: HubMessage['type'];
  readonly json: string;
}

/** What a delivery's message may be on the way to the front: as the core built it, or a broadcast encoded. */
export type DeliveredOut = Outbound | EncodedBroadcast;

/**
 * A delivery as it crosses to the front. Anything that hands committed messages to the front (the writer,
 * a follower tailing events) may send either form of each broadcast; replies to one terminal stay
 * `Outbound` (the front reads their grants).
 */
export interface FrontDelivery {
  readonly out: readonly DeliveredOut[];
  readonly receivedAt?: number;
  readonly sentAt?: number;
}

/** The writer's events, over the form its deliveries take. */
type WriterEvents<D> = {
  readonly deliver: { readonly deliveries: readonly D[]; readonly stats: WriterStats };
  /** Fresh counters without a commit (the writer's first one is its ready signal). */
  readonly stats: WriterStats;
  /** Closed orders the scheduled pruning deleted: the front forgets their routes. */
  readonly forget: { readonly posReferences: readonly string[] };
  /** A commit was refused by its fence (`epoch`, the writer's; `current`, the latest takeover): the writer follows now. */
  readonly fenced: { readonly epoch: number; readonly current: number };
  readonly fatal: HubErrorData;
};

/** What crosses from the writer thread to the front. */
export type WriterToFront = {
  readonly requests: Record<never, never>;
  readonly events: WriterEvents<FrontDelivery>;
};

/** What the front's handler switches on. */
export type FrontNotice = EventOf<WriterToFront>;

/** What the writer core tells the front, before the thread's glue encodes its broadcasts (a FrontNotice too). */
export type WriterNotice = EventOf<{ readonly requests: Record<never, never>; readonly events: WriterEvents<Delivery> }>;
