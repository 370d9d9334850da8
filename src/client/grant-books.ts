/**
 * The grant books: the order leases and table locks this terminal holds or wants — requests to the
 * hub (optimistic grants while offline), heartbeats on the current socket, releases made offline and
 * sent after the next reconnect, and taking back after a reconnect what the app still holds.
 * The outbox writer sees only WriteLeases, the part a queued order write needs.
 */
import { HubError } from '../protocol/errors.js';
import type { HubMessageOf } from '../protocol/hub-messages.js';
import { LEASE_TTL_MS } from '../protocol/constants.js';
import type { TerminalMessage } from '../protocol/terminal-messages.js';
import type { ClientClock } from './deps.js';
import type { Outbox } from './outbox.js';
import { orderOf } from './outbox.js';
import type { OrderKnowledge } from './order-knowledge.js';
import type { PendingRequests } from './requests.js';
import type { LeaseResult, TableLockResult } from './types.js';

/** What the outbox writer needs of the leases: an order write goes out only under its lease. */
export interface WriteLeases {
  /** True when the hub granted this order's lease on the current socket. */
  onSocket(posReference: string): boolean;
  epoch(posReference: string): number | undefined;
  request(posReference: string, baseVersion: number): Promise<LeaseResult>;
  /** The hub says we do not hold it (any more): ask again before the next write. */
  forget(posReference: string): void;
  /** Release a lease the app gave up once its order's last queued write is through. */
  releaseIfIdle(posReference: string): void;
}

export interface GrantLink {
  readonly isReady: boolean;
  send(message: TerminalMessage): boolean;
  settledAttempt(): Promise<void>;
}

export interface GrantBookSettings {
  readonly clock: ClientClock;
  readonly requestTimeoutMs: number;
  readonly leaseHeartbeatMs: number;
  readonly tableLockHeartbeatMs: number;
}

export interface GrantEvents {
  leaseRevoked(posReference: string, reason: string): void;
  lockRevoked(tableId: number, reason: string): void;
  report(error: unknown): void;
}

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

const seconds = (ms: number): number => Math.round(ms / 1000);

export class GrantBooks implements WriteLeases {
  private readonly leases = new Map<string, LeaseState>();
  private readonly locks = new Map<number, LockState>();
  /** Released while offline: the hub may still hold them for us; release on reconnect. */
  private readonly pendingLeaseReleases = new Set<string>();
  private readonly pendingLockReleases = new Set<number>();
  private leaseTimer: unknown = null;
  private lockTimer: unknown = null;
  /** Bumped on every drop: a heartbeat loop of an older socket stops. */
  private generation = 0;

  constructor(
    private readonly link: GrantLink,
    private readonly requests: PendingRequests,
    private readonly knowledge: OrderKnowledge,
    private readonly outbox: Outbox,
    private readonly settings: GrantBookSettings,
    private readonly events: GrantEvents,
  ) {}

  // ── Leases ───────────────────────────────────────────────────────────────────────────────────

  async acquireLease(posReference: string, version: number, tableId?: number | null): Promise<LeaseResult> {
    this.pendingLeaseReleases.delete(posReference);
    await this.link.settledAttempt();
    const existing = this.leases.get(posReference);
    if (!this.link.isReady) {
      const expiresAt = this.settings.clock.now() + LEASE_TTL_MS;
      this.leases.set(posReference, { version, expiresAt, confirmed: false, wanted: true });
      return { granted: true, version, expiresAt, offline: true };
    }
    if (existing) existing.wanted = true;
    const result = await this.requestLease(posReference, version, tableId);
    const lease = this.leases.get(posReference);
    if (result.granted && lease) lease.wanted = true;
    return result;
  }

  /** The app gives the lease up; it is released on the hub once the order's queued writes are through. */
  giveUpLease(posReference: string): void {
    const lease = this.leases.get(posReference);
    if (!lease) return;
    lease.wanted = false;
    this.releaseIfIdle(posReference);
  }

  isLeaseHeld(posReference: string): boolean {
    return this.leases.get(posReference)?.wanted === true;
  }

  leaseVersion(posReference: string): number | undefined {
    return this.leases.get(posReference)?.version;
  }

  onSocket(posReference: string): boolean {
    return this.leases.get(posReference)?.confirmed === true;
  }

  epoch(posReference: string): number | undefined {
    return this.leases.get(posReference)?.epoch;
  }

  request(posReference: string, baseVersion: number): Promise<LeaseResult> {
    return this.requestLease(posReference, baseVersion);
  }

  forget(posReference: string): void {
    const lease = this.leases.get(posReference);
    if (lease) lease.confirmed = false;
  }

  releaseIfIdle(posReference: string): void {
    const lease = this.leases.get(posReference);
    if (!lease || lease.wanted) return;
    if (this.outbox.hasOrder(posReference)) return; // released after the last queued write of this order is acknowledged
    this.leases.delete(posReference);
    if (lease.confirmed && this.link.send({ type: 'LEASE_RELEASE', posReference })) return;
    this.pendingLeaseReleases.add(posReference);
  }

