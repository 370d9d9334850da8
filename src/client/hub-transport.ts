/**
 * HubTransport: the SyncTransport over a WebSocket to the hub, as a facade over its rooms — the
 * connection (hub-connection.ts), the seq gate (seq-gate.ts), the grant books (grant-books.ts), the
 * inbox (inbox.ts), transfers (transfers.ts) and the durable outbox with its pump and writer
 * (outbox-pump.ts, hub-write-flusher.ts). This file only wires them and answers the public API.
 */
import { LEASE_HEARTBEAT_MS, REQUEST_TIMEOUT_MS, TABLE_LOCK_HEARTBEAT_MS, type Encoding } from '../protocol/constants.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import { HubError } from '../protocol/errors.js';
import type { FloorPlanTableInfo, OrderSnapshot } from '../protocol/snapshot.js';
import { OUTBOX_BACKOFF, RECONNECT_BACKOFF, type BackoffPolicy } from './backoff.js';
import type { ResolvedDeps, WebSocketCtor } from './deps.js';
import type { HubCandidate } from './discovery.js';
import { GrantBooks } from './grant-books.js';
import { HubBook, memoryHubBookStore, type HubBookStore } from './hub-book.js';
import { HubConnection } from './hub-connection.js';
import { HubFailover } from './hub-failover.js';
import { HUB_LOSS_FALLBACK_MS, HubLossFallback, type DirectEngine } from './hub-loss-fallback.js';
import { HubWriteFlusher } from './hub-write-flusher.js';
import { Inbox } from './inbox.js';
import { Outbox } from './outbox.js';
import { OutboxPump } from './outbox-pump.js';
import type { OutboxEntry, OutboxStore } from './outbox-store.js';
import { OrderKnowledge } from './order-knowledge.js';
import type { Reconciler } from './reconcile.js';
import { PendingRequests } from './requests.js';
import { SeqGate } from './seq-gate.js';
import { TransportEvents } from './transport-events.js';
import { Transfers } from './transfers.js';
import type { ConnectionState, FinalizeResult, HubStatusInfo, LeaseResult, SyncTransport, TableLockResult, TransferOptions, TransferResult, Unsubscribe } from './types.js';

export { CLIENT_CLOSE } from './hub-connection.js';

export interface HubTransportOptions {
  /** Candidate hub URLs in the order to try (see discovery.ts); re-read after every full round of failures. */
  readonly urls: () => Promise<readonly HubCandidate[]>;
  readonly token: string;
  readonly deviceId: string;
  /** 'msgpack' offers the pos-hub.msgpack.v1 subprotocol; the hub may still answer JSON. */
  readonly encoding?: Encoding;
  readonly requestTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly leaseHeartbeatMs?: number;
  readonly tableLockHeartbeatMs?: number;
  /** Idle time before a HEARTBEAT probe; no frame within requestTimeoutMs after it closes the socket. */
  readonly livenessMs?: number;
  readonly reconnectBackoff?: BackoffPolicy;
  readonly outboxBackoff?: BackoffPolicy;
  /** Consecutive failed attempts before the state says 'hubOffline' rather than 'reconnecting'. */
  readonly hubOfflineAfter?: number;
  /** Consecutive gap resyncs by resume before asking for a full SYNC_INIT instead. */
  readonly maxResumeResyncs?: number;
  readonly reconcile: Reconciler;
  /** Time with no usable hub before paid orders go to Odoo directly (default 60 s); never sooner. */
  readonly hubLossFallbackMs?: number;
}

export interface HubTransportDeps extends ResolvedDeps {
  readonly WebSocket: WebSocketCtor;
  readonly outboxStore: OutboxStore;
  /** Where the hubs this terminal has seen are remembered (next to the outbox; memory by default). */
  readonly hubBookStore: HubBookStore | undefined;
  /** The direct-Odoo engine for the hub-loss fallback; null when the bootstrap has no direct-mode fields. */
  readonly directFallback?: DirectEngine | null;
}

export class HubTransport extends TransportEvents implements SyncTransport {
  readonly mode = 'hub' as const;

  private readonly outbox: Outbox;
  private readonly requests: PendingRequests;
  private readonly knowledge = new OrderKnowledge();
  private readonly seq: SeqGate;
  private readonly connection: HubConnection;
  private readonly grants: GrantBooks;
  private readonly transfers: Transfers;
  private readonly flusher: HubWriteFlusher;
  private readonly pump: OutboxPump;
  private readonly inbox: Inbox;
  private readonly failover: HubFailover;
  private myTerminalId: string | null = null;
  private myRole: string | null = null;

