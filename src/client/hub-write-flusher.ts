/**
 * Sends one outbox entry to the hub and settles it: removed on ORDER_ACK (or the finalize reply),
 * rescheduled with backoff on a transient failure, dropped and reported on a permanent refusal, and
 * on CONFLICT reconciled through the order domain and re-queued on the hub's version. It also keeps,
 * per queued snapshot, the hub snapshot the edit started from (the base of a three-way merge).
 */
import { HubError, type ErrorCode } from '../protocol/errors.js';
import type { HubMessageOf } from '../protocol/hub-messages.js';
import type { FloorPlanTableInfo, OrderSnapshot } from '../protocol/snapshot.js';
import type { TerminalMessage } from '../protocol/terminal-messages.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { ClientClock } from './deps.js';
import type { Outbox } from './outbox.js';
import type { OutboxEntry } from './outbox-store.js';
import { sameSnapshot, type Reconciler } from './reconcile.js';
import type { PendingRequests } from './requests.js';
import type { ConflictInfo, FinalizeResult, LeaseResult } from './types.js';

export type WriteOutcome =
  | { readonly kind: 'ack'; readonly version: number }
  | { readonly kind: 'conflict'; readonly message: HubMessageOf<'CONFLICT'> }
  | { readonly kind: 'lease-denied'; readonly reason: string }
  | { readonly kind: 'error'; readonly code: ErrorCode; readonly message: string };

export interface SnapshotPayload {
  readonly posReference: string;
  readonly baseVersion: number;
  readonly snapshot: OrderSnapshot;
  readonly mutationId: string;
}

/** Errors that will fail the same way however often the write is retried: drop and report. */
export const PERMANENT_WRITE_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_MESSAGE',
  'UNKNOWN_TYPE',
  'BAD_JSON',
  'BAD_FRAME',
  'PAYLOAD_TOO_LARGE',
  'ORDER_PAID',
  'INVALID_TRANSITION',
  'CHECKOUT_EMPTY',
  'KITCHEN_STATUS_MISMATCH',
  'TRANSFER_INVALID',
  'FORBIDDEN',
  'ODOO_REJECTED',
  // The hub's input bounds (README "Security"): the same frame is refused again.
  'FRAME_TOO_LARGE',
  'FRAME_TOO_DEEP',
  'FRAME_TOO_MANY_KEYS',
  'FRAME_ARRAY_TOO_LONG',
  'FRAME_STRING_TOO_LONG',
  'PASSTHROUGH_TOO_LARGE',
  'FLOOR_PLAN_TOO_LARGE',
  'ORDER_VALUE_INVALID',
  'ORDER_TOTALS_MISMATCH',
]);

/** What the flusher needs from the transport that owns the socket, the leases and the versions. */
export interface FlushHost {
  readonly outbox: Outbox;
  readonly requests: PendingRequests;
  readonly clock: ClientClock;
  readonly random: () => number;
  readonly newId: () => string;
  readonly requestTimeoutMs: number;
  readonly outboxBackoff: BackoffPolicy;
  readonly reconcile: Reconciler;
  /** Online and synced. */
  isReady(): boolean;
  /** False when the socket is not open. */
  send(message: TerminalMessage): boolean;
  /** True when the hub granted this order's lease on the current socket. */
  leaseOnSocket(posReference: string): boolean;
  leaseEpoch(posReference: string): number | undefined;
  requestLease(posReference: string, baseVersion: number): Promise<LeaseResult>;
  /** The hub says we do not hold it (any more): ask again before the next write. */
  forgetLease(posReference: string): void;
  ackedVersion(posReference: string): number;
  noteAcked(posReference: string, version: number): void;
  noteSnapshot(posReference: string, version: number, snapshot: OrderSnapshot | null): void;
  releaseIfIdle(posReference: string): void;
  emitConflict(info: ConflictInfo): void;
  report(error: unknown): void;
}

/** The snapshot write inside an entry (`_hubSnapshot`, or a direct-mode `orders/create` entry). */
export function snapshotPayloadOf(entry: OutboxEntry): SnapshotPayload | null {
  const inner = entry.payload._hubSnapshot as SnapshotPayload | undefined;
  if (inner && typeof inner.posReference === 'string') return inner;
  const snapshot = entry.payload.snapshot as OrderSnapshot | undefined;
  if (snapshot && typeof entry.payload.pos_reference === 'string') {
    return { posReference: entry.payload.pos_reference, baseVersion: 0, snapshot, mutationId: entry.id };
  }
  return null;
}

export class HubWriteFlusher {
  /** Per queued snapshot (by mutationId): the hub snapshot its edit started from. */
  private readonly bases = new Map<string, OrderSnapshot>();

  constructor(private readonly host: FlushHost) {}

