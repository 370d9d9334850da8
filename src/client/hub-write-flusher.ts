/**
 * Sends one outbox entry to the hub and settles it: removed on its confirmation (ORDER_ACK, the
 * finalize reply, the TABLE_UPDATED / FLOOR_PLAN_CHANGED broadcast of our own write), rescheduled with
 * backoff on a transient failure (never sooner than a RATE_LIMITED's retryAfterMs), dropped and
 * reported on a permanent refusal, and on CONFLICT reconciled through the order domain and re-queued
 * on the hub's version. It also keeps, per queued snapshot, the hub snapshot the edit started from.
 */
import { HubError, type ErrorCode } from '../protocol/errors.js';
import type { HubMessageOf } from '../protocol/hub-messages.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';
import type { TerminalMessage } from '../protocol/terminal-messages.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { ClientClock } from './deps.js';
import type { WriteLeases } from './grant-books.js';
import type { Outbox } from './outbox.js';
import type { OutboxEntry, OutboxPayloads } from './outbox-store.js';
import type { OrderKnowledge } from './order-knowledge.js';
import { sameSnapshot, type Reconciler } from './reconcile.js';
import type { FinalizeReply, PendingRequests, WriteOutcome } from './requests.js';
import type { ConflictInfo, LeaseResult } from './types.js';

export type { WriteOutcome } from './requests.js';

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

/** The socket as the writer sees it. */
export interface WriteLink {
  readonly isReady: boolean;
  /** False when the socket is not open. */
  send(message: TerminalMessage): boolean;
}

export interface FlusherSettings {
  readonly clock: ClientClock;
  readonly random: () => number;
  readonly newId: () => string;
  readonly requestTimeoutMs: number;
  readonly outboxBackoff: BackoffPolicy;
  readonly reconcile: Reconciler;
}

/** The writer's narrow port: the socket, the leases a write needs, what it learns of orders, and where it reports. */
export interface FlushPort {
  readonly link: WriteLink;
  readonly leases: WriteLeases;
  readonly knowledge: Pick<OrderKnowledge, 'ackedVersion' | 'noteAcked' | 'noteSnapshot'>;
  conflict(info: ConflictInfo): void;
  report(error: unknown): void;
}

type OrderUpdateEntry = Extract<OutboxEntry, { action: 'orders/update' }>;

export class HubWriteFlusher {
  /** Per queued snapshot (by mutationId): the hub snapshot its edit started from. */
  private readonly bases = new Map<string, OrderSnapshot>();