  constructor(options: HubTransportOptions, private readonly deps: HubTransportDeps) {
    super();
    const { clock, random, newId } = deps;
    const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.outbox = new Outbox(deps.outboxStore, clock);
    this.requests = new PendingRequests(clock);
    this.seq = new SeqGate(options.maxResumeResyncs ?? 3);
    const fallback = new HubLossFallback(clock, options.hubLossFallbackMs ?? HUB_LOSS_FALLBACK_MS, deps.directFallback ?? null, {
      queuedFinalizations: () => this.outbox.list().flatMap((e) => (e.action === 'orders/finalize' ? [{ posReference: e.payload.pos_reference, snapshot: e.payload.snapshot, configId: e.payload.configId }] : [])),
      orderUpdated: (update) => this.orderUpdated.emit(update),
      finalized: (result) => this.finalized.emit(result),
      report: this.report,
      changed: () => this.failover.emit(),
    });
    this.failover = new HubFailover(new HubBook(deps.hubBookStore ?? memoryHubBookStore(), clock), fallback, {
      connection: { get currentUrl() { return connection.currentUrl; }, get isRunning() { return connection.isRunning; }, moveOn: (code, reason) => connection.moveOn(code, reason) },
      seq: this.seq,
      report: this.report,
    });
    const connection = new HubConnection(
      {
        urls: this.failover.urls(options.urls),
        token: options.token,
        deviceId: options.deviceId,
        encoding: options.encoding ?? 'json',
        requestTimeoutMs,
        connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
        livenessMs: options.livenessMs ?? 20_000,
        reconnectBackoff: options.reconnectBackoff ?? RECONNECT_BACKOFF,
        hubOfflineAfter: options.hubOfflineAfter ?? 3,
        WebSocket: deps.WebSocket,
        clock,
        random,
        isNetworkUp: deps.isNetworkUp,
      },
      {
        resumeFrom: () => this.failover.resumeFrom(),
        authenticated: (message, url) => {
          const verdict = this.failover.authenticated(message, url);
          if (verdict === 'accept') {
            this.myTerminalId = message.terminalId;
            this.myRole = message.role;
          }
          return verdict;
        },
        synced: (message) => (message.type === 'SYNC_INIT' ? this.inbox.syncInit(message) : this.seq.syncResume(message.fromSeq)),
        ready: () => this.onReady(),
        frame: (message, ready) => {
          if (message.type === 'ERROR' && message.code === 'NOT_LEADER') {
            // Not settled here: leaving the socket settles what waits on it, and the outbox resends on the leader.
            this.failover.notLeader(message);
            return;
          }
          if (message.type === 'HUB_STATUS') this.failover.hubStatus(message);
          if (ready) this.inbox.received(message);
          else this.inbox.dispatch(message);
        },
        dropped: (code) => {
          this.onDropped(code);
          this.failover.dropped();
        },
        state: (next, previous) => {
          // Stopped for good (token refused, device replaced elsewhere, disconnect): no hub-loss clock, no fallback.
          if (next === 'offline' && !connection.isRunning) this.failover.stopped();
          this.stateChanges.emit(next, previous);
        },
        report: this.report,
      },
    );
    this.connection = connection;
    const link = this.connection;
    this.grants = new GrantBooks(
      link,
      this.requests,
      this.knowledge,
      this.outbox,
      { clock, requestTimeoutMs, leaseHeartbeatMs: options.leaseHeartbeatMs ?? LEASE_HEARTBEAT_MS, tableLockHeartbeatMs: options.tableLockHeartbeatMs ?? TABLE_LOCK_HEARTBEAT_MS },
      {
        leaseRevoked: (posReference, reason) => this.leaseRevoked.emit(posReference, reason, undefined),
        lockRevoked: (tableId, reason) => this.lockRevoked.emit(tableId, reason),
        report: this.report,
      },
    );
    this.transfers = new Transfers(link, this.requests, newId, requestTimeoutMs);
    this.flusher = new HubWriteFlusher(
      this.outbox,
      this.requests,
      { link, leases: this.grants, knowledge: this.knowledge, conflict: (info) => this.conflicts.emit(info), report: this.report },
      { clock, random, newId, requestTimeoutMs, outboxBackoff: options.outboxBackoff ?? OUTBOX_BACKOFF, reconcile: options.reconcile },
    );
    this.pump = new OutboxPump(this.outbox, clock, { get isReady() { return link.isReady; }, flush: (entry) => this.flusher.flush(entry), report: this.report });
    this.inbox = new Inbox(
      {
        seq: this.seq,
        knowledge: this.knowledge,
        grants: this.grants,
        requests: this.requests,
        transfers: this.transfers,
        outbox: this.outbox,
        terminalId: () => this.myTerminalId,
        resync: (reason) => this.connection.resync(reason),
        report: this.report,
      },
      {
        leaseRevoked: this.leaseRevoked,
        leaseReleased: this.leaseReleased,
        orderUpdated: this.orderUpdated,
        orderAcked: this.orderAcked,
        syncInits: this.syncInits,
        tableUpdated: this.tableUpdated,
        floorPlanChanged: this.floorPlanChanged,
        lockRevoked: this.lockRevoked,
        lockReleased: this.lockReleased,
        tableLocked: this.tableLocked,
        finalized: this.finalized,
        resyncs: this.resyncs,
      },
    );
  }