  /** Remember where a new write started; a write it replaced started at the same place. */
  noteBase(mutationId: string, base: OrderSnapshot | null, replaced: readonly string[]): void {
    if (base !== null) this.bases.set(mutationId, base);
    for (const id of replaced) {
      const old = this.bases.get(id);
      this.bases.delete(id);
      if (old && !this.bases.has(mutationId)) this.bases.set(mutationId, old);
    }
  }

  drop(id: string): void {
    this.host.outbox.remove(id);
    this.bases.delete(id);
  }

  private retryLater(entry: OutboxEntry, error: string): void {
    this.host.outbox.fail(entry.id, error, this.host.clock.now() + backoffDelay(this.host.outboxBackoff, entry.attempts, this.host.random));
  }

  /** Send one entry and settle it: removed on its confirmation, rescheduled on a transient failure. */
  async flush(entry: OutboxEntry): Promise<void> {
    if (!this.host.isReady()) return;
    const socket = this.host;
    switch (entry.action) {
      case 'orders/update':
      case 'orders/create':
        await this.flushSnapshot(entry);
        return;
      case 'orders/finalize': {
        const p = entry.payload as { pos_reference: string; snapshot: OrderSnapshot; configId: number; mutationId: string };
        this.host.outbox.setInFlight(entry.id);
        const result = this.waitFinalize(p.pos_reference);
        if (!socket.send({ type: 'ORDER_FINALIZE', posReference: p.pos_reference, snapshot: p.snapshot, configId: p.configId, mutationId: p.mutationId })) return;
        const outcome = await result;
        if (outcome.status === 'error' && outcome.retryable) this.retryLater(entry, outcome.error);
        else this.host.outbox.remove(entry.id);
        this.host.outbox.setInFlight(null);
        return;
      }
      case 'tables/update': {
        const p = entry.payload as { tableId: number; status: string; posReference?: string; mutationId: string };
        // No reply exists for TABLE_UPDATE: sent is done (the mutationId lets the hub drop a replay).
        if (socket.send({ type: 'TABLE_UPDATE', tableId: p.tableId, status: p.status, mutationId: p.mutationId, ...(p.posReference === undefined ? {} : { posReference: p.posReference }) })) this.host.outbox.remove(entry.id);
        return;
      }
      case 'floor-plans/update': {
        const p = entry.payload as { floorId: number; tables: FloorPlanTableInfo[]; layoutMode?: string; mutationId: string };
        if (socket.send({ type: 'FLOOR_PLAN_UPDATE', floorId: p.floorId, tables: p.tables, mutationId: p.mutationId, ...(p.layoutMode === undefined ? {} : { layoutMode: p.layoutMode }) })) this.host.outbox.remove(entry.id);
        return;
      }
      default: {
        const unreachable: never = entry.action;
        this.host.outbox.remove(entry.id);
        this.host.report(new HubError('INTERNAL', `unknown outbox action ${String(unreachable)}`));
      }
    }
  }

  waitFinalize(posReference: string): Promise<FinalizeResult> {
    return this.host.requests
      .wait<FinalizeResult>(`fin:${posReference}`, this.host.requestTimeoutMs, () => new HubError('REQUEST_TIMEOUT', `no answer to ORDER_FINALIZE for ${posReference}`, { retryable: true }))
      .catch((error: unknown): FinalizeResult => ({ status: 'error', posReference, error: error instanceof Error ? error.message : String(error), retryable: true, code: error instanceof HubError ? error.code : 'INTERNAL' }));
  }

