/**
 * The SyncTransport surface a POS frontend codes against, whichever mode is active. Method names and
 * callback shapes are the reference's (reference-system.md §10); additions (state, outbox count,
 * errors, finalization results, resyncs) are extra members, so reference-shaped code keeps working.
 */
import type { HubError } from '../protocol/errors.js';
import type { FloorPlan, SyncInitOrder, TableState } from '../protocol/hub-messages.js';
import type { FloorPlanTableInfo, OrderLine, OrderSnapshot } from '../protocol/snapshot.js';

export type TransportMode = 'direct' | 'hub';

/** The reference syncMachine's connectivity states. */
export type ConnectionState = 'online' | 'offline' | 'reconnecting' | 'hubOffline';

export type Unsubscribe = () => void;

export type LeaseResult =
  | { readonly granted: true; readonly version: number; readonly expiresAt: number; readonly epoch?: number; readonly offline: boolean }
  | { readonly granted: false; readonly holder: string; readonly reason: string; readonly code?: string };

export type TableLockResult =
  | { readonly granted: true; readonly expiresAt?: number; readonly epoch?: number; readonly offline: boolean }
  | { readonly granted: false; readonly lockedBy: string; readonly reason?: string; readonly code?: string };

export interface OrderUpdate {
  readonly posReference: string;
  readonly version: number;
  readonly snapshot: OrderSnapshot;
  readonly sourceTerminal: string;
  readonly seq?: number;
}

export type ConflictStrategy = 'accept_remote' | 'merge' | 'keep_local';

export interface ConflictInfo {
  readonly posReference: string;
  readonly hubVersion: number;
  readonly hubSnapshot: OrderSnapshot | null;
  readonly localSnapshot: OrderSnapshot;
  readonly localBaseVersion: number;
  /** What the SDK did about it (through the order-domain reconciliation). */
  readonly strategy: ConflictStrategy;
  /** The snapshot the terminal should now show. */
  readonly resolvedSnapshot: OrderSnapshot;
  /** Local lines the hub version did not keep (a paid order): staff must ring them again. */
  readonly droppedLocalLines: readonly OrderLine[];
}

export interface SyncInitExtras {
  readonly tables: readonly TableState[];
  readonly floorPlans: readonly FloorPlan[];
  readonly reason?: string;
}

export interface TableUpdate {
  readonly tableId: number;
  readonly status: string;
  readonly posReference?: string;
  readonly sourceTerminal: string;
}

export interface FloorPlanChange {
  readonly floorId: number;
  readonly tables: readonly FloorPlanTableInfo[];
  readonly layoutMode?: string;
  readonly sourceTerminal: string;
}

export type FinalizeResult =
  | { readonly status: 'finalized'; readonly posReference: string; readonly orderId: number; readonly lineIdMap: Readonly<Record<string, number>>; readonly fiscal?: unknown }
  /** Accepted and durable (hub queue or local outbox); ORDER_FINALIZED follows through onOrderFinalized. */
  | { readonly status: 'queued'; readonly posReference: string; readonly reason?: string }
  | { readonly status: 'error'; readonly posReference: string; readonly error: string; readonly retryable: boolean; readonly code?: string };

/** Where an ORDER_TRANSFER or split leaves the two orders, or why nothing moved. */
export type TransferResult =
  | {
      readonly status: 'transferred';
      readonly fromPosReference: string;
      readonly toPosReference: string;
      readonly fromVersion: number;
      readonly toVersion: number;
      /** The two orders as committed (the hub sends them with ORDER_TRANSFERRED). */
      readonly fromSnapshot?: OrderSnapshot;
      readonly toSnapshot?: OrderSnapshot;
    }
  /**
   * Nothing moved (`TRANSFER_INVALID`, `LEASE_HELD`, `ORDER_PAID`, `TRANSFER_BUSY`, …), or the outcome is
   * unknown (`REQUEST_TIMEOUT`, `HUB_UNREACHABLE` after sending): then the ORDER_UPDATEDs or the next
   * SYNC_INIT show whether it was applied. `retryable` says a repeat may succeed.
   */
  | { readonly status: 'error'; readonly code: string; readonly error: string; readonly retryable: boolean };

export interface TransferOptions {
  /** The destination's table when the destination order does not exist yet (default: the source's table). */
  readonly toTableId?: number | null;
}

export interface ResyncInfo {
  /** 'gap': a seq was skipped; 'reset': the hub was reset (close 4005); 'full': resume was not possible. */
  readonly reason: 'gap' | 'reset' | 'full';
  readonly expectedSeq?: number;
  readonly receivedSeq?: number;
}