  // ── Read-only surface ────────────────────────────────────────────────────────────────────────

  get state(): ConnectionState {
    return this.connection.state;
  }
  get outboxCount(): number {
    return this.outbox.count;
  }
  get terminalId(): string | null {
    return this.myTerminalId;
  }
  get role(): string | null {
    return this.myRole;
  }
  /** The last seq applied in order (what a reconnect resumes from). */
  get lastSeq(): number | undefined {
    return this.seq.lastSeq;
  }
  /** The queued writes, oldest first (diagnostics and the terminal page). */
  outboxEntries(): readonly OutboxEntry[] {
    return this.outbox.list();
  }
  /** The hub the terminal is on, its role and epoch, the hubs it knows, and the fallback phase. */
  get hubStatus(): HubStatusInfo {
    return this.failover.status;
  }
  onHubStatusChange(handler: (status: HubStatusInfo) => void): Unsubscribe {
    return this.failover.onChange(handler);
  }
  /** The encoding of the current socket ('json' until negotiated). */
  get encoding(): Encoding | null {
    return this.connection.encoding;
  }

  // ── Lifecycle ────────────────────────────────────────────────────────────────────────────────

  /** Resolves once online, or once the first attempt has failed (work continues offline); rejects if AUTH is refused. */
  connect(): Promise<void> {
    if (!this.connection.isRunning) this.failover.connecting();
    return this.connection.connect();
  }

  disconnect(): void {
    this.pump.stop();
    this.connection.disconnect();
    this.failover.stopped();
  }

  private onReady(): void {
    this.failover.ready();
    this.grants.ready();
    this.outbox.resetSchedule();
    this.pump.schedule(0);
  }

  /** The socket is gone: grants lapse, waiting requests settle offline, writes stay queued. */
  private onDropped(code: number): void {
    this.pump.stop();
    const inFlight = this.outbox.inFlightId;
    if (code === CLOSE_CODES.MESSAGE_TOO_BIG.code && inFlight !== null) {
      // Re-sending the same frame would close the socket again, forever.
      this.flusher.drop(inFlight);
      this.report(new HubError('PAYLOAD_TOO_LARGE', `outbox entry ${inFlight} is larger than the hub accepts; dropped`));
    }
    this.grants.dropped();
    for (const key of this.requests.keys()) {
      switch (key.kind) {
        case 'lease':
        case 'lock':
          break; // settled by the grant books as optimistic offline grants
        case 'finalize':
          // Not 'queued': that is the hub's word for "durable on my side", and the outbox would drop the
          // entry. The hub may never have seen it; it stays in the outbox and goes again (same mutationId).
          this.requests.finalize.resolve(key.posReference, { result: { status: 'error', posReference: key.posReference, error: 'connection lost before the hub answered: kept in the outbox', retryable: true, code: 'HUB_UNREACHABLE' } });
          break;
        case 'write':
          this.requests.write.reject(key.mutationId, lost());
          break;
        case 'transfer':
          this.requests.transfer.reject(key.mutationId, lost());
          break;
        case 'table':
          this.requests.table.reject(key.tableId, lost());
          break;
        case 'floor':
          this.requests.floor.reject(key.floorId, lost());
          break;
        default: {
          const unreachable: never = key;
          throw new Error(`unknown request ${JSON.stringify(unreachable)}`);
        }
      }
    }
    this.outbox.setInFlight(null);
    if (code === CLOSE_CODES.RESET.code) {
      this.seq.forget();
      this.knowledge.forgetVersions();
      this.resyncs.emit({ reason: 'reset' });
    }
  }