  /** The table of an order as far as this terminal knows (its last hub snapshot or a queued write). */
  private tableOf(posReference: string): number | null | undefined {
    const known = this.knowledge.tableOf(posReference);
    if (known !== undefined) return known;
    for (const entry of this.outbox.list()) {
      if (orderOf(entry) === posReference && (entry.action === 'orders/update' || entry.action === 'orders/create')) return entry.payload.snapshot.tableId;
    }
    return undefined;
  }

  private requestLease(posReference: string, baseVersion: number, tableIdHint?: number | null): Promise<LeaseResult> {
    const tableId = tableIdHint !== undefined ? tableIdHint : this.tableOf(posReference);
    const pending = this.requests.lease.has(posReference);
    const timeoutMs = this.settings.requestTimeoutMs;
    const result = this.requests.lease.wait(posReference, timeoutMs, () =>
      new HubError(
        'REQUEST_TIMEOUT',
        `The hub did not respond to LEASE_ACQUIRE for ${posReference} within ${seconds(timeoutMs)} seconds; it is overloaded or the message was lost. Check the hub logs.`,
        { retryable: true },
      ),
    );
    if (!pending && !this.link.send({ type: 'LEASE_ACQUIRE', posReference, baseVersion, ...(tableId === undefined ? {} : { tableId }) })) {
      this.settleLeaseOffline(posReference);
    }
    return result;
  }

  /** LEASE_GRANTED: ours on this socket (a grant the app did not ask for stays unwanted). */
  granted(message: HubMessageOf<'LEASE_GRANTED'>): void {
    const lease = this.leases.get(message.posReference);
    this.leases.set(message.posReference, {
      version: message.version,
      expiresAt: message.expiresAt,
      ...(message.epoch === undefined ? {} : { epoch: message.epoch }),
      confirmed: true,
      wanted: lease?.wanted ?? false,
    });
    this.requests.lease.resolve(message.posReference, {
      granted: true,
      version: message.version,
      expiresAt: message.expiresAt,
      ...(message.epoch === undefined ? {} : { epoch: message.epoch }),
      offline: false,
    });
  }

  /** LEASE_DENIED: true when a lease request was waiting for it. */
  denied(message: HubMessageOf<'LEASE_DENIED'>): boolean {
    const denied: LeaseResult = { granted: false, holder: message.holder, reason: message.reason, ...(message.code === undefined ? {} : { code: message.code }) };
    const hadRequest = this.requests.lease.resolve(message.posReference, denied);
    this.leases.delete(message.posReference);
    return hadRequest;
  }

  revoked(posReference: string): void {
    this.leases.delete(posReference);
  }

  /** A confirmed write or a transfer moved the order to `version`: the lease's base follows. */
  advanced(posReference: string, version: number): void {
    const lease = this.leases.get(posReference);
    if (lease) lease.version = Math.max(lease.version, version);
  }

  /** A split's new check comes with its lease (LEASE_GRANTED just before): the app holds it now. */
  adoptIfGranted(posReference: string): void {
    const lease = this.leases.get(posReference);
    if (lease?.confirmed) lease.wanted = true;
  }

  /** A lease request the hub refused with an ERROR: true when one was waiting. */
  refuseLease(posReference: string, code: string, reason: string): boolean {
    return this.requests.lease.resolve(posReference, { granted: false, holder: '', reason, code });
  }

  // ── Table locks ──────────────────────────────────────────────────────────────────────────────

  async acquireLock(tableId: number, force: boolean): Promise<TableLockResult> {
    this.pendingLockReleases.delete(tableId);
    await this.link.settledAttempt();
    if (!this.link.isReady) {
      // The reference's optimistic mode: offline, locking is off and the caller may go ahead.
      this.locks.set(tableId, { confirmed: false });
      return { granted: true, offline: true };
    }
    const pending = this.requests.lock.has(tableId);
    const timeoutMs = this.settings.requestTimeoutMs;
    const type = force ? 'TABLE_LOCK_FORCE_ACQUIRE' : 'TABLE_LOCK_ACQUIRE';
    const result = this.requests.lock.wait(tableId, timeoutMs, () =>
      new HubError('REQUEST_TIMEOUT', `The hub did not respond to ${type} for table ${tableId} within ${seconds(timeoutMs)} seconds. Check the hub logs.`, { retryable: true }),
    );
    if (!pending) this.link.send({ type, tableId });
    return result;
  }

  releaseLock(tableId: number): void {
    const lock = this.locks.get(tableId);
    this.locks.delete(tableId);
    if (lock?.confirmed && this.link.send({ type: 'TABLE_LOCK_RELEASE', tableId })) return;
    if (lock) this.pendingLockReleases.add(tableId);
  }

  lockGranted(message: HubMessageOf<'TABLE_LOCK_GRANTED'>): void {
    this.locks.set(message.tableId, { confirmed: true, ...(message.expiresAt === undefined ? {} : { expiresAt: message.expiresAt }) });
    this.requests.lock.resolve(message.tableId, {
      granted: true,
      offline: false,
      ...(message.expiresAt === undefined ? {} : { expiresAt: message.expiresAt }),
      ...(message.epoch === undefined ? {} : { epoch: message.epoch }),
    });
  }