/** Which hub the terminal is on, the hubs it knows, and whether it is failing over (hub mode). */
export interface HubStatusInfo {
  /** The current hub's socket URL, null while between hubs. */
  readonly url: string | null;
  readonly hubId: string | null;
  /** From AUTH_OK / HUB_STATUS `hub`; null for a hub that does not say (older hubs). */
  readonly hubRole: 'leader' | 'follower' | 'standalone' | null;
  readonly epoch: number | null;
  /** The highest epoch this terminal has seen: a hub below it is not synced from. */
  readonly highestEpoch: number;
  readonly knownHubs: readonly { readonly url: string; readonly id: string | null; readonly role: 'leader' | 'follower' | 'standalone' | null; readonly epoch: number | null; readonly seenAt: number }[];
  /** 'hub': on a usable hub; 'waiting': none for a while, writes queue; 'direct': past hubLossFallbackMs, paid orders go to Odoo. */
  readonly fallback: 'hub' | 'waiting' | 'direct';
  /** Epoch ms since no usable hub has been reachable, or null. */
  readonly hubLostSince: number | null;
  /** True once a usable hub was lost (or said NOT_LEADER) and no other has taken over yet; false while first connecting. */
  readonly failingOver: boolean;
}

export interface SyncTransport {
  readonly mode: TransportMode;
  readonly state: ConnectionState;
  /** Writes queued and not yet confirmed (the terminal page shows it). */
  readonly outboxCount: number;
  /** Set once authenticated (hub mode). */
  readonly terminalId: string | null;
  readonly role: string | null;

  connect(): Promise<void>;
  disconnect(): void;

  /** `tableId` is optional (our addition): where a brand-new order lives, so the hub routes it to its table. */
  acquireLease(posReference: string, version: number, tableId?: number | null): Promise<LeaseResult>;
  releaseLease(posReference: string, finalSnapshot?: OrderSnapshot): void;
  isLeaseHeld(posReference: string): boolean;
  onLeaseRevoked(handler: (posReference: string, reason: string, snapshot?: OrderSnapshot) => void): Unsubscribe;
  /** Any terminal's lease on an order ended (released or expired): the order is free to acquire. Hub mode only. */
  onLeaseReleased(handler: (posReference: string, releasedBy?: string) => void): Unsubscribe;

  /** Queue and send a full snapshot; `version` is the hub version the edit is based on. Returns the mutationId. */
  sendOrderSnapshot(posReference: string, version: number, snapshot: OrderSnapshot): string;
  onOrderUpdated(handler: (update: OrderUpdate) => void): Unsubscribe;
  onConflict(handler: (conflict: ConflictInfo) => void): Unsubscribe;
  onSyncInit(handler: (orders: readonly SyncInitOrder[], extras: SyncInitExtras) => void): Unsubscribe;
  /** This terminal's own write was confirmed (ORDER_ACK) at `version`. */
  onOrderAcked(handler: (posReference: string, version: number, mutationId: string) => void): Unsubscribe;

  sendTableUpdate(tableId: number, status: string, posReference?: string): void;
  onTableUpdated(handler: (update: TableUpdate) => void): Unsubscribe;
  sendFloorPlanUpdate(floorId: number, tables: FloorPlanTableInfo[], layoutMode?: string): void;
  onFloorPlanChanged(handler: (change: FloorPlanChange) => void): Unsubscribe;

  acquireTableLock(tableId: number): Promise<TableLockResult>;
  releaseTableLock(tableId: number): void;
  forceAcquireTableLock(tableId: number): Promise<TableLockResult>;
  onTableLockRevoked(handler: (tableId: number, reason: string) => void): Unsubscribe;
  onTableLockReleased(handler: (tableId: number, releasedBy?: string) => void): Unsubscribe;
  onTableLocked(handler: (tableId: number, lockedBy: string) => void): Unsubscribe;

  /**
   * Move lines (by uid) from one order to another, existing or new, in one hub transaction (ORDER_TRANSFER).
   * Needs the source's lease, and the destination's when it exists. Hub mode and online only.
   */
  transferLines(fromPosReference: string, toPosReference: string, lineUids: readonly string[], options?: TransferOptions): Promise<TransferResult>;
  /** Split lines off into a new check `toPosReference` (ORDER_TRANSFER with `split: true`); this terminal gets its lease. */
  splitOrder(fromPosReference: string, toPosReference: string, lineUids: readonly string[], options?: TransferOptions): Promise<TransferResult>;

  finalizeOrder(posReference: string, snapshot: OrderSnapshot, configId: number): Promise<FinalizeResult>;
  onOrderFinalized(handler: (result: FinalizeResult) => void): Unsubscribe;

  onStateChange(handler: (state: ConnectionState, previous: ConnectionState) => void): Unsubscribe;
  onOutboxChange(handler: (count: number) => void): Unsubscribe;
  onError(handler: (error: HubError) => void): Unsubscribe;
  onResync(handler: (info: ResyncInfo) => void): Unsubscribe;
}