  // ── Leases and table locks ───────────────────────────────────────────────────────────────────

  /** `tableId` (our addition) tells the hub which table actor owns a new order; known orders' tables are looked up. */
  acquireLease(posReference: string, version: number, tableId?: number | null): Promise<LeaseResult> {
    return this.grants.acquireLease(posReference, version, tableId);
  }

  releaseLease(posReference: string, finalSnapshot?: OrderSnapshot): void {
    if (finalSnapshot) {
      // Durable first: the final snapshot goes through the outbox; the release follows its ack.
      this.sendOrderSnapshot(posReference, Math.max(this.grants.leaseVersion(posReference) ?? 0, this.knowledge.version(posReference)), finalSnapshot);
    }
    this.grants.giveUpLease(posReference);
  }

  isLeaseHeld(posReference: string): boolean {
    return this.grants.isLeaseHeld(posReference);
  }

  acquireTableLock(tableId: number): Promise<TableLockResult> {
    return this.grants.acquireLock(tableId, false);
  }

  forceAcquireTableLock(tableId: number): Promise<TableLockResult> {
    return this.grants.acquireLock(tableId, true);
  }

  releaseTableLock(tableId: number): void {
    this.grants.releaseLock(tableId);
  }

  // ── Writes (all through the outbox) ──────────────────────────────────────────────────────────

  sendOrderSnapshot(posReference: string, version: number, snapshot: OrderSnapshot): string {
    const mutationId = this.deps.newId();
    const { replaced } = this.outbox.enqueue(mutationId, { action: 'orders/update', payload: { pos_reference: posReference, baseVersion: version, snapshot, mutationId } });
    this.flusher.noteBase(mutationId, this.knowledge.snapshotAt(posReference, version), replaced);
    this.pump.schedule(0);
    return mutationId;
  }

  async finalizeOrder(posReference: string, snapshot: OrderSnapshot, configId: number): Promise<FinalizeResult> {
    const mutationId = this.deps.newId();
    this.outbox.enqueue(mutationId, { action: 'orders/finalize', payload: { pos_reference: posReference, snapshot, configId, mutationId } });
    this.failover.fallback.queued();
    if (!this.connection.isReady) return { status: 'queued', posReference, reason: 'offline: queued in the outbox' };
    const reply = this.flusher.waitFinalize(posReference);
    this.pump.schedule(0);
    const { result } = await reply;
    // No answer yet is not a failure: the request is durable in the outbox and will be replayed.
    if (result.status === 'error' && (result.code === 'REQUEST_TIMEOUT' || result.code === 'HUB_UNREACHABLE')) return { status: 'queued', posReference, reason: result.error };
    return result;
  }

  sendTableUpdate(tableId: number, status: string, posReference?: string): void {
    const mutationId = this.deps.newId();
    this.outbox.enqueue(mutationId, { action: 'tables/update', payload: { tableId, status, ...(posReference === undefined ? {} : { posReference }), mutationId } });
    this.pump.schedule(0);
  }

  sendFloorPlanUpdate(floorId: number, tables: FloorPlanTableInfo[], layoutMode?: string): void {
    const mutationId = this.deps.newId();
    this.outbox.enqueue(mutationId, { action: 'floor-plans/update', payload: { floorId, tables, ...(layoutMode === undefined ? {} : { layoutMode }), mutationId } });
    this.pump.schedule(0);
  }

  onOutboxChange(handler: (count: number) => void): Unsubscribe {
    return this.outbox.onChange(handler);
  }

  // ── Transfers and splits (online only) ───────────────────────────────────────────────────────

  transferLines(fromPosReference: string, toPosReference: string, lineUids: readonly string[], options: TransferOptions = {}): Promise<TransferResult> {
    return this.transfers.transfer(fromPosReference, toPosReference, lineUids, false, options);
  }

  splitOrder(fromPosReference: string, toPosReference: string, lineUids: readonly string[], options: TransferOptions = {}): Promise<TransferResult> {
    return this.transfers.transfer(fromPosReference, toPosReference, lineUids, true, options);
  }
}

function lost(): HubError {
  return new HubError('HUB_UNREACHABLE', 'connection to the hub lost', { retryable: true });
}
