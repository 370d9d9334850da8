/**
 * What a table actor takes in and gives out, as it crosses threads: the terminal messages the front
 * routes to it, the durable write ops and outbound messages it hands the writer (grouped in units
 * committed atomically), and the transfer steps the front relays between actors. Defined here, at the
 * seam, so the front, the writer and the actors share one definition and the front never reaches into
 * actors/ for them. Pure types.
 */
import type { FloorPlan, HubMessage } from '../protocol/hub-messages.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';
import type { TerminalMessageOf } from '../protocol/terminal-messages.js';
import type { TerminalRole } from '../ports/auth.js';
import type { ActorKey } from './keys.js';

export type { ActorKey } from './keys.js';

export interface Principal {
  readonly terminalId: string;
  readonly role: TerminalRole;
  readonly name: string;
  /**
   * ownerOf(identity), the user the device id is bound to: mutation ids are scoped to (owner, device), so a
   * device id released to another user never answers that user with the previous owner's stored result.
   * Absent only where no identity exists (unit fixtures); the front always sets it.
   */
  readonly owner?: string;
}

/** The terminal messages a table actor handles. */
export type ShardMessage =
  | TerminalMessageOf<'LEASE_ACQUIRE'>
  | TerminalMessageOf<'LEASE_RELEASE'>
  | TerminalMessageOf<'LEASE_HEARTBEAT'>
  | TerminalMessageOf<'ORDER_SNAPSHOT'>
  | TerminalMessageOf<'ORDER_FINALIZE'>
  | TerminalMessageOf<'ORDER_TRANSFER'>
  | TerminalMessageOf<'TABLE_UPDATE'>
  | TerminalMessageOf<'TABLE_LOCK_ACQUIRE'>
  | TerminalMessageOf<'TABLE_LOCK_RELEASE'>
  | TerminalMessageOf<'TABLE_LOCK_HEARTBEAT'>
  | TerminalMessageOf<'TABLE_LOCK_FORCE_ACQUIRE'>;

/** Where the front thread sends a message once it is committed. `stamp` puts the unit's seq on it. */
export type Outbound =
  | { readonly to: 'terminal'; readonly terminalId: string; readonly msg: HubMessage; readonly stamp?: boolean }
  | { readonly to: 'others'; readonly except: string; readonly msg: HubMessage; readonly stamp?: boolean }
  | { readonly to: 'all'; readonly msg: HubMessage; readonly stamp?: boolean };

/** One durable change. The writer applies a unit's ops in one transaction with the other queued units. */
export type WriteOp =
  | {
      readonly op: 'order_put';
      readonly posReference: string;
      readonly homeKey: ActorKey;
      readonly tableId: number | null;
      readonly version: number;
      readonly snapshot: OrderSnapshot | null;
      readonly terminalId: string;
      readonly state: string | null;
    }
  | {
      readonly op: 'lease_put';
      readonly posReference: string;
      readonly homeKey: ActorKey;
      readonly terminalId: string;
      readonly role: string;
      readonly tableId: number | null;
      readonly expiresAt: number;
      readonly epoch: number;
    }
  | { readonly op: 'lease_delete'; readonly posReference: string }
  | {
      readonly op: 'lock_put';
      readonly tableId: number;
      readonly terminalId: string;
      readonly role: string;
      readonly expiresAt: number;
      readonly epoch: number;
    }
  | { readonly op: 'lock_delete'; readonly tableId: number }
  | {
      readonly op: 'table_put';
      readonly tableId: number;
      readonly status: string;
      readonly posReference: string | null;
    }
  | { readonly op: 'floor_plan_put'; readonly plan: FloorPlan }
  | {
      readonly op: 'event';
      readonly type: string;
      readonly posReference: string | null;
      /** The broadcast message, replayed on resume. Every event is broadcast: its id is a seq terminals count on. */
      readonly payload: HubMessage;
      readonly sourceTerminal: string | null;
      /** Present for ORDER_FINALIZE: the event is queued for Odoo (forwarded = 0). */
      readonly finalize?: { readonly snapshot: OrderSnapshot; readonly configId: number; readonly terminalId: string };
    }
  | {
      readonly op: 'mutation';
      readonly terminalId: string;
      /** Principal.owner; '' when absent. */
      readonly owner?: string;
      readonly mutationId: string;
      readonly homeKey: ActorKey;
      readonly posReference: string | null;
      /** Stored with the unit's seq stamped, returned as-is on a replay. */
      readonly result: HubMessage;
    }
  | { readonly op: 'replay'; readonly terminalId: string; readonly owner?: string; readonly mutationId: string }
  | {
      readonly op: 'ticket';
      readonly terminalId: string;
      readonly owner?: string;
      readonly orderType: 'takeout' | 'delivery';
      readonly businessDay: string;
      readonly mutationId?: string;
    };

/** What one input produced: committed atomically, then its messages are delivered in order. */
export interface Unit {
  readonly ops: readonly WriteOp[];
  readonly out: readonly Outbound[];
  /** Epoch ms the frame reached the front (latency metrics). */
  readonly receivedAt?: number;
  /** StageMark (src/ports/metrics.ts) when the shard handed it to the writer: the `to_writer` stage starts here. */
  readonly sentAt?: number;
  /** Half of an ORDER_TRANSFER: the writer commits it only together with its other half, in one transaction. */
  readonly join?: UnitJoin;
  /** The terminal request that produced it: told STORAGE_UNAVAILABLE if the disk refuses the commit. */
  readonly origin?: UnitOrigin;
}

/** Who asked, and the `ref` an ERROR about it carries (the SDK settles the request by it). */
export interface UnitOrigin {
  readonly terminalId: string;
  readonly ref: {
    readonly type: string;
    readonly posReference?: string;
    readonly tableId?: number;
    readonly mutationId?: string;
  };
}

/** Which transfer a unit belongs to and which side produced it (actors/table/transfer-logic.ts). */
export interface UnitJoin {
  readonly txId: string;
  readonly part: 'source' | 'dest';
}

// ---- ORDER_TRANSFER between actors (the steps: actors/table/transfer-logic.ts) --------------------

export type TransferMessage = TerminalMessageOf<'ORDER_TRANSFER'>;

/** Everything either side needs; it travels with every relay so neither actor keeps a pending table. */
export interface TransferRequest {
  readonly txId: string;
  readonly from: Principal;
  readonly msg: TransferMessage;
  readonly fromKey: ActorKey;
  readonly toKey: ActorKey;
  readonly receivedAt?: number;
}

export type PrepareReply =
  | { readonly ok: true; readonly exists: boolean; readonly version: number; readonly snapshot: OrderSnapshot | null }
  | { readonly ok: false; readonly refusal: HubMessage };

/** Actor-to-actor messages (through the front, which routes by key); `now` is added on arrival. */
export type TransferRelay =
  | { readonly type: 'transfer_prepare'; readonly req: TransferRequest }
  | { readonly type: 'transfer_prepared'; readonly req: TransferRequest; readonly reply: PrepareReply }
  | {
      readonly type: 'transfer_apply';
      readonly req: TransferRequest;
      readonly snapshot: OrderSnapshot;
      readonly version: number;
    }
  | { readonly type: 'transfer_abort'; readonly req: TransferRequest };

export interface Relay {
  readonly to: ActorKey;
  readonly event: TransferRelay;
}
