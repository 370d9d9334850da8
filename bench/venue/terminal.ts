/**
 * One simulated POS terminal: signs in, waits for SYNC_INIT, then on each write it is given edits
 * one of its tables' orders the way a waiter does — lease the order, sometimes lock the table,
 * send the snapshot, and after enough edits take it through checkout → paid → ORDER_FINALIZE.
 * One request in flight per order, as a real terminal would; latencies go into shared histograms.
 */
import { monoUs } from '../lib/clock.js';
import type { Histogram } from '../lib/histogram.js';
import { SIM_POS_CONFIG, SIM_POS_SESSION } from '../../src/odoo-sim/seed.js';
import type { MixSpec } from './ipc.js';
import { editDraft, newDraft, toSnapshot, type OrderDraft } from './orders.js';
import type { ClientConnection } from './transport.js';

export interface TerminalStats {
  readonly ack: Histogram;
  readonly propagation: Histogram;
  readonly lease: Histogram;
  readonly lock: Histogram;
  readonly finalize: Histogram;
  readonly received: Map<string, number>;
  readonly sentByType: Map<string, number>;
  readonly errors: Map<string, number>;
  accepted: number;
  finalized: number;
}

export function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

type Step = 'idle' | 'leasing' | 'locking' | 'writing' | 'finalizing';

interface Slot {
  readonly tableId: number;
  draft: OrderDraft;
  version: number;
  leased: boolean;
  locked: boolean;
  writes: number;
  step: Step;
  stepStartedUs: number;
  mutationId: string;
  orderNo: number;
}

/** FNV-1a of the run id in base 36: keeps posReference suffixes alphanumeric and short. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36);
}

/** A request unanswered for this long is counted as a timeout and the slot freed. */
const REQUEST_TIMEOUT_US = 5_000_000;

export class Terminal {
  readonly deviceId: string;
  private conn: ClientConnection | null = null;
  private readonly slots: Slot[];
  private readonly byRef = new Map<string, Slot>();
  private readonly byTable = new Map<number, Slot>();
  private cursor = 0;
  private mutationNo = 0;
  openedAtUs = 0;
  syncedAtUs = 0;
  closed = false;
  private nextHeartbeatUs = 0;
  /** posReferences in the reference's format NU/CFG{config}/S{session}/{timestamp}-{random}; the random part names run, table and order. */
  private readonly refPrefix: string;

  constructor(
    readonly index: number,
    runId: string,
    tableIds: readonly number[],
    private readonly stats: TerminalStats,
    private readonly random: () => number,
    private readonly onSynced: (t: Terminal) => void,
  ) {
    this.deviceId = `bench-${runId}-t${index}`;
    const createdAt = new Date().toISOString();
    this.refPrefix = `NU/CFG${SIM_POS_CONFIG.id}/S${SIM_POS_SESSION.id}/${Date.now()}-${shortHash(runId)}`;
    this.slots = tableIds.map((tableId) => {
      const slot: Slot = {
        tableId,
        draft: newDraft(`${this.refPrefix}t${tableId}n0`, tableId, random, createdAt),
        version: 0,
        leased: false,
        locked: false,
        writes: 0,
        step: 'idle',
        stepStartedUs: 0,
        mutationId: '',
        orderNo: 0,
      };
      this.byRef.set(slot.draft.posReference, slot);
      this.byTable.set(tableId, slot);
      return slot;
    });
  }

  attach(conn: ClientConnection): void {
    this.conn = conn;
    this.openedAtUs = monoUs();
  }

  /** Socket open: sign in. `benchTables` is ignored by the hub; the relays join a room per table from it. */
  opened(tables: number): void {
    this.send({ type: 'AUTH', token: `dev:cashier:${this.deviceId}`, deviceId: this.deviceId, benchTables: tables });
  }

  private send(message: Record<string, unknown>): void {
    bump(this.stats.sentByType, String(message.type));
    this.conn?.send(message);
  }

  get ready(): boolean {
    return this.syncedAtUs > 0 && !this.closed;
  }

  /** Start one write on the next order that has nothing in flight; false when all are busy. */
  write(mix: MixSpec): boolean {
    for (let i = 0; i < this.slots.length; i += 1) {
      const slot = this.slots[(this.cursor + i) % this.slots.length]!;
      if (slot.step !== 'idle') continue;
      this.cursor = (this.cursor + i + 1) % this.slots.length;
      this.begin(slot, mix);
      return true;
    }
    return false;
  }