  constructor(
    private readonly outbox: Outbox,
    private readonly requests: PendingRequests,
    private readonly port: FlushPort,
    private readonly settings: FlusherSettings,
  ) {}

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
    this.outbox.remove(id);
    this.bases.delete(id);
  }

  /** Try again after the backoff for its attempt, and never before the hub's `retryAfterMs`. */
  private retryLater(entry: OutboxEntry, error: string, retryAfterMs = 0): void {
    const delay = Math.max(backoffDelay(this.settings.outboxBackoff, entry.attempts, this.settings.random), retryAfterMs);
    this.outbox.fail(entry.id, error, this.settings.clock.now() + delay);
  }

  private timeout(what: string): () => HubError {
    return () => new HubError('REQUEST_TIMEOUT', `no answer to ${what} within ${Math.round(this.settings.requestTimeoutMs / 1000)} seconds`, { retryable: true });
  }

  /** Send one entry and settle it: removed on its confirmation, rescheduled on a transient failure. */
  async flush(entry: OutboxEntry): Promise<void> {
    if (!this.port.link.isReady) return;
    switch (entry.action) {
      case 'orders/update':
        await this.flushSnapshot(entry);
        return;
      case 'orders/create':
        // A direct-mode entry left from before the terminal switched to hub mode: send it as a first write.
        await this.flushSnapshot({ ...entry, action: 'orders/update', payload: { ...entry.payload, baseVersion: 0 } });
        return;
      case 'orders/finalize': {
        const p = entry.payload;
        this.outbox.setInFlight(entry.id);
        const reply = this.waitFinalize(p.pos_reference);
        if (!this.port.link.send({ type: 'ORDER_FINALIZE', posReference: p.pos_reference, snapshot: p.snapshot, configId: p.configId, mutationId: p.mutationId })) return;
        const { result, retryAfterMs } = await reply;
        if (result.status === 'error' && result.retryable) this.retryLater(entry, result.error, retryAfterMs);
        else this.outbox.remove(entry.id);
        this.outbox.setInFlight(null);
        return;
      }
      case 'tables/update': {
        const p = entry.payload;
        const reply = this.requests.table.wait(p.tableId, this.settings.requestTimeoutMs, this.timeout(`TABLE_UPDATE of table ${p.tableId}`));
        const message: TerminalMessage = { type: 'TABLE_UPDATE', tableId: p.tableId, status: p.status, mutationId: p.mutationId, ...(p.posReference === undefined ? {} : { posReference: p.posReference }) };
        await this.settleSimple(entry, message, reply, () => this.requests.table.reject(p.tableId, unreachable()), `table ${p.tableId}`);
        return;
      }
      case 'floor-plans/update': {
        const p = entry.payload;
        const reply = this.requests.floor.wait(p.floorId, this.settings.requestTimeoutMs, this.timeout(`FLOOR_PLAN_UPDATE of floor ${p.floorId}`));
        const message: TerminalMessage = { type: 'FLOOR_PLAN_UPDATE', floorId: p.floorId, tables: [...p.tables], mutationId: p.mutationId, ...(p.layoutMode === undefined ? {} : { layoutMode: p.layoutMode }) };
        await this.settleSimple(entry, message, reply, () => this.requests.floor.reject(p.floorId, unreachable()), `floor plan ${p.floorId}`);
        return;
      }
      default: {
        const never: never = entry;
        this.port.report(new HubError('INTERNAL', `unknown outbox action ${JSON.stringify(never)}`));
      }
    }
  }

  /**
   * A write answered by its broadcast or an ERROR (TABLE_UPDATE, FLOOR_PLAN_UPDATE): done on the
   * broadcast; a permanent refusal is dropped and reported; anything else (STORAGE_UNAVAILABLE,
   * RATE_LIMITED, no answer) is retried like an order write.
   */
  private async settleSimple(entry: OutboxEntry, message: TerminalMessage, reply: Promise<WriteOutcome>, abandon: () => void, what: string): Promise<void> {
    this.outbox.setInFlight(entry.id);
    if (!this.port.link.send(message)) {
      abandon();
      await reply.catch(() => undefined);
      this.outbox.setInFlight(null);
      return;
    }
    let outcome: WriteOutcome;
    try {
      outcome = await reply;
    } catch (error) {
      this.outbox.setInFlight(null);
      if (this.outbox.get(entry.id)) this.retryLater(entry, error instanceof Error ? error.message : String(error));
      return;
    }
    this.outbox.setInFlight(null);
    if (outcome.kind !== 'error') {
      this.outbox.remove(entry.id);
    } else if (PERMANENT_WRITE_ERRORS.has(outcome.code) || outcome.code === 'LOCK_HELD') {
      // LOCK_HELD: another terminal owns the table now; a status landing after its edits would be stale.
      this.outbox.remove(entry.id);
      this.port.report(new HubError(outcome.code, `${what} refused and dropped: ${outcome.message}`, { details: { mutationId: entry.id } }));
    } else {
      this.retryLater(entry, `${outcome.code}: ${outcome.message}`, outcome.retryAfterMs);
    }
  }

  /** The finalize reply for an order; no answer in time is a retryable error (the entry stays queued). */
  waitFinalize(posReference: string): Promise<FinalizeReply> {
    return this.requests.finalize
      .wait(posReference, this.settings.requestTimeoutMs, () => new HubError('REQUEST_TIMEOUT', `no answer to ORDER_FINALIZE for ${posReference}`, { retryable: true }))
      .catch((error: unknown): FinalizeReply => ({
        result: { status: 'error', posReference, error: error instanceof Error ? error.message : String(error), retryable: true, code: error instanceof HubError ? error.code : 'INTERNAL' },
      }));
  }

  private async flushSnapshot(entry: OrderUpdateEntry): Promise<void> {
    const payload = entry.payload;
    const posReference = payload.pos_reference;
    const { link, leases, knowledge } = this.port;
    // A write needs the lease on this socket; take it if the app did not (or it lapsed while offline).
    if (!leases.onSocket(posReference)) {
      let lease: LeaseResult;
      try {
        lease = await leases.request(posReference, payload.baseVersion);
      } catch (error) {
        this.retryLater(entry, error instanceof Error ? error.message : String(error));
        return;
      }
      if (!lease.granted) {
        if (entry.attempts === 0) {
          this.port.report(new HubError('LEASE_HELD', `queued edits of ${posReference} wait: ${lease.reason} (holder ${lease.holder})`, { retryable: true, details: { posReference, holder: lease.holder } }));
        }
        this.retryLater(entry, `lease denied: ${lease.reason} (holder ${lease.holder})`);
        return;
      }
      if (lease.offline) return; // the socket dropped meanwhile
    }
    if (!link.isReady) return;
    const baseVersion = Math.max(payload.baseVersion, knowledge.ackedVersion(posReference));
    const epoch = leases.epoch(posReference);
    this.outbox.setInFlight(entry.id);
    const reply = this.requests.write.wait(entry.id, this.settings.requestTimeoutMs, () => new HubError('REQUEST_TIMEOUT', `no answer to ORDER_SNAPSHOT ${entry.id} for ${posReference}`, { retryable: true }));
    if (!link.send({ type: 'ORDER_SNAPSHOT', posReference, baseVersion, snapshot: payload.snapshot, mutationId: entry.id, ...(epoch === undefined ? {} : { epoch }) })) {
      this.requests.write.reject(entry.id, unreachable());
      await reply.catch(() => undefined);
      return;
    }
    let outcome: WriteOutcome;
    try {
      outcome = await reply;
    } catch (error) {
      this.outbox.setInFlight(null);
      if (this.outbox.get(entry.id)) this.retryLater(entry, error instanceof Error ? error.message : String(error));
      return;
    }
    this.outbox.setInFlight(null);
    switch (outcome.kind) {
      case 'ack':
        knowledge.noteSnapshot(posReference, outcome.version ?? baseVersion + 1, payload.snapshot);
        this.drop(entry.id);
        leases.releaseIfIdle(posReference);
        return;
      case 'conflict':
        this.resolveConflict(entry, outcome.message);
        return;
      case 'lease-denied':
        leases.forget(posReference);
        this.retryLater(entry, `lease not held: ${outcome.reason}`);
        return;
      case 'error':
        if (outcome.code === 'LEASE_NOT_HELD' || outcome.code === 'STALE_EPOCH') {
          leases.forget(posReference);
          this.retryLater(entry, `${outcome.code}: ${outcome.message}`);
        } else if (PERMANENT_WRITE_ERRORS.has(outcome.code)) {
          this.drop(entry.id);
          leases.releaseIfIdle(posReference);
          this.port.report(new HubError(outcome.code, `snapshot for ${posReference} refused and dropped: ${outcome.message}`, { details: { posReference, mutationId: entry.id } }));
        } else {
          // VERSION_CONFLICT, STORAGE_UNAVAILABLE, RATE_LIMITED, …: the same write may pass later.
          this.retryLater(entry, `${outcome.code}: ${outcome.message}`, outcome.retryAfterMs);
        }
        return;
      default: {
        const never: never = outcome;
        throw new Error(`unknown write outcome ${JSON.stringify(never)}`);
      }
    }
  }

  /** CONFLICT: the hub has a newer version. Reconcile; re-send the merged result on the hub's version. */
  private resolveConflict(entry: OrderUpdateEntry, conflict: HubMessageOf<'CONFLICT'>): void {
    const payload = entry.payload;
    const posReference = payload.pos_reference;
    const { leases, knowledge } = this.port;
    if (sameSnapshot(conflict.hubSnapshot, payload.snapshot)) {
      // The hub already holds exactly this write (a replay of a committed mutation): it is done.
      knowledge.noteAcked(posReference, conflict.hubVersion);
      knowledge.noteSnapshot(posReference, conflict.hubVersion, conflict.hubSnapshot);
      this.drop(entry.id);
      leases.releaseIfIdle(posReference);
      return;
    }
    knowledge.noteSnapshot(posReference, conflict.hubVersion, conflict.hubSnapshot);
    const outcome = this.settings.reconcile({
      local: payload.snapshot,
      localBaseVersion: payload.baseVersion,
      remote: conflict.hubSnapshot,
      remoteVersion: conflict.hubVersion,
      base: this.bases.get(entry.id) ?? null,
    });
    // The hub's version is now our base for this order.
    knowledge.noteAcked(posReference, conflict.hubVersion);
    this.port.conflict({
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
      leases.releaseIfIdle(posReference);
      return;
    }
    const mutationId = this.settings.newId();
    const next: OutboxPayloads['orders/update'] = { pos_reference: posReference, baseVersion: conflict.hubVersion, snapshot: outcome.snapshot, mutationId };
    this.bases.delete(entry.id);
    if (conflict.hubSnapshot) this.bases.set(mutationId, conflict.hubSnapshot);
    this.outbox.rewrite(entry.id, mutationId, next);
  }
}

function unreachable(): HubError {
  return new HubError('HUB_UNREACHABLE', 'the connection to the hub closed before the write was sent', { retryable: true });
}
