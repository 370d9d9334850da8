/**
 * hubTransport: the SyncTransport over a WebSocket to the hub. It authenticates (resuming with
 * lastSeq), reconnects with capped backoff and jitter, keeps leases and table locks alive, detects
 * seq gaps and resyncs, and pumps the durable outbox — one write in flight, each carrying a
 * mutationId; hub-write-flusher.ts sends and settles each entry (CONFLICTs go through the order domain).
 */
import type { Codec } from '../protocol/codec.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import { LEASE_HEARTBEAT_MS, LEASE_TTL_MS, REQUEST_TIMEOUT_MS, TABLE_LOCK_HEARTBEAT_MS, type Encoding } from '../protocol/constants.js';
import { HubError, isErrorCode, type ErrorCode } from '../protocol/errors.js';
import type { HubMessage, HubMessageOf } from '../protocol/hub-messages.js';
import { orderSnapshotSchema, type FloorPlanTableInfo, type OrderSnapshot } from '../protocol/snapshot.js';
import { backoffDelay, OUTBOX_BACKOFF, RECONNECT_BACKOFF, type BackoffPolicy } from './backoff.js';
import type { ResolvedDeps, WebSocketCtor } from './deps.js';
import { HubSocket } from './hub-socket.js';
import { TransportEvents } from './transport-events.js';
import { Outbox } from './outbox.js';
import type { OutboxEntry, OutboxStore } from './outbox-store.js';
import { HubWriteFlusher, PERMANENT_WRITE_ERRORS, snapshotPayloadOf, type SnapshotPayload, type WriteOutcome } from './hub-write-flusher.js';
import type { Reconciler } from './reconcile.js';
import { PendingRequests } from './requests.js';
import { SeqTracker } from './seq-tracker.js';
import type {
  ConnectionState,
  FinalizeResult,
  LeaseResult,
  SyncTransport,
  TableLockResult,
  TransferOptions,
  TransferResult,
  Unsubscribe,
} from './types.js';

export interface HubTransportOptions {
  /** Candidate hub URLs in the order to try (see discovery.ts); re-read after every full round of failures. */
  readonly urls: () => Promise<readonly string[]>;
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
}

export interface HubTransportDeps extends ResolvedDeps {
  readonly WebSocket: WebSocketCtor;
  readonly outboxStore: OutboxStore;
}

/** Close codes this client uses for its own reasons (3000–3999: registered-application range). */
export const CLIENT_CLOSE = { CONNECT_TIMEOUT: 3001, LIVENESS: 3002, RESYNC: 3003, SYNC_TIMEOUT: 3004 } as const;