  private async flushSnapshot(entry: OutboxEntry): Promise<void> {
    const payload = snapshotPayloadOf(entry);
    if (payload === null) {
      this.host.outbox.remove(entry.id);
      this.host.report(new HubError('INVALID_MESSAGE', `outbox entry ${entry.id} has no snapshot; dropped`));
      return;
    }
    const { posReference } = payload;
    // A write needs the lease on this socket; take it if the app did not (or it lapsed while offline).
    if (!this.host.leaseOnSocket(posReference)) {
      let lease: LeaseResult;
      try {
        lease = await this.host.requestLease(posReference, payload.baseVersion);
      } catch (error) {
        this.retryLater(entry, error instanceof Error ? error.message : String(error));
        return;
      }
      if (!lease.granted) {
        if (entry.attempts === 0) {
          this.host.report(new HubError('LEASE_HELD', `queued edits of ${posReference} wait: ${lease.reason} (holder ${lease.holder})`, { retryable: true, details: { posReference, holder: lease.holder } }));
        }
        this.retryLater(entry, `lease denied: ${lease.reason} (holder ${lease.holder})`);
        return;
      }
      if (lease.offline) return; // the socket dropped meanwhile
    }
    if (!this.host.isReady()) return;
    const socket = this.host;
    const baseVersion = Math.max(payload.baseVersion, this.host.ackedVersion(posReference));
    const epoch = this.host.leaseEpoch(posReference);
    this.host.outbox.setInFlight(entry.id);
    const reply = this.host.requests.wait<WriteOutcome>(`mut:${entry.id}`, this.host.requestTimeoutMs, () => new HubError('REQUEST_TIMEOUT', `no answer to ORDER_SNAPSHOT ${entry.id} for ${posReference}`, { retryable: true }));
    if (!socket.send({ type: 'ORDER_SNAPSHOT', posReference, baseVersion, snapshot: payload.snapshot, mutationId: entry.id, ...(epoch === undefined ? {} : { epoch }) })) {
      this.host.requests.reject(`mut:${entry.id}`, new HubError('HUB_UNREACHABLE', 'socket closed', { retryable: true }));
      await reply.catch(() => undefined);
      return;
    }
    let outcome: WriteOutcome;
    try {
      outcome = await reply;
    } catch (error) {
      this.host.outbox.setInFlight(null);
      if (this.host.outbox.get(entry.id)) this.retryLater(entry, error instanceof Error ? error.message : String(error));
      return;
    }
    this.host.outbox.setInFlight(null);
    switch (outcome.kind) {
      case 'ack':
        this.host.noteSnapshot(posReference, outcome.version, payload.snapshot);
        this.drop(entry.id);
        this.host.releaseIfIdle(posReference);
        return;
      case 'conflict':
        this.resolveConflict(entry, payload, outcome.message);
        return;
      case 'lease-denied': {
        this.host.forgetLease(posReference);
        this.retryLater(entry, `lease not held: ${outcome.reason}`);
        return;
      }
      case 'error':
        if (outcome.code === 'LEASE_NOT_HELD' || outcome.code === 'STALE_EPOCH') {
          this.host.forgetLease(posReference);
          this.retryLater(entry, `${outcome.code}: ${outcome.message}`);
        } else if (outcome.code === 'VERSION_CONFLICT') {
          this.retryLater(entry, `${outcome.code}: ${outcome.message}`);
        } else if (PERMANENT_WRITE_ERRORS.has(outcome.code)) {
          this.drop(entry.id);
          this.host.releaseIfIdle(posReference);
          this.host.report(new HubError(outcome.code, `snapshot for ${posReference} refused and dropped: ${outcome.message}`, { details: { posReference, mutationId: entry.id } }));
        } else {
          this.retryLater(entry, `${outcome.code}: ${outcome.message}`);
        }
        return;
      default: {
        const unreachable: never = outcome;
        throw new Error(`unknown write outcome ${String(unreachable)}`);
      }
    }
  }

  /** CONFLICT: the hub has a newer version. Reconcile; re-send the merged result on the hub's version. */
  private resolveConflict(entry: OutboxEntry, payload: SnapshotPayload, conflict: HubMessageOf<'CONFLICT'>): void {
    const { posReference } = payload;
    if (sameSnapshot(conflict.hubSnapshot, payload.snapshot)) {
      // The hub already holds exactly this write (a replay of a committed mutation): it is done.
      this.host.noteAcked(posReference, conflict.hubVersion);
      this.host.noteSnapshot(posReference, conflict.hubVersion, conflict.hubSnapshot);
      this.drop(entry.id);
      this.host.releaseIfIdle(posReference);
      return;
    }
    this.host.noteSnapshot(posReference, conflict.hubVersion, conflict.hubSnapshot);
    const outcome = this.host.reconcile({
      local: payload.snapshot,
      localBaseVersion: payload.baseVersion,
      remote: conflict.hubSnapshot,
      remoteVersion: conflict.hubVersion,
      base: this.bases.get(entry.id) ?? null,
    });
    // The hub's version is now our base for this order.
    this.host.noteAcked(posReference, conflict.hubVersion);
    this.host.emitConflict({
      posReference,
      hubVersion: conflict.hubVersion,
      hubSnapshot: conflict.hubSnapshot,
      localSnapshot: payload.snapshot,
      localBaseVersion: payload.baseVersion,
      strategy: outcome.strategy,
      resolvedSnapshot: outcome.snapshot,
      droppedLocalLines: outcome.droppedLocalLines,
    });
    if (!outcome.resend || entry.attempts >= 20) {
      this.drop(entry.id);
      this.host.releaseIfIdle(posReference);
      return;
    }
    const mutationId = this.host.newId();
    const next: SnapshotPayload = { posReference, baseVersion: conflict.hubVersion, snapshot: outcome.snapshot, mutationId };
    this.bases.delete(entry.id);
    if (conflict.hubSnapshot) this.bases.set(mutationId, conflict.hubSnapshot);
    this.host.outbox.rewrite(entry.id, mutationId, { pos_reference: posReference, _hubSnapshot: next });
  }
}
