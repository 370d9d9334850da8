/**
 * The inbox: every hub message, switched exhaustively by type and handed to the room that owns it
 * (order knowledge, grant books, pending requests, transfers) and to the app's listeners; a hub
 * ERROR settles the request it names or is surfaced on onError.
 */
import { HubError } from '../protocol/errors.js';
import type { HubMessage, HubMessageOf, SyncInitOrder } from '../protocol/hub-messages.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';
import type { GrantBooks } from './grant-books.js';
import { PERMANENT_WRITE_ERRORS } from './hub-write-flusher.js';
import type { Listeners } from './listeners.js';
import type { Outbox } from './outbox.js';
import type { OrderKnowledge } from './order-knowledge.js';
import type { PendingRequests, WriteOutcome } from './requests.js';
import type { SeqGate } from './seq-gate.js';
import { parseSnapshot, type Transfers } from './transfers.js';
import type { FinalizeResult, FloorPlanChange, OrderUpdate, ResyncInfo, SyncInitExtras, TableUpdate } from './types.js';

/** The app's listeners the inbox fires (owned by TransportEvents). */
export interface InboxListeners {
  readonly leaseRevoked: Listeners<[string, string, OrderSnapshot | undefined]>;
  readonly leaseReleased: Listeners<[string, string | undefined]>;
  readonly orderUpdated: Listeners<[OrderUpdate]>;
  readonly orderAcked: Listeners<[string, number, string]>;
  readonly syncInits: Listeners<[readonly SyncInitOrder[], SyncInitExtras]>;
  readonly tableUpdated: Listeners<[TableUpdate]>;
  readonly floorPlanChanged: Listeners<[FloorPlanChange]>;
  readonly lockRevoked: Listeners<[number, string]>;
  readonly lockReleased: Listeners<[number, string | undefined]>;
  readonly tableLocked: Listeners<[number, string]>;
  readonly finalized: Listeners<[FinalizeResult]>;
  readonly resyncs: Listeners<[ResyncInfo]>;
}

export interface InboxRooms {
  readonly seq: SeqGate;
  readonly knowledge: OrderKnowledge;
  readonly grants: GrantBooks;
  readonly requests: PendingRequests;
  readonly transfers: Transfers;
  readonly outbox: Outbox;
  /** This terminal's id (AUTH_OK), to tell its own broadcasts from others'. */
  terminalId(): string | null;
  /** Close and resume from the last seq in order. */
  resync(reason: string): void;
  report(error: unknown): void;
}

export class Inbox {
  constructor(
    private readonly rooms: InboxRooms,
    private readonly on: InboxListeners,
  ) {}

  /** A frame on a ready socket: checked against the seq first. */
  received(message: HubMessage): void {
    const verdict = this.rooms.seq.admit(message, (info) => this.on.resyncs.emit(info));
    switch (verdict) {
      case 'skip':
        return;
      case 'apply':
        this.dispatch(message);
        return;
      case 'applyThenResync':
        this.dispatch(message);
        this.rooms.resync('seq gap: resync');
        return;
      case 'resync':
        this.rooms.resync('seq gap: resync');
        return;
      default: {
        const unreachable: never = verdict;
        throw new Error(`unknown admission ${String(unreachable)}`);
      }
    }
  }

  syncInit(message: HubMessageOf<'SYNC_INIT'>): void {
    const full = this.rooms.seq.syncInit(message.seq);
    this.rooms.knowledge.applySyncInit(message.orders);
    if (full) this.on.resyncs.emit({ reason: 'full' });
    this.on.syncInits.emit(message.orders, { tables: message.tables ?? [], floorPlans: message.floorPlans ?? [], ...(message.reason === undefined ? {} : { reason: message.reason }) });
  }