/** A snapshot riding on a message as a loose field, or null when absent or not a valid snapshot. */
function parseSnapshot(value: unknown): OrderSnapshot | null {
  if (value === undefined) return null;
  const parsed = orderSnapshotSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

type Phase = 'idle' | 'opening' | 'authenticating' | 'syncing' | 'ready';

interface LeaseState {
  version: number;
  expiresAt: number;
  epoch?: number;
  /** Granted by the hub on the current socket. */
  confirmed: boolean;
  /** The app holds it (acquireLease without releaseLease); the outbox may hold one it does not want. */
  wanted: boolean;
}

interface LockState {
  confirmed: boolean;
  expiresAt?: number;
}

export class HubTransport extends TransportEvents implements SyncTransport {
  readonly mode = 'hub' as const;

  private readonly opts: Required<Omit<HubTransportOptions, 'urls' | 'token' | 'deviceId' | 'reconcile'>>;
  private readonly outbox: Outbox;
  private readonly requests: PendingRequests;
  private readonly seq = new SeqTracker();

  private currentState: ConnectionState = 'offline';
  private running = false;
  private socket: HubSocket | null = null;
  private phase: Phase = 'idle';
  private failures = 0;
  private urlIndex = 0;
  private candidates: readonly string[] = [];
  private reconnectTimer: unknown = null;
  private phaseTimer: unknown = null;
  private leaseTimer: unknown = null;
  private lockTimer: unknown = null;
  private livenessTimer: unknown = null;
  private lastFrameAt = 0;
  /** The seq the previous HUB_STATUS announced on this socket. */
  private announcedSeq: number | undefined = undefined;
  private immediateReconnect = false;
  private resumeAllowed = true;
  private askedResume = false;
  private resumeResyncs = 0;
  private pumping = false;
  private pumpTimer: unknown = null;
  private connectWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  /** Lease and lock requests made while a socket is opening, authenticating or syncing (see settledAttempt). */
  private attemptWaiters: Array<() => void> = [];
  /** Transfers awaiting their answer, by both order references: a LEASE_DENIED names an order, not a mutationId. */
  private readonly transfersByOrder = new Map<string, string>();
  /** An attempt is resolving the hub's URLs (discovery) before it opens a socket. */
  private discovering = false;

  private myTerminalId: string | null = null;
  private myRole: string | null = null;
  private readonly leases = new Map<string, LeaseState>();
  private readonly locks = new Map<number, LockState>();
  /** Released while offline: the hub may still hold them for us; release on reconnect. */
  private readonly pendingLeaseReleases = new Set<string>();
  private readonly pendingLockReleases = new Set<number>();
  /** Latest hub version seen per order, from any message. */
  private readonly versions = new Map<string, number>();
  /** Version of this terminal's latest confirmed write per order: the base of its next write. */
  private readonly ackedByMe = new Map<string, number>();
  /** Latest hub snapshot seen per order, and per queued write the one it started from (three-way merge). */
  private readonly known = new Map<string, { version: number; snapshot: OrderSnapshot }>();
  private readonly flusher: HubWriteFlusher;

  constructor(
    private readonly options: HubTransportOptions,
    private readonly deps: HubTransportDeps,
  ) {
    super();
    this.opts = {
      encoding: options.encoding ?? 'json',
      requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      leaseHeartbeatMs: options.leaseHeartbeatMs ?? LEASE_HEARTBEAT_MS,
      tableLockHeartbeatMs: options.tableLockHeartbeatMs ?? TABLE_LOCK_HEARTBEAT_MS,
      livenessMs: options.livenessMs ?? 20_000,
      reconnectBackoff: options.reconnectBackoff ?? RECONNECT_BACKOFF,
      outboxBackoff: options.outboxBackoff ?? OUTBOX_BACKOFF,
      hubOfflineAfter: options.hubOfflineAfter ?? 3,
      maxResumeResyncs: options.maxResumeResyncs ?? 3,
    };
    this.outbox = new Outbox(deps.outboxStore, deps.clock);
    this.requests = new PendingRequests(deps.clock);
    this.flusher = new HubWriteFlusher({
      outbox: this.outbox,
      requests: this.requests,
      clock: deps.clock,
      random: deps.random,
      newId: deps.newId,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      outboxBackoff: this.opts.outboxBackoff,
      reconcile: options.reconcile,
      isReady: () => this.phase === 'ready' && this.socket !== null,
      send: (message) => this.socket?.send(message) ?? false,
      leaseOnSocket: (posReference) => this.leases.get(posReference)?.confirmed === true,
      leaseEpoch: (posReference) => this.leases.get(posReference)?.epoch,
      requestLease: (posReference, baseVersion) => this.requestLease(posReference, baseVersion, false),
      forgetLease: (posReference) => {
        const lease = this.leases.get(posReference);
        if (lease) lease.confirmed = false;
      },
      ackedVersion: (posReference) => this.ackedByMe.get(posReference) ?? 0,
      noteAcked: (posReference, version) => this.ackedByMe.set(posReference, Math.max(this.ackedByMe.get(posReference) ?? 0, version)),
      noteSnapshot: (posReference, version, snapshot) => this.noteSnapshot(posReference, version, snapshot),
      releaseIfIdle: (posReference) => this.releaseIfIdle(posReference),
      emitConflict: (info) => this.conflicts.emit(info),
      report: (error) => this.report(error),
    });
  }

  // ── Read-only surface ────────────────────────────────────────────────────────────────────────

  get state(): ConnectionState {
    return this.currentState;
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
  /** The encoding of the current socket ('json' until negotiated). */
  get encoding(): Encoding | null {
    return this.socket?.encoding ?? null;
  }

  // ── Lifecycle ────────────────────────────────────────────────────────────────────────────────

  /** Resolves once online, or once the first attempt has failed (work continues offline); rejects if AUTH is refused. */
  connect(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
    if (!this.running) {
      this.running = true;
      this.failures = 0;
      this.setState('reconnecting');
      void this.attempt();
    } else if (this.phase === 'ready') {
      this.settleConnect(null);
    }
    return done;
  }

  disconnect(): void {
    this.running = false;
    this.clearTimer('reconnectTimer');
    this.clearTimer('pumpTimer');
    const socket = this.socket;
    if (socket) socket.close(CLOSE_CODES.NORMAL.code, 'client disconnect');
    else this.setState('offline');
    this.settleConnect(null);
  }

  // ── Leases ───────────────────────────────────────────────────────────────────────────────────

  /** `tableId` (our addition) tells the hub which table actor owns a new order; known orders' tables are looked up. */
  async acquireLease(posReference: string, version: number, tableId?: number | null): Promise<LeaseResult> {
    this.pendingLeaseReleases.delete(posReference);
    await this.settledAttempt();
    const existing = this.leases.get(posReference);
    if (this.phase !== 'ready') {
      this.leases.set(posReference, { version, expiresAt: this.deps.clock.now() + LEASE_TTL_MS, confirmed: false, wanted: true });
      return { granted: true, version, expiresAt: this.deps.clock.now() + LEASE_TTL_MS, offline: true };
    }
    if (existing) existing.wanted = true;
    const result = await this.requestLease(posReference, version, false, tableId);
    const lease = this.leases.get(posReference);
    if (result.granted && lease) lease.wanted = true;
    return result;
  }

  releaseLease(posReference: string, finalSnapshot?: OrderSnapshot): void {
    const lease = this.leases.get(posReference);
    if (finalSnapshot) {
      // Durable first: the final snapshot goes through the outbox; the release follows its ack.
      this.sendOrderSnapshot(posReference, Math.max(lease?.version ?? 0, this.versions.get(posReference) ?? 0), finalSnapshot);
    }
    if (!lease) return;
    lease.wanted = false;
    this.releaseIfIdle(posReference);
  }

  isLeaseHeld(posReference: string): boolean {
    return this.leases.get(posReference)?.wanted === true;
  }

  // ── Orders ───────────────────────────────────────────────────────────────────────────────────

  sendOrderSnapshot(posReference: string, version: number, snapshot: OrderSnapshot): string {
    const mutationId = this.deps.newId();
    const payload: SnapshotPayload = { posReference, baseVersion: version, snapshot, mutationId };
    const known = this.known.get(posReference);
    const { replaced } = this.outbox.enqueue(mutationId, 'orders/update', { pos_reference: posReference, _hubSnapshot: payload });
    this.flusher.noteBase(mutationId, known && known.version === version ? known.snapshot : null, replaced);
    this.schedulePump(0);
    return mutationId;
  }

  // ── Transfers and splits ─────────────────────────────────────────────────────────────────────

  transferLines(fromPosReference: string, toPosReference: string, lineUids: readonly string[], options: TransferOptions = {}): Promise<TransferResult> {
    return this.transfer(fromPosReference, toPosReference, lineUids, false, options);
  }

  splitOrder(fromPosReference: string, toPosReference: string, lineUids: readonly string[], options: TransferOptions = {}): Promise<TransferResult> {
    return this.transfer(fromPosReference, toPosReference, lineUids, true, options);
  }

  /**
   * One ORDER_TRANSFER, answered by ORDER_TRANSFERRED or a refusal. Not queued offline: a transfer is
   * decided against both orders as the hub has them, which a replay minutes later would not be.
   */
  private async transfer(from: string, to: string, lineUids: readonly string[], split: boolean, options: TransferOptions): Promise<TransferResult> {
    await this.settledAttempt();
    const socket = this.socket;
    if (this.phase !== 'ready' || socket === null) {
      return { status: 'error', code: 'HUB_UNREACHABLE', error: 'not connected to the hub: transfers and splits need it online', retryable: true };
    }
    const mutationId = this.deps.newId();
    const key = `xfer:${mutationId}`;
    const reply = this.requests.wait<TransferResult>(key, this.opts.requestTimeoutMs, () =>
      new HubError('REQUEST_TIMEOUT', `The hub did not answer ORDER_TRANSFER ${from} → ${to} within ${Math.round(this.opts.requestTimeoutMs / 1000)} seconds; check the orders before repeating it.`, { retryable: true }),
    );
    this.transfersByOrder.set(from, mutationId);
    this.transfersByOrder.set(to, mutationId);
    const sent = socket.send({
      type: 'ORDER_TRANSFER',
      fromPosReference: from,
      toPosReference: to,
      lineUids: [...lineUids],
      ...(split ? { split: true } : {}),
      ...(options.toTableId === undefined ? {} : { toTableId: options.toTableId }),
      mutationId,
    });
    if (!sent) this.requests.reject(key, new HubError('HUB_UNREACHABLE', 'the connection to the hub closed before ORDER_TRANSFER was sent', { retryable: true }));
    try {
      return await reply;
    } catch (error) {
      const hubError = error instanceof HubError ? error : new HubError('INTERNAL', String(error));
      return { status: 'error', code: hubError.code, error: hubError.message, retryable: true };
    } finally {
      for (const ref of [from, to]) if (this.transfersByOrder.get(ref) === mutationId) this.transfersByOrder.delete(ref);
    }
  }

  /** Settle the transfer waiting on `posReference` (or with `mutationId`) with a refusal. */
  private refuseTransfer(keyRef: { mutationId?: string; posReference?: string }, code: string, error: string): boolean {
    const mutationId = keyRef.mutationId ?? (keyRef.posReference === undefined ? undefined : this.transfersByOrder.get(keyRef.posReference));
    if (mutationId === undefined) return false;
    const retryable = code === 'TRANSFER_BUSY' || code === 'REQUEST_TIMEOUT' || code === 'HUB_UNREACHABLE';
    return this.requests.resolve(`xfer:${mutationId}`, { status: 'error', code, error, retryable } satisfies TransferResult);
  }

  async finalizeOrder(posReference: string, snapshot: OrderSnapshot, configId: number): Promise<FinalizeResult> {
    const mutationId = this.deps.newId();
    this.outbox.enqueue(mutationId, 'orders/finalize', { pos_reference: posReference, snapshot, configId, mutationId });
    if (this.phase !== 'ready') {
      return { status: 'queued', posReference, reason: 'offline: queued in the outbox' };
    }
    const result = this.flusher.waitFinalize(posReference);
    this.schedulePump(0);
    const outcome = await result;
    // No answer yet is not a failure: the request is durable in the outbox and will be replayed.
    if (outcome.status === 'error' && outcome.code === 'REQUEST_TIMEOUT') return { status: 'queued', posReference, reason: outcome.error };
    return outcome;
  }

  // ── Tables and floor plans ───────────────────────────────────────────────────────────────────

  sendTableUpdate(tableId: number, status: string, posReference?: string): void {
    const mutationId = this.deps.newId();
    this.outbox.enqueue(mutationId, 'tables/update', { tableId, status, ...(posReference === undefined ? {} : { posReference }), mutationId });
    this.schedulePump(0);
  }

  sendFloorPlanUpdate(floorId: number, tables: FloorPlanTableInfo[], layoutMode?: string): void {
    const mutationId = this.deps.newId();
    this.outbox.enqueue(mutationId, 'floor-plans/update', { floorId, tables, ...(layoutMode === undefined ? {} : { layoutMode }), mutationId });
    this.schedulePump(0);
  }

  acquireTableLock(tableId: number): Promise<TableLockResult> {
    return this.requestLock(tableId, false);
  }

  forceAcquireTableLock(tableId: number): Promise<TableLockResult> {
    return this.requestLock(tableId, true);
  }

  releaseTableLock(tableId: number): void {
    const lock = this.locks.get(tableId);
    this.locks.delete(tableId);
    if (lock?.confirmed && this.socket?.send({ type: 'TABLE_LOCK_RELEASE', tableId })) return;
    if (lock) this.pendingLockReleases.add(tableId);
  }

  onOutboxChange(handler: (count: number) => void): Unsubscribe {
    return this.outbox.onChange(handler);
  }

  // ── Connection loop ──────────────────────────────────────────────────────────────────────────

  private async attempt(): Promise<void> {
    this.reconnectTimer = null;
    if (!this.running || this.socket) return;
    if (this.candidates.length === 0 || this.urlIndex >= this.candidates.length) {
      this.urlIndex = 0;
      this.discovering = true;
      try {
        this.candidates = await this.options.urls();
      } catch (error) {
        this.report(error);
        this.candidates = [];
      } finally {
        this.discovering = false;
        this.wakeAttemptWaiters();
      }
      if (!this.running || this.socket) return;
      if (this.candidates.length === 0) {
        this.failed(new HubError('CONFIG_INVALID', 'no hub URL: nu_hub_url is blank, mDNS found nothing and no fallback is set', { retryable: true }));
        return;
      }
    }
    const url = this.candidates[this.urlIndex] ?? this.candidates[0]!;
    this.phase = 'opening';
    let socket: HubSocket;
    try {
      socket = new HubSocket(this.deps.WebSocket, url, this.opts.encoding, {
        onOpen: (codec) => this.onOpen(socket, codec),
        onMessage: (message) => this.onFrame(socket, message),
        onInvalid: (error) => this.report(new HubError(error.code, `from hub: ${error.message}`)),
        onClose: (code, reason) => this.onClosed(socket, code, reason),
      });
    } catch (error) {
      this.phase = 'idle';
      this.failed(error);
      return;
    }
    this.socket = socket;
    this.setPhaseTimer(this.opts.connectTimeoutMs, CLIENT_CLOSE.CONNECT_TIMEOUT, 'connect timeout');
  }

  private onOpen(socket: HubSocket, _codec: Codec): void {
    if (socket !== this.socket) return;
    this.phase = 'authenticating';
    this.announcedSeq = undefined;
    this.lastFrameAt = this.deps.clock.now();
    const lastSeq = this.resumeAllowed ? this.seq.lastSeq : undefined;
    this.askedResume = lastSeq !== undefined;
    socket.send({ type: 'AUTH', token: this.options.token, deviceId: this.options.deviceId, ...(lastSeq === undefined ? {} : { lastSeq }) });
    this.setPhaseTimer(this.opts.requestTimeoutMs, CLIENT_CLOSE.SYNC_TIMEOUT, 'no AUTH_OK / SYNC_INIT in time');
  }

  private onClosed(socket: HubSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    const wasReady = this.phase === 'ready';
    this.socket = null;
    this.phase = 'idle';
    this.wakeAttemptWaiters();
    this.clearTimer('phaseTimer');
    this.clearTimer('leaseTimer');
    this.clearTimer('lockTimer');
    this.clearTimer('livenessTimer');
    this.clearTimer('pumpTimer');
    for (const lease of this.leases.values()) lease.confirmed = false;
    for (const lock of this.locks.values()) lock.confirmed = false;
    const inFlight = this.outbox.inFlightId;
    if (code === CLOSE_CODES.MESSAGE_TOO_BIG.code && inFlight !== null) {
      // Re-sending the same frame would close the socket again, forever.
      this.flusher.drop(inFlight);
      this.report(new HubError('PAYLOAD_TOO_LARGE', `outbox entry ${inFlight} is larger than the hub accepts; dropped`));
    }
    this.settlePendingOffline();
    if (code === CLOSE_CODES.RESET.code) {
      this.seq.reset(undefined);
      this.versions.clear();
      this.ackedByMe.clear();
      this.resyncs.emit({ reason: 'reset' });
    }
    if (this.running && (code === CLOSE_CODES.AUTH_FAILED.code || code === CLOSE_CODES.REPLACED.code)) {
      // A refused token does not improve by retrying; a newer socket of this deviceId must not be
      // kicked back out (two tabs of one device would take turns forever). Stop; the app decides.
      this.running = false;
      const error = new HubError(code === CLOSE_CODES.REPLACED.code ? 'DEVICE_REPLACED' : 'AUTH_FAILED', `hub closed the connection: ${code} ${reason}`.trim());
      this.report(error);
      this.settleConnect(error);
    }
    if (!this.running) {
      this.setState('offline');
      return;
    }
    if (wasReady || this.immediateReconnect) {
      this.failures = 0;
    } else {
      this.failures += 1;
      this.urlIndex += 1;
    }
    this.scheduleReconnect();
  }

  private failed(error: unknown): void {
    this.socket = null;
    this.phase = 'idle';
    this.wakeAttemptWaiters();
    this.failures += 1;
    this.urlIndex += 1;
    if (error !== undefined) this.report(error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    const immediate = this.immediateReconnect;
    this.immediateReconnect = false;
    const next: ConnectionState = !this.deps.isNetworkUp() ? 'offline' : this.failures >= this.opts.hubOfflineAfter ? 'hubOffline' : 'reconnecting';
    this.setState(next);
    if (this.failures > 0) this.settleConnect(null);
    const delay = immediate ? 0 : this.failures === 0 ? backoffDelay(this.opts.reconnectBackoff, 0, this.deps.random) : backoffDelay(this.opts.reconnectBackoff, this.failures - 1, this.deps.random);
    this.clearTimer('reconnectTimer');
    this.reconnectTimer = this.deps.clock.setTimeout(() => void this.attempt(), delay);
  }

  private setPhaseTimer(ms: number, code: number, reason: string): void {
    this.clearTimer('phaseTimer');
    const socket = this.socket;
    this.phaseTimer = this.deps.clock.setTimeout(() => {
      this.phaseTimer = null;
      if (socket === this.socket && this.phase !== 'ready') socket?.close(code, reason);
    }, ms);
  }

  private clearTimer(name: 'reconnectTimer' | 'phaseTimer' | 'leaseTimer' | 'lockTimer' | 'livenessTimer' | 'pumpTimer'): void {
    const handle = this[name];
    if (handle !== null) this.deps.clock.clearTimeout(handle);
    this[name] = null;
  }

  private setState(next: ConnectionState): void {
    const previous = this.currentState;
    if (previous === next) return;
    this.currentState = next;
    this.stateChanges.emit(next, previous);
  }

  private settleConnect(error: unknown): void {
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const w of waiters) {
      if (error === null) w.resolve();
      else w.reject(error);
    }
  }

  /**
   * While a socket is opening, authenticating or syncing, wait for the attempt's outcome before deciding a
   * lease or lock: granting it "offline" in that window would let the app edit an order the hub is about
   * to refuse. Bounded by the connect and sync timeouts, after which the attempt ends either way.
   */
  private async settledAttempt(): Promise<void> {
    while (this.discovering || this.phase === 'opening' || this.phase === 'authenticating' || this.phase === 'syncing') {
      await new Promise<void>((resolve) => this.attemptWaiters.push(resolve));
    }
  }

  private wakeAttemptWaiters(): void {
    const waiters = this.attemptWaiters;
    this.attemptWaiters = [];
    for (const wake of waiters) wake();
  }

  /** A dropped socket: lease and lock requests become optimistic offline grants; writes stay queued. */
  private settlePendingOffline(): void {
    const now = this.deps.clock.now();
    for (const key of this.requests.keys()) {
      const [kind, ...rest] = key.split(':');
      const id = rest.join(':');
      if (kind === 'lease') {
        const version = this.versions.get(id) ?? 0;
        const lease = this.leases.get(id);
        if (lease) lease.wanted = true;
        else this.leases.set(id, { version, expiresAt: now + LEASE_TTL_MS, confirmed: false, wanted: true });
        this.requests.resolve(key, { granted: true, version, expiresAt: now + LEASE_TTL_MS, offline: true } satisfies LeaseResult);
      } else if (kind === 'lock') {
        this.locks.set(Number(id), { confirmed: false });
        this.requests.resolve(key, { granted: true, offline: true } satisfies TableLockResult);
      } else if (kind === 'fin') {
        this.requests.resolve(key, { status: 'queued', posReference: id, reason: 'connection lost: queued in the outbox' } satisfies FinalizeResult);
      } else {
        this.requests.reject(key, new HubError('HUB_UNREACHABLE', 'connection to the hub lost', { retryable: true }));
      }
    }
    this.outbox.setInFlight(null);
  }

  // ── Incoming frames ──────────────────────────────────────────────────────────────────────────

  private onFrame(socket: HubSocket, message: HubMessage): void {
    if (socket !== this.socket) return;
    this.lastFrameAt = this.deps.clock.now();
    if (this.phase === 'authenticating') {
      this.onAuthReply(socket, message);
      return;
    }
    if (this.phase === 'syncing') {
      if (message.type === 'SYNC_INIT') {
        this.applySyncInit(message);
        this.becomeReady();
      } else if (message.type === 'SYNC_RESUME') {
        this.seq.reset(message.fromSeq - 1);
        this.becomeReady();
      } else {
        this.dispatch(message);
      }
      return;
    }
    if (this.phase !== 'ready') return;
    if (message.type === 'HUB_STATUS') {
      this.checkHighWater(socket, message.seq);
      return;
    }
    if (message.type !== 'SYNC_INIT' && 'seq' in message && typeof message.seq === 'number') {
      const verdict = this.seq.check(message.seq);
      if (verdict.kind === 'gap') {
        // A re-ACK of an old mutation carries its original seq: settle the write, but still resync.
        if (message.type === 'ORDER_ACK') this.dispatch(message);
        this.resyncAfterGap(socket, verdict.expected, verdict.received);
        return;
      }
      if (verdict.kind === 'duplicate' && message.type !== 'ORDER_ACK') return;
    }
    this.dispatch(message);
  }

  private onAuthReply(socket: HubSocket, message: HubMessage): void {
    if (message.type === 'AUTH_OK') {
      this.myTerminalId = message.terminalId;
      this.myRole = message.role;
      this.phase = 'syncing';
      this.setPhaseTimer(this.opts.requestTimeoutMs, CLIENT_CLOSE.SYNC_TIMEOUT, 'no SYNC_INIT / SYNC_RESUME in time');
      return;
    }
    if (message.type === 'AUTH_FAIL' || message.type === 'ERROR') {
      const code: ErrorCode = message.code !== undefined && isErrorCode(message.code) ? message.code : 'AUTH_FAILED';
      const text = message.type === 'AUTH_FAIL' ? message.reason : message.message;
      const retryable = code === 'AUTH_UNAVAILABLE' || code === 'AUTH_TIMEOUT' || code === 'SHUTTING_DOWN';
      const error = new HubError(code, `hub refused AUTH: ${text}`, { retryable });
      this.report(error);
      if (!retryable) {
        // A bad token does not get better by retrying: stop and let the app sign in again.
        this.running = false;
        socket.close(CLOSE_CODES.NORMAL.code, 'auth refused');
        this.settleConnect(error);
      } else {
        this.immediateReconnect = false;
        socket.close(CLOSE_CODES.NORMAL.code, 'auth unavailable');
      }
    }
  }

  private becomeReady(): void {
    this.clearTimer('phaseTimer');
    this.phase = 'ready';
    this.failures = 0;
    this.setState('online');
    this.startHeartbeats();
    this.reacquireAfterReconnect();
    this.outbox.resetSchedule();
    this.schedulePump(0);
    this.settleConnect(null);
    this.wakeAttemptWaiters();
  }

  private applySyncInit(message: HubMessageOf<'SYNC_INIT'>): void {
    this.seq.reset(message.seq);
    this.resumeAllowed = true;
    this.resumeResyncs = 0;
    for (const order of message.orders) {
      this.versions.set(order.posReference, order.version);
      this.known.set(order.posReference, { version: order.version, snapshot: order.snapshot });
    }
    if (this.askedResume) this.resyncs.emit({ reason: 'full' });
    this.askedResume = false;
    this.syncInits.emit(message.orders, { tables: message.tables ?? [], floorPlans: message.floorPlans ?? [], ...(message.reason === undefined ? {} : { reason: message.reason }) });
  }

  /**
   * HUB_STATUS.seq is the hub's latest seq, not a slot of its own (it may overtake the broadcast it
   * counts). A gap only shows when a later broadcast arrives, so a lost *last* message would stay
   * unseen: if the seq a status announced has still not arrived by the next status, resync.
   */
  private checkHighWater(socket: HubSocket, announced: number | undefined): void {
    const last = this.seq.lastSeq;
    const previous = this.announcedSeq;
    this.announcedSeq = announced;
    if (previous !== undefined && last !== undefined && previous > last) this.resyncAfterGap(socket, last + 1, previous);
  }

  private resyncAfterGap(socket: HubSocket, expected: number, received: number): void {
    this.resyncs.emit({ reason: 'gap', expectedSeq: expected, receivedSeq: received });
    this.resumeResyncs += 1;
    if (this.resumeResyncs > this.opts.maxResumeResyncs) {
      // Resuming keeps failing: ask for everything instead.
      this.seq.reset(undefined);
      this.resumeResyncs = 0;
    }
    this.immediateReconnect = true;
    socket.close(CLIENT_CLOSE.RESYNC, 'seq gap: resync');
  }

  private dispatch(message: HubMessage): void {
    switch (message.type) {
      case 'AUTH_OK':
      case 'AUTH_FAIL':
      case 'HEARTBEAT_ACK':
      case 'HUB_STATUS':
      case 'RECORDS_QUARANTINED':
      case 'TICKET_NUMBER':
        return;
      case 'SYNC_INIT':
        this.applySyncInit(message);
        return;
      case 'SYNC_RESUME':
        this.seq.reset(message.fromSeq - 1);
        return;
      case 'LEASE_GRANTED': {
        const lease = this.leases.get(message.posReference);
        this.leases.set(message.posReference, {
          version: message.version,
          expiresAt: message.expiresAt,
          ...(message.epoch === undefined ? {} : { epoch: message.epoch }),
          confirmed: true,
          wanted: lease?.wanted ?? false,
        });
        this.noteVersion(message.posReference, message.version);
        this.requests.resolve(`lease:${message.posReference}`, {
          granted: true,
          version: message.version,
          expiresAt: message.expiresAt,
          ...(message.epoch === undefined ? {} : { epoch: message.epoch }),
          offline: false,
        } satisfies LeaseResult);
        return;
      }
      case 'LEASE_DENIED': {
        const denied: LeaseResult = { granted: false, holder: message.holder, reason: message.reason, ...(message.code === undefined ? {} : { code: message.code }) };
        const hadRequest = this.requests.resolve(`lease:${message.posReference}`, denied) || this.refuseTransfer({ posReference: message.posReference }, message.code ?? 'LEASE_HELD', message.reason);
        this.leases.delete(message.posReference);
        if (!hadRequest) this.settleWriteFor(message.posReference, { kind: 'lease-denied', reason: `${message.reason} (holder ${message.holder})` });
        return;
      }
      case 'LEASE_REVOKED':
        this.leases.delete(message.posReference);
        this.leaseRevoked.emit(message.posReference, message.reason, message.snapshot);
        return;
      case 'LEASE_RELEASED':
        this.noteVersion(message.posReference, message.version);
        // Hubs before the broadcast sent it to the releaser only, without releasedBy.
        this.leaseReleased.emit(message.posReference, message.releasedBy);
        return;
      case 'ORDER_UPDATED':
        this.noteVersion(message.posReference, message.version);
        this.noteSnapshot(message.posReference, message.version, message.snapshot);
        this.orderUpdated.emit({
          posReference: message.posReference,
          version: message.version,
          snapshot: message.snapshot,
          sourceTerminal: message.sourceTerminal,
          ...(message.seq === undefined ? {} : { seq: message.seq }),
        });
        return;
      case 'ORDER_ACK': {
        this.noteVersion(message.posReference, message.version);
        this.ackedByMe.set(message.posReference, Math.max(this.ackedByMe.get(message.posReference) ?? 0, message.version));
        const lease = this.leases.get(message.posReference);
        if (lease) lease.version = Math.max(lease.version, message.version);
        const settled = message.mutationId !== undefined ? this.requests.resolve(`mut:${message.mutationId}`, { kind: 'ack', version: message.version } satisfies WriteOutcome) : false;
        if (!settled) this.settleWriteFor(message.posReference, { kind: 'ack', version: message.version });
        if (message.mutationId !== undefined) this.orderAcked.emit(message.posReference, message.version, message.mutationId);
        return;
      }
      case 'CONFLICT': {
        this.noteVersion(message.posReference, message.hubVersion);
        const outcome: WriteOutcome = { kind: 'conflict', message };
        const settled = message.mutationId !== undefined && this.requests.resolve(`mut:${message.mutationId}`, outcome);
        if (!settled) this.settleWriteFor(message.posReference, outcome);
        return;
      }
      case 'ORDER_TRANSFERRED': {
        this.noteVersion(message.fromPosReference, message.fromVersion);
        this.noteVersion(message.toPosReference, message.toVersion);
        // The hub adds both committed snapshots (loose fields), so later edits start from them.
        const fromSnapshot = parseSnapshot(message.fromSnapshot);
        const toSnapshot = parseSnapshot(message.toSnapshot);
        this.noteSnapshot(message.fromPosReference, message.fromVersion, fromSnapshot);
        this.noteSnapshot(message.toPosReference, message.toVersion, toSnapshot);
        for (const [ref, version] of [[message.fromPosReference, message.fromVersion], [message.toPosReference, message.toVersion]] as const) {
          const lease = this.leases.get(ref);
          if (lease) lease.version = Math.max(lease.version, version);
        }
        // A split's new check comes with its lease (LEASE_GRANTED just before): the app holds it now.
        const toLease = this.leases.get(message.toPosReference);
        if (toLease?.confirmed) toLease.wanted = true;
        if (message.mutationId !== undefined) {
          this.requests.resolve(`xfer:${message.mutationId}`, {
            status: 'transferred',
            fromPosReference: message.fromPosReference,
            toPosReference: message.toPosReference,
            fromVersion: message.fromVersion,
            toVersion: message.toVersion,
            ...(fromSnapshot === null ? {} : { fromSnapshot }),
            ...(toSnapshot === null ? {} : { toSnapshot }),
          } satisfies TransferResult);
        }
        return;
      }
      case 'ORDER_FINALIZE_QUEUED':
        this.requests.resolve(`fin:${message.posReference}`, { status: 'queued', posReference: message.posReference, ...(message.reason === undefined ? {} : { reason: message.reason }) } satisfies FinalizeResult);
        return;
      case 'ORDER_FINALIZED': {
        const result: FinalizeResult = {
          status: 'finalized',
          posReference: message.posReference,
          orderId: message.orderId,
          lineIdMap: message.lineIdMap,
          ...(message.fiscal === undefined ? {} : { fiscal: message.fiscal }),
        };
        this.requests.resolve(`fin:${message.posReference}`, result);
        this.finalized.emit(result);
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
        this.requests.resolve(`fin:${message.posReference}`, result);
        this.finalized.emit(result);
        return;
      }
      case 'TABLE_LOCK_GRANTED': {
        this.locks.set(message.tableId, { confirmed: true, ...(message.expiresAt === undefined ? {} : { expiresAt: message.expiresAt }) });
        this.requests.resolve(`lock:${message.tableId}`, {
          granted: true,
          offline: false,
          ...(message.expiresAt === undefined ? {} : { expiresAt: message.expiresAt }),
          ...(message.epoch === undefined ? {} : { epoch: message.epoch }),
        } satisfies TableLockResult);
        return;
      }
      case 'TABLE_LOCK_DENIED':
        this.locks.delete(message.tableId);
        this.requests.resolve(`lock:${message.tableId}`, {
          granted: false,
          lockedBy: message.lockedBy,
          ...(message.reason === undefined ? {} : { reason: message.reason }),
          ...(message.code === undefined ? {} : { code: message.code }),
        } satisfies TableLockResult);
        return;
      case 'TABLE_LOCK_REVOKED':
        this.locks.delete(message.tableId);
        this.lockRevoked.emit(message.tableId, message.reason);
        return;
      case 'TABLE_LOCKED':
        if (message.lockedBy !== this.myTerminalId && this.locks.get(message.tableId)?.confirmed) {
          // Someone else holds it now (a manager's force): our grant is gone.
          this.locks.delete(message.tableId);
          this.lockRevoked.emit(message.tableId, `locked by ${message.lockedBy}`);
        }
        this.tableLocked.emit(message.tableId, message.lockedBy);
        return;
      case 'TABLE_LOCK_RELEASED':
        if (this.locks.get(message.tableId)?.confirmed && message.releasedBy !== this.myTerminalId) this.locks.delete(message.tableId);
        this.lockReleased.emit(message.tableId, message.releasedBy);
        return;
      case 'TABLE_UPDATED':
        this.tableUpdated.emit({
          tableId: message.tableId,
          status: message.status,
          ...(message.posReference === undefined ? {} : { posReference: message.posReference }),
          sourceTerminal: message.sourceTerminal,
        });
        return;
      case 'FLOOR_PLAN_CHANGED':
        this.floorPlanChanged.emit({
          floorId: message.floorId,
          tables: message.tables,
          ...(message.layoutMode === undefined ? {} : { layoutMode: message.layoutMode }),
          sourceTerminal: message.sourceTerminal,
        });
        return;
      case 'ERROR':
        this.onHubError(message);
        return;
      default: {
        const unreachable: never = message;
        this.report(new HubError('UNKNOWN_TYPE', `unhandled hub message ${(unreachable as { type: string }).type}`));
      }
    }
  }

  /** ERROR{code, message, ref}: settle whatever request it refers to, else surface it. */
  private onHubError(message: HubMessageOf<'ERROR'>): void {
    const ref = message.ref;
    const outcome: WriteOutcome = { kind: 'error', code: message.code, message: message.message };
    if (ref?.mutationId !== undefined && this.requests.resolve(`mut:${ref.mutationId}`, outcome)) return;
    if (ref?.type === 'ORDER_TRANSFER' && this.refuseTransfer({ ...(ref.mutationId === undefined ? {} : { mutationId: ref.mutationId }), ...(ref.posReference === undefined ? {} : { posReference: ref.posReference }) }, message.code, message.message)) return;
    if (ref?.type === 'LEASE_ACQUIRE' && ref.posReference !== undefined) {
      if (this.requests.resolve(`lease:${ref.posReference}`, { granted: false, holder: '', reason: message.message, code: message.code } satisfies LeaseResult)) return;
    }
    if ((ref?.type === 'TABLE_LOCK_ACQUIRE' || ref?.type === 'TABLE_LOCK_FORCE_ACQUIRE') && ref.tableId !== undefined) {
      if (this.requests.resolve(`lock:${ref.tableId}`, { granted: false, lockedBy: '', reason: message.message, code: message.code } satisfies TableLockResult)) return;
    }
    if (ref?.type === 'ORDER_FINALIZE' && ref.posReference !== undefined) {
      const result: FinalizeResult = { status: 'error', posReference: ref.posReference, error: message.message, retryable: !PERMANENT_WRITE_ERRORS.has(message.code), code: message.code };
      if (this.requests.resolve(`fin:${ref.posReference}`, result)) return;
    }
    if (ref?.type === 'ORDER_SNAPSHOT' && ref.posReference !== undefined && this.settleWriteFor(ref.posReference, outcome)) return;
    // Releasing what already expired (a release replayed after a reconnect) is not worth an alarm.
    if ((ref?.type === 'LEASE_RELEASE' && message.code === 'LEASE_NOT_HELD') || (ref?.type === 'TABLE_LOCK_RELEASE' && message.code === 'LOCK_NOT_HELD')) return;
    this.report(new HubError(message.code, message.message, { details: ref }));
  }

  /** A reply without a mutationId (an older hub): it belongs to the in-flight write of that order. */
  private settleWriteFor(posReference: string, outcome: WriteOutcome): boolean {
    const id = this.outbox.inFlightId;
    if (id === null) return false;
    const entry = this.outbox.get(id);
    if (entry?.payload.pos_reference !== posReference) return false;
    return this.requests.resolve(`mut:${id}`, outcome);
  }

  private noteSnapshot(posReference: string, version: number, snapshot: OrderSnapshot | null): void {
    if (snapshot === null) return;
    const known = this.known.get(posReference);
    if (!known || known.version <= version) this.known.set(posReference, { version, snapshot });
  }

  private noteVersion(posReference: string, version: number): void {
    this.versions.set(posReference, Math.max(this.versions.get(posReference) ?? 0, version));
  }

  // ── Leases, locks and heartbeats on the wire ─────────────────────────────────────────────────

  /** The table of an order as far as this terminal knows (its last hub snapshot or a queued write). */
  private tableOf(posReference: string): number | null | undefined {
    const known = this.known.get(posReference);
    if (known) return known.snapshot.tableId;
    for (const entry of this.outbox.list()) {
      if (entry.payload.pos_reference !== posReference) continue;
      const payload = snapshotPayloadOf(entry);
      if (payload) return payload.snapshot.tableId;
    }
    return undefined;
  }

  private requestLease(posReference: string, baseVersion: number, force: boolean, tableIdHint?: number | null): Promise<LeaseResult> {
    const tableId = tableIdHint !== undefined ? tableIdHint : this.tableOf(posReference);
    const key = `lease:${posReference}`;
    const pending = this.requests.has(key);
    const result = this.requests.wait<LeaseResult>(key, this.opts.requestTimeoutMs, () =>
      new HubError(
        'REQUEST_TIMEOUT',
        `The hub did not respond to LEASE_ACQUIRE for ${posReference} within ${Math.round(this.opts.requestTimeoutMs / 1000)} seconds; it is overloaded or the message was lost. Check the hub logs.`,
        { retryable: true },
      ),
    );
    if (!pending && !this.socket?.send({ type: 'LEASE_ACQUIRE', posReference, baseVersion, ...(force ? { force: true } : {}), ...(tableId === undefined ? {} : { tableId }) })) {
      this.settlePendingOffline();
    }
    return result;
  }

  private async requestLock(tableId: number, force: boolean): Promise<TableLockResult> {
    this.pendingLockReleases.delete(tableId);
    await this.settledAttempt();
    if (this.phase !== 'ready') {
      // The reference's optimistic mode: offline, locking is off and the caller may go ahead.
      this.locks.set(tableId, { confirmed: false });
      return { granted: true, offline: true };
    }
    const key = `lock:${tableId}`;
    const pending = this.requests.has(key);
    const result = this.requests.wait<TableLockResult>(key, this.opts.requestTimeoutMs, () =>
      new HubError('REQUEST_TIMEOUT', `The hub did not respond to ${force ? 'TABLE_LOCK_FORCE_ACQUIRE' : 'TABLE_LOCK_ACQUIRE'} for table ${tableId} within ${Math.round(this.opts.requestTimeoutMs / 1000)} seconds. Check the hub logs.`, { retryable: true }),
    );
    if (!pending) this.socket?.send(force ? { type: 'TABLE_LOCK_FORCE_ACQUIRE', tableId } : { type: 'TABLE_LOCK_ACQUIRE', tableId });
    return result;
  }

  /** After a reconnect: take back what the app holds; whatever another terminal took meanwhile is revoked. */
  private reacquireAfterReconnect(): void {
    for (const posReference of this.pendingLeaseReleases) {
      if (!this.leases.has(posReference)) this.socket?.send({ type: 'LEASE_RELEASE', posReference });
    }
    this.pendingLeaseReleases.clear();
    for (const tableId of this.pendingLockReleases) {
      if (!this.locks.has(tableId)) this.socket?.send({ type: 'TABLE_LOCK_RELEASE', tableId });
    }
    this.pendingLockReleases.clear();
    for (const [posReference, lease] of this.leases) {
      if (!lease.wanted) {
        this.leases.delete(posReference);
        continue;
      }
      this.requestLease(posReference, Math.max(lease.version, this.ackedByMe.get(posReference) ?? 0), false).then(
        (result) => {
          if (!result.granted) this.leaseRevoked.emit(posReference, `lease lost while offline: ${result.reason}`, undefined);
        },
        (error: unknown) => this.report(error),
      );
    }
    for (const tableId of [...this.locks.keys()]) {
      this.requestLock(tableId, false).then(
        (result) => {
          if (!result.granted) this.lockRevoked.emit(tableId, `locked by ${result.lockedBy} while offline`);
        },
        (error: unknown) => this.report(error),
      );
    }
  }

  private startHeartbeats(): void {
    const socket = this.socket;
    const leaseBeat = (): void => {
      if (socket !== this.socket) return;
      for (const [posReference, lease] of this.leases) if (lease.confirmed) socket?.send({ type: 'LEASE_HEARTBEAT', posReference });
      this.leaseTimer = this.deps.clock.setTimeout(leaseBeat, this.opts.leaseHeartbeatMs);
    };
    const lockBeat = (): void => {
      if (socket !== this.socket) return;
      for (const [tableId, lock] of this.locks) if (lock.confirmed) socket?.send({ type: 'TABLE_LOCK_HEARTBEAT', tableId });
      this.lockTimer = this.deps.clock.setTimeout(lockBeat, this.opts.tableLockHeartbeatMs);
    };
    const liveness = (): void => {
      if (socket !== this.socket) return;
      const idle = this.deps.clock.now() - this.lastFrameAt;
      if (idle >= this.opts.livenessMs + this.opts.requestTimeoutMs) {
        socket?.close(CLIENT_CLOSE.LIVENESS, 'hub silent');
        return;
      }
      if (idle >= this.opts.livenessMs) socket?.send({ type: 'HEARTBEAT' });
      this.livenessTimer = this.deps.clock.setTimeout(liveness, Math.min(this.opts.livenessMs, this.opts.requestTimeoutMs) / 2);
    };
    this.clearTimer('leaseTimer');
    this.clearTimer('lockTimer');
    this.clearTimer('livenessTimer');
    this.leaseTimer = this.deps.clock.setTimeout(leaseBeat, this.opts.leaseHeartbeatMs);
    this.lockTimer = this.deps.clock.setTimeout(lockBeat, this.opts.tableLockHeartbeatMs);
    this.livenessTimer = this.deps.clock.setTimeout(liveness, Math.min(this.opts.livenessMs, this.opts.requestTimeoutMs) / 2);
  }

  private releaseIfIdle(posReference: string): void {
    const lease = this.leases.get(posReference);
    if (!lease || lease.wanted) return;
    if (this.outbox.hasOrder(posReference)) return; // released after the last queued write of this order is acknowledged
    this.leases.delete(posReference);
    if (lease.confirmed && this.socket?.send({ type: 'LEASE_RELEASE', posReference })) return;
    this.pendingLeaseReleases.add(posReference);
  }

  // ── Outbox pump ──────────────────────────────────────────────────────────────────────────────

  private schedulePump(delayMs: number): void {
    if (this.phase !== 'ready' || this.pumping) return;
    this.clearTimer('pumpTimer');
    this.pumpTimer = this.deps.clock.setTimeout(() => {
      this.pumpTimer = null;
      void this.pump();
    }, delayMs);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let again: number | null = null;
    try {
      // Each turn removes an entry or pushes its next attempt into the future. A turn that changes
      // nothing (the socket is closing under us) ends the loop; the close handler takes over.
      for (let turn = 0; this.phase === 'ready' && this.running; turn++) {
        if (turn >= 10_000) {
          again = 0; // yield to the event loop, then carry on
          break;
        }
        const next = this.outbox.next(this.deps.clock.now());
        if (next === null) break;
        if (!('entry' in next)) {
          again = Math.max(0, next.waitUntil - this.deps.clock.now());
          break;
        }
        await this.flusher.flush(next.entry);
        if (this.outbox.get(next.entry.id) === next.entry) {
          again = 1_000;
          break;
        }
      }
    } catch (error) {
      this.report(error);
    } finally {
      this.pumping = false;
    }
    if (again !== null) this.schedulePump(again);
  }

}