  private begin(slot: Slot, mix: MixSpec): void {
    const now = monoUs();
    slot.stepStartedUs = now;
    if (mix.finalizeAfter > 0 && slot.writes >= mix.finalizeAfter) {
      slot.step = 'finalizing';
      const snapshot = toSnapshot(slot.draft, { state: 'paid', staffName: this.deviceId });
      this.send({
        type: 'ORDER_FINALIZE',
        posReference: slot.draft.posReference,
        snapshot,
        configId: SIM_POS_CONFIG.id,
        mutationId: this.nextMutation(slot),
      });
      return;
    }
    if (!slot.leased) {
      slot.step = 'leasing';
      this.send({
        type: 'LEASE_ACQUIRE',
        posReference: slot.draft.posReference,
        baseVersion: slot.version,
        tableId: slot.tableId,
      });
      return;
    }
    if (mix.lockFraction > 0 && this.random() < mix.lockFraction) {
      slot.step = 'locking';
      this.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: slot.tableId });
      return;
    }
    this.sendSnapshot(slot, mix);
  }

  private nextMutation(slot: Slot): string {
    slot.mutationId = `${this.deviceId}-m${this.mutationNo++}`;
    return slot.mutationId;
  }

  private sendSnapshot(slot: Slot, mix: MixSpec): void {
    slot.step = 'writing';
    // The order's life: edits while open, then checkout (sent to kitchen), then paid; finalize follows.
    const left = mix.finalizeAfter > 0 ? mix.finalizeAfter - slot.writes : Number.POSITIVE_INFINITY;
    const state = left === 1 ? 'paid' : left === 2 ? 'checkout' : 'editing';
    if (state === 'editing') editDraft(slot.draft, this.random);
    const sentUs = monoUs();
    slot.stepStartedUs = sentUs;
    const snapshot = toSnapshot(slot.draft, { state, staffName: this.deviceId, extra: { benchSentUs: sentUs } });
    this.send({
      type: 'ORDER_SNAPSHOT',
      posReference: slot.draft.posReference,
      baseVersion: slot.version,
      snapshot,
      mutationId: this.nextMutation(slot),
    });
  }

  /** Called by the process tick: heartbeats when due, and timeouts of stuck requests. */
  tick(nowUs: number, mix: MixSpec): void {
    if (!this.ready) return;
    if (mix.heartbeatMs > 0) {
      if (this.nextHeartbeatUs === 0) this.nextHeartbeatUs = nowUs + this.random() * mix.heartbeatMs * 1000;
      else if (nowUs >= this.nextHeartbeatUs) {
        this.nextHeartbeatUs = nowUs + mix.heartbeatMs * 1000;
        this.send({ type: 'HEARTBEAT' });
        for (const slot of this.slots) {
          if (slot.leased) this.send({ type: 'LEASE_HEARTBEAT', posReference: slot.draft.posReference });
          if (slot.locked) this.send({ type: 'TABLE_LOCK_HEARTBEAT', tableId: slot.tableId });
        }
      }
    }
    for (const slot of this.slots) {
      if (slot.step !== 'idle' && nowUs - slot.stepStartedUs > REQUEST_TIMEOUT_US) {
        bump(this.stats.errors, `timeout ${slot.step}`);
        slot.step = 'idle';
      }
    }
  }

  get busy(): boolean {
    return this.slots.some((s) => s.step !== 'idle');
  }

  receive(message: Record<string, unknown> | null, mix: MixSpec | null): void {
    if (message === null) {
      bump(this.stats.received, 'ORDER_UPDATED');
      return;
    }
    const type = String(message.type);
    bump(this.stats.received, type);
    const now = monoUs();
    const ref = typeof message.posReference === 'string' ? this.byRef.get(message.posReference) : undefined;
    switch (type) {
      case 'AUTH_OK':
      case 'HEARTBEAT_ACK':
      case 'HUB_STATUS':
      case 'TABLE_LOCKED':
      case 'TABLE_LOCK_RELEASED':
      case 'LEASE_RELEASED':
      case 'TABLE_UPDATED':
      case 'SYNC_RESUME':
        return;
      case 'SYNC_INIT':
        this.adoptSync(message);
        if (this.syncedAtUs === 0) {
          this.syncedAtUs = now;
          this.onSynced(this);
        }
        return;
      case 'ORDER_UPDATED': {
        const snapshot = message.snapshot as Record<string, unknown> | undefined;
        const sentUs = snapshot?.benchSentUs;
        if (typeof sentUs === 'number') this.stats.propagation.record(now - sentUs);
        return;
      }
      case 'LEASE_GRANTED':
        if (ref === undefined || ref.step !== 'leasing') return;
        this.stats.lease.record(now - ref.stepStartedUs);
        ref.leased = true;
        if (typeof message.version === 'number') ref.version = message.version;
        if (mix !== null) this.continueAfterLease(ref, mix);
        else ref.step = 'idle';
        return;
      case 'TABLE_LOCK_GRANTED':
      case 'TABLE_LOCK_DENIED': {
        const slot = typeof message.tableId === 'number' ? this.byTable.get(message.tableId) : undefined;
        if (slot === undefined || slot.step !== 'locking') return;
        this.stats.lock.record(now - slot.stepStartedUs);
        if (type === 'TABLE_LOCK_GRANTED') slot.locked = true;
        else bump(this.stats.errors, 'TABLE_LOCK_DENIED');
        if (mix !== null) this.sendSnapshot(slot, mix);
        else slot.step = 'idle';
        return;
      }
      case 'ORDER_ACK':
        if (ref === undefined || ref.step !== 'writing' || message.mutationId !== ref.mutationId) return;
        this.stats.ack.record(now - ref.stepStartedUs);
        this.stats.accepted += 1;
        if (typeof message.version === 'number') ref.version = message.version;
        ref.writes += 1;
        this.endWrite(ref);
        return;
      case 'CONFLICT':
        if (ref === undefined) return;
        bump(this.stats.errors, 'CONFLICT');
        if (typeof message.hubVersion === 'number') ref.version = message.hubVersion;
        this.endWrite(ref);
        return;
      case 'LEASE_DENIED':
      case 'LEASE_REVOKED':
        bump(this.stats.errors, type);
        if (ref === undefined) return;
        ref.leased = false;
        ref.step = 'idle';
        return;
      case 'ORDER_FINALIZED':
      case 'ORDER_FINALIZE_QUEUED':
      case 'ORDER_FINALIZE_ERROR':
        if (ref === undefined || ref.step !== 'finalizing') return;
        this.stats.finalize.record(now - ref.stepStartedUs);
        if (type === 'ORDER_FINALIZE_ERROR')
          bump(this.stats.errors, `ORDER_FINALIZE_ERROR ${String(message.code ?? message.error)}`);
        else this.stats.finalized += 1;
        this.nextOrder(ref);
        return;
      case 'ERROR': {
        bump(this.stats.errors, `ERROR ${String(message.code)}`);
        const r = message.ref as Record<string, unknown> | undefined;
        const slot =
          typeof r?.posReference === 'string'
            ? this.byRef.get(r.posReference)
            : typeof r?.tableId === 'number'
              ? this.byTable.get(r.tableId)
              : undefined;
        if (slot !== undefined && slot.step !== 'idle') {
          if (slot.step === 'leasing') slot.leased = false;
          this.endWrite(slot);
        }
        return;
      }
      default:
        bump(this.stats.errors, `unexpected ${type}`);
    }
  }

  private continueAfterLease(slot: Slot, mix: MixSpec): void {
    if (mix.lockFraction > 0 && this.random() < mix.lockFraction) {
      slot.step = 'locking';
      slot.stepStartedUs = monoUs();
      this.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: slot.tableId });
      return;
    }
    this.sendSnapshot(slot, mix);
  }

  private endWrite(slot: Slot): void {
    if (slot.locked) {
      slot.locked = false;
      this.send({ type: 'TABLE_LOCK_RELEASE', tableId: slot.tableId });
    }
    slot.step = 'idle';
  }

  /** The paid order is gone; the table gets a fresh check with a new posReference. */
  private nextOrder(slot: Slot): void {
    this.byRef.delete(slot.draft.posReference);
    slot.orderNo += 1;
    slot.draft = newDraft(
      `${this.refPrefix}t${slot.tableId}n${slot.orderNo}`,
      slot.tableId,
      this.random,
      new Date().toISOString(),
    );
    this.byRef.set(slot.draft.posReference, slot);
    slot.version = 0;
    slot.leased = false;
    slot.writes = 0;
    slot.step = 'idle';
  }

  /** After a reconnect the hub may already know our orders: take its versions. */
  private adoptSync(message: Record<string, unknown>): void {
    const orders = Array.isArray(message.orders) ? (message.orders as Array<Record<string, unknown>>) : [];
    for (const order of orders) {
      const slot = typeof order.posReference === 'string' ? this.byRef.get(order.posReference) : undefined;
      if (slot !== undefined && typeof order.version === 'number') slot.version = order.version;
    }
  }

  close(): void {
    this.closed = true;
    this.conn?.close();
  }
}