  dispatch(message: HubMessage): void {
    const { knowledge, grants, requests } = this.rooms;
    switch (message.type) {
      case 'AUTH_OK':
      case 'AUTH_FAIL':
      case 'HEARTBEAT_ACK':
      case 'HUB_STATUS':
      case 'RECORDS_QUARANTINED':
      case 'TICKET_NUMBER':
        return;
      case 'SYNC_INIT':
        this.syncInit(message);
        return;
      case 'SYNC_RESUME':
        this.rooms.seq.syncResume(message.fromSeq);
        return;
      case 'LEASE_GRANTED':
        grants.granted(message);
        knowledge.noteVersion(message.posReference, message.version);
        return;
      case 'LEASE_DENIED': {
        const hadRequest = grants.denied(message) || this.rooms.transfers.refuse({ posReference: message.posReference }, message.code ?? 'LEASE_HELD', message.reason);
        if (!hadRequest) this.settleInFlightOrder(message.posReference, { kind: 'lease-denied', reason: `${message.reason} (holder ${message.holder})` });
        return;
      }
      case 'LEASE_REVOKED':
        grants.revoked(message.posReference);
        this.on.leaseRevoked.emit(message.posReference, message.reason, message.snapshot);
        return;
      case 'LEASE_RELEASED':
        knowledge.noteVersion(message.posReference, message.version);
        // Hubs before the broadcast sent it to the releaser only, without releasedBy.
        this.on.leaseReleased.emit(message.posReference, message.releasedBy);
        return;
      case 'ORDER_UPDATED':
        knowledge.noteVersion(message.posReference, message.version);
        knowledge.noteSnapshot(message.posReference, message.version, message.snapshot);
        this.on.orderUpdated.emit({
          posReference: message.posReference,
          version: message.version,
          snapshot: message.snapshot,
          sourceTerminal: message.sourceTerminal,
          ...(message.seq === undefined ? {} : { seq: message.seq }),
        });
        return;
      case 'ORDER_ACK': {
        knowledge.noteVersion(message.posReference, message.version);
        knowledge.noteAcked(message.posReference, message.version);
        grants.advanced(message.posReference, message.version);
        const outcome: WriteOutcome = { kind: 'ack', version: message.version };
        const settled = message.mutationId !== undefined && requests.write.resolve(message.mutationId, outcome);
        if (!settled) this.settleInFlightOrder(message.posReference, outcome);
        if (message.mutationId !== undefined) this.on.orderAcked.emit(message.posReference, message.version, message.mutationId);
        return;
      }
      case 'CONFLICT': {
        knowledge.noteVersion(message.posReference, message.hubVersion);
        const outcome: WriteOutcome = { kind: 'conflict', message };
        const settled = message.mutationId !== undefined && requests.write.resolve(message.mutationId, outcome);
        if (!settled) this.settleInFlightOrder(message.posReference, outcome);
        return;
      }
      case 'ORDER_TRANSFERRED': {
        // The hub adds both committed snapshots (loose fields), so later edits start from them.
        const fromSnapshot = parseSnapshot(message.fromSnapshot);
        const toSnapshot = parseSnapshot(message.toSnapshot);
        for (const [ref, version, snapshot] of [
          [message.fromPosReference, message.fromVersion, fromSnapshot],
          [message.toPosReference, message.toVersion, toSnapshot],
        ] as const) {
          knowledge.noteVersion(ref, version);
          knowledge.noteSnapshot(ref, version, snapshot);
          grants.advanced(ref, version);
        }
        grants.adoptIfGranted(message.toPosReference);
        this.rooms.transfers.transferred(message, fromSnapshot, toSnapshot);
        return;
      }
      case 'ORDER_FINALIZE_QUEUED':
        requests.finalize.resolve(message.posReference, { result: { status: 'queued', posReference: message.posReference, ...(message.reason === undefined ? {} : { reason: message.reason }) } });
        return;
      case 'ORDER_FINALIZED': {
        const result: FinalizeResult = {
          status: 'finalized',
          posReference: message.posReference,
          orderId: message.orderId,
          lineIdMap: message.lineIdMap,
          ...(message.fiscal === undefined ? {} : { fiscal: message.fiscal }),
        };
        requests.finalize.resolve(message.posReference, { result });
        this.on.finalized.emit(result);
        return;
      }
      case 'ORDER_FINALIZE_ERROR': {
        const result: FinalizeResult = {
          status: 'error',
          posReference: message.posReference,
          error: message.error,
          retryable: message.retryable,
          ...(message.code === undefined ? {} : { code: message.code }),
        };
        requests.finalize.resolve(message.posReference, { result });
        this.on.finalized.emit(result);
        return;
      }
      case 'TABLE_LOCK_GRANTED':
        grants.lockGranted(message);
        return;
      case 'TABLE_LOCK_DENIED':
        grants.lockDenied(message);
        return;
      case 'TABLE_LOCK_REVOKED':
        grants.lockGone(message.tableId);
        this.on.lockRevoked.emit(message.tableId, message.reason);
        return;
      case 'TABLE_LOCKED':
        if (message.lockedBy !== this.rooms.terminalId() && grants.lockHeldByMe(message.tableId)) {
          // Someone else holds it now (a manager's force): our grant is gone.
          grants.lockGone(message.tableId);
          this.on.lockRevoked.emit(message.tableId, `locked by ${message.lockedBy}`);
        }
        this.on.tableLocked.emit(message.tableId, message.lockedBy);
        return;
      case 'TABLE_LOCK_RELEASED':
        if (grants.lockHeldByMe(message.tableId) && message.releasedBy !== this.rooms.terminalId()) grants.lockGone(message.tableId);
        this.on.lockReleased.emit(message.tableId, message.releasedBy);
        return;
      case 'TABLE_UPDATED':
        // Our own TABLE_UPDATE comes back to us too: that is its confirmation.
        if (message.sourceTerminal === this.rooms.terminalId()) requests.table.resolve(message.tableId, { kind: 'ack' });
        this.on.tableUpdated.emit({
          tableId: message.tableId,
          status: message.status,
          ...(message.posReference === undefined ? {} : { posReference: message.posReference }),
          sourceTerminal: message.sourceTerminal,
        });
        return;
      case 'FLOOR_PLAN_CHANGED':
        if (message.sourceTerminal === this.rooms.terminalId()) requests.floor.resolve(message.floorId, { kind: 'ack' });
        this.on.floorPlanChanged.emit({
          floorId: message.floorId,
          tables: message.tables,
          ...(message.layoutMode === undefined ? {} : { layoutMode: message.layoutMode }),
          sourceTerminal: message.sourceTerminal,
        });
        return;
      case 'ERROR':
        this.hubError(message);
        return;
      default: {
        const unreachable: never = message;
        this.rooms.report(new HubError('UNKNOWN_TYPE', `unhandled hub message ${(unreachable as { type: string }).type}`));
      }
    }
  }