  lockDenied(message: HubMessageOf<'TABLE_LOCK_DENIED'>): void {
    this.locks.delete(message.tableId);
    this.requests.lock.resolve(message.tableId, {
      granted: false,
      lockedBy: message.lockedBy,
      ...(message.reason === undefined ? {} : { reason: message.reason }),
      ...(message.code === undefined ? {} : { code: message.code }),
    });
  }

  lockGone(tableId: number): void {
    this.locks.delete(tableId);
  }

  /** Someone else took or released a table: true when that ends a grant this terminal held. */
  lockHeldByMe(tableId: number): boolean {
    return this.locks.get(tableId)?.confirmed === true;
  }

  /** A lock request the hub refused with an ERROR: true when one was waiting. */
  refuseLock(tableId: number, code: string, reason: string): boolean {
    return this.requests.lock.resolve(tableId, { granted: false, lockedBy: '', reason, code });
  }

  // ── The socket comes and goes ────────────────────────────────────────────────────────────────

  /** Online: release what was given up offline, take back what the app holds, start the heartbeats. */
  ready(): void {
    this.startHeartbeats();
    for (const posReference of this.pendingLeaseReleases) {
      if (!this.leases.has(posReference)) this.link.send({ type: 'LEASE_RELEASE', posReference });
    }
    this.pendingLeaseReleases.clear();
    for (const tableId of this.pendingLockReleases) {
      if (!this.locks.has(tableId)) this.link.send({ type: 'TABLE_LOCK_RELEASE', tableId });
    }
    this.pendingLockReleases.clear();
    for (const [posReference, lease] of this.leases) {
      if (!lease.wanted) {
        this.leases.delete(posReference);
        continue;
      }
      this.requestLease(posReference, Math.max(lease.version, this.knowledge.ackedVersion(posReference))).then(
        (result) => {
          if (!result.granted) this.events.leaseRevoked(posReference, `lease lost while offline: ${result.reason}`);
        },
        (error: unknown) => this.events.report(error),
      );
    }
    for (const tableId of [...this.locks.keys()]) {
      this.acquireLock(tableId, false).then(
        (result) => {
          if (!result.granted) this.events.lockRevoked(tableId, `locked by ${result.lockedBy} while offline`);
        },
        (error: unknown) => this.events.report(error),
      );
    }
  }

  /** The socket dropped: nothing is confirmed any more; waiting requests become optimistic offline grants. */
  dropped(): void {
    this.generation += 1;
    this.clearTimers();
    for (const lease of this.leases.values()) lease.confirmed = false;
    for (const lock of this.locks.values()) lock.confirmed = false;
    for (const posReference of this.requests.lease.ids()) this.settleLeaseOffline(posReference);
    for (const tableId of this.requests.lock.ids()) {
      this.locks.set(tableId, { confirmed: false });
      this.requests.lock.resolve(tableId, { granted: true, offline: true });
    }
  }

  stop(): void {
    this.generation += 1;
    this.clearTimers();
  }

  private settleLeaseOffline(posReference: string): void {
    const now = this.settings.clock.now();
    const version = this.knowledge.version(posReference);
    const lease = this.leases.get(posReference);
    if (lease) lease.wanted = true;
    else this.leases.set(posReference, { version, expiresAt: now + LEASE_TTL_MS, confirmed: false, wanted: true });
    this.requests.lease.resolve(posReference, { granted: true, version, expiresAt: now + LEASE_TTL_MS, offline: true });
  }

  private startHeartbeats(): void {
    this.clearTimers();
    const generation = this.generation;
    const { clock, leaseHeartbeatMs, tableLockHeartbeatMs } = this.settings;
    const leaseBeat = (): void => {
      if (generation !== this.generation) return;
      for (const [posReference, lease] of this.leases) if (lease.confirmed) this.link.send({ type: 'LEASE_HEARTBEAT', posReference });
      this.leaseTimer = clock.setTimeout(leaseBeat, leaseHeartbeatMs);
    };
    const lockBeat = (): void => {
      if (generation !== this.generation) return;
      for (const [tableId, lock] of this.locks) if (lock.confirmed) this.link.send({ type: 'TABLE_LOCK_HEARTBEAT', tableId });
      this.lockTimer = clock.setTimeout(lockBeat, tableLockHeartbeatMs);
    };
    this.leaseTimer = clock.setTimeout(leaseBeat, leaseHeartbeatMs);
    this.lockTimer = clock.setTimeout(lockBeat, tableLockHeartbeatMs);
  }

  private clearTimers(): void {
    if (this.leaseTimer !== null) this.settings.clock.clearTimeout(this.leaseTimer);
    if (this.lockTimer !== null) this.settings.clock.clearTimeout(this.lockTimer);
    this.leaseTimer = null;
    this.lockTimer = null;
  }
}