  /** ERROR{code, message, ref}: settle whatever request it refers to, else surface it. */
  private hubError(message: HubMessageOf<'ERROR'>): void {
    const { grants, requests, transfers } = this.rooms;
    const ref = message.ref;
    const outcome: WriteOutcome = { kind: 'error', code: message.code, message: message.message, ...(message.retryAfterMs === undefined ? {} : { retryAfterMs: message.retryAfterMs }) };
    if (ref?.mutationId !== undefined && requests.write.resolve(ref.mutationId, outcome)) return;
    switch (ref?.type) {
      case 'ORDER_TRANSFER':
        if (transfers.refuse({ mutationId: ref.mutationId, posReference: ref.posReference }, message.code, message.message)) return;
        break;
      case 'LEASE_ACQUIRE':
        if (ref.posReference !== undefined && grants.refuseLease(ref.posReference, message.code, message.message)) return;
        break;
      case 'TABLE_LOCK_ACQUIRE':
      case 'TABLE_LOCK_FORCE_ACQUIRE':
        if (ref.tableId !== undefined && grants.refuseLock(ref.tableId, message.code, message.message)) return;
        break;
      case 'ORDER_FINALIZE':
        if (ref.posReference !== undefined) {
          const result: FinalizeResult = { status: 'error', posReference: ref.posReference, error: message.message, retryable: !PERMANENT_WRITE_ERRORS.has(message.code), code: message.code };
          if (requests.finalize.resolve(ref.posReference, { result, ...(message.retryAfterMs === undefined ? {} : { retryAfterMs: message.retryAfterMs }) })) return;
        }
        break;
      case 'ORDER_SNAPSHOT':
        if (ref.posReference !== undefined && this.settleInFlightOrder(ref.posReference, outcome)) return;
        break;
      case 'TABLE_UPDATE':
        if (ref.tableId !== undefined && requests.table.resolve(ref.tableId, outcome)) return;
        break;
      case 'FLOOR_PLAN_UPDATE': {
        // The refusal names the mutation, not the floor: it belongs to the floor plan in flight.
        const entry = this.inFlight();
        if (entry?.action === 'floor-plans/update' && (ref.mutationId === undefined || ref.mutationId === entry.payload.mutationId) && requests.floor.resolve(entry.payload.floorId, outcome)) return;
        break;
      }
      case 'LEASE_RELEASE':
        // Releasing what already expired (a release replayed after a reconnect) is not worth an alarm.
        if (message.code === 'LEASE_NOT_HELD') return;
        break;
      case 'TABLE_LOCK_RELEASE':
        if (message.code === 'LOCK_NOT_HELD') return;
        break;
      default:
        break;
    }
    this.rooms.report(new HubError(message.code, message.message, { details: ref }));
  }

  private inFlight(): ReturnType<Outbox['get']> {
    const id = this.rooms.outbox.inFlightId;
    return id === null ? undefined : this.rooms.outbox.get(id);
  }

  /** A reply without a mutationId (an older hub): it belongs to the in-flight write of that order. */
  private settleInFlightOrder(posReference: string, outcome: WriteOutcome): boolean {
    const entry = this.inFlight();
    if ((entry?.action !== 'orders/update' && entry?.action !== 'orders/create') || entry.payload.pos_reference !== posReference) return false;
    return this.rooms.requests.write.resolve(entry.id, outcome);
  }
}
