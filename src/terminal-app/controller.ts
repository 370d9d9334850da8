/**
 * The terminal's behaviour: which table and order are open, the lease and table lock that go with
 * them, every edit run through the order-domain operations (the same rules the hub enforces) and
 * handed to the SDK's outbox, and every hub event folded into the screen state. No DOM here, so the
 * view stays a function of the state and this file reads as the quickstart's steps.
 */
import type { ConflictInfo, FinalizeResult, SyncTransport } from '../client/types.js';
import type { KitchenOptions } from '../domain/kitchen-status.js';
import {
  addLine,
  finalizeOrder as finalizeDomain,
  goCheckout,
  goEditing,
  markPaid,
  newOrder,
  removeLine,
  setLineQty,
  setTableMeta,
  type OpContext,
} from '../domain/order-ops.js';
import { generatePosReference } from '../domain/pos-reference.js';
import type { DomainResult } from '../domain/result.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';
import { pricingOf, type Catalog, type CatalogSource } from './catalog.js';
import { initialState, openOrdersOf, type AppState, type HubTable, type OrderEntry } from './state.js';

export interface ControllerDeps {
  readonly transport: SyncTransport;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly random: () => number;
  readonly newId: () => string;
}

/** Timestamps the e2e tests read (window.posTerminal) to print the tab-to-tab delay. */
export interface Timings {
  lastLocalEditAt: number;
  readonly remoteUpdates: { posReference: string; version: number; lines: number; at: number }[];
}

export type ConflictChoice = 'load_latest' | 'keep_mine';

const NO_TABLE: HubTable = { status: null, posReference: null, lockedBy: null };
/** Bounded so a long-running tablet does not grow this list forever. */
const MAX_TIMINGS = 200;

export class TerminalController {
  private current: AppState;
  private readonly listeners = new Set<(state: AppState) => void>();
  /** Bumped on every lease request, so a late answer for an order no longer open is let go. */
  private leaseGeneration = 0;
  /** The lease request under way: edits tapped meanwhile wait for its answer instead of being lost. */
  private leaseInFlight: Promise<boolean> | null = null;
  private serialTail: Promise<unknown> = Promise.resolve();
  readonly timings: Timings = { lastLocalEditAt: 0, remoteUpdates: [] };

  constructor(
    private readonly deps: ControllerDeps,
    catalog: Catalog,
    catalogSource: CatalogSource,
  ) {
    this.current = initialState(catalog, catalogSource);
    this.subscribeTransport();
  }

  get state(): AppState {
    return this.current;
  }

  subscribe(listener: (state: AppState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setCatalog(catalog: Catalog, source: CatalogSource): void {
    this.set({ catalog, catalogSource: source });
  }

  showNotice(text: string, code?: string): void {
    this.set({ notice: code === undefined ? { text } : { text, code } });
  }

  dismissNotice(): void {
    this.set({ notice: null });
  }

  // ── Navigation: table lock and order lease ──────────────────────────────────────────────────

  async openTable(tableId: number): Promise<void> {
    if (this.current.selectedTableId === tableId) return;
    if (this.current.selectedTableId !== null) this.leaveTable();
    this.set({ selectedTableId: tableId, activePos: null, lease: { status: 'none' }, lock: { status: 'pending' }, finalize: { status: 'idle' }, notice: null });
    void this.acquireLock(tableId);
    const first = openOrdersOf(this.current, tableId)[0];
    if (first !== undefined) await this.openOrder(first.posReference);
  }

  /** Back to the floor plan: the seed's "navigate away", which releases the lease and the lock. */
  leaveTable(): void {
    const { selectedTableId, lock } = this.current;
    this.releaseActiveLease();
    if (selectedTableId !== null && (lock.status === 'held' || lock.status === 'pending')) this.deps.transport.releaseTableLock(selectedTableId);
    this.set({ selectedTableId: null, activePos: null, lease: { status: 'none' }, lock: { status: 'none' }, finalize: { status: 'idle' }, conflict: null });
  }

  async openOrder(posReference: string): Promise<void> {
    if (this.current.activePos !== posReference) this.releaseActiveLease();
    const entry = this.current.orders.get(posReference);
    const finalize = entry?.odooOrderId != null ? ({ status: 'done', orderId: entry.odooOrderId } as const) : ({ status: 'idle' } as const);
    this.set({ activePos: posReference, finalize });
    if (entry === undefined || entry.snapshot.state === 'finalized') {
      this.set({ lease: { status: 'none' } });
      return;
    }
    await this.requestLease(posReference, entry.version);
  }

  /** "Try again" after LEASE_DENIED, and what hub events that free the order trigger. */
  async retryLease(): Promise<void> {
    const pos = this.current.activePos;
    const entry = pos === null ? undefined : this.current.orders.get(pos);
    // A closed check has no writer to be: nothing to ask for.
    if (pos === null || entry === undefined || entry.snapshot.state === 'finalized' || entry.odooOrderId !== null) return;
    await this.requestLease(pos, entry.version);
  }

  private requestLease(posReference: string, version: number): Promise<boolean> {
    const asked = this.askLease(posReference, version, true);
    this.leaseInFlight = asked;
    void asked.finally(() => {
      if (this.leaseInFlight === asked) this.leaseInFlight = null;
    });
    return asked;
  }

  private async askLease(posReference: string, version: number, again: boolean): Promise<boolean> {
    const generation = ++this.leaseGeneration;
    this.set({ lease: { status: 'pending' } });
    try {
      const result = await this.deps.transport.acquireLease(posReference, version);
      if (generation !== this.leaseGeneration || this.current.activePos !== posReference) {
        if (result.granted && this.current.activePos !== posReference) this.deps.transport.releaseLease(posReference);
        return false;
      }
      // Asked while the SDK was still syncing (an offline grant), and it is online now: ask the hub.
      if (result.granted && result.offline && again && this.deps.transport.state === 'online') return this.askLease(posReference, version, false);
      if (result.granted) {
        this.set({ lease: { status: 'held', offline: result.offline } });
        return true;
      }
      this.set({ lease: { status: 'denied', holder: result.holder, reason: result.reason, ...(result.code === undefined ? {} : { code: result.code }) } });
      return false;
    } catch (error) {
      if (generation === this.leaseGeneration) this.set({ lease: { status: 'error', reason: messageOf(error) } });
      return false;
    }
  }

  private releaseActiveLease(): void {
    const pos = this.current.activePos;
    this.leaseGeneration++;
    if (pos !== null && this.deps.transport.isLeaseHeld(pos)) this.deps.transport.releaseLease(pos);
  }

  private async acquireLock(tableId: number, again = true): Promise<void> {
    this.set({ lock: { status: 'pending' } });
    try {
      const result = await this.deps.transport.acquireTableLock(tableId);
      if (this.current.selectedTableId !== tableId) {
        if (result.granted) this.deps.transport.releaseTableLock(tableId);
        return;
      }
      if (result.granted && result.offline && again && this.deps.transport.state === 'online') return this.acquireLock(tableId, false);
      this.set({ lock: result.granted ? { status: 'held', offline: result.offline } : { status: 'denied', lockedBy: result.lockedBy } });
    } catch (error) {
      if (this.current.selectedTableId === tableId) this.set({ lock: { status: 'none' }, notice: { text: `Table lock: ${messageOf(error)}` } });
    }
  }

  // ── Edits: every one is an order-domain operation, then a snapshot into the outbox ───────────

  /** A new check on the selected table (the reference's ORDER_NEW). */
  newOrder(): Promise<boolean> {
    return this.serial(() => this.startOrder(true));
  }

  /** Taps that may first have to start an order run one after another, so items land in tap order. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.serialTail.then(task, task);
    this.serialTail = run.catch(() => undefined);
    return run;
  }

  /** `writeEmpty`: false when the first item follows at once (one write instead of two). */
  /** Until the hub's (or a cached) catalog is here there is nothing to sell and no session to sell in. */
  private refuseWithoutRealCatalog(): boolean {
    if (this.current.catalogSource !== 'none') return false;
    this.set({ notice: { text: 'The product catalog has not arrived from the hub yet (the hub reads it from Odoo); orders can be rung up once it has.' } });
    return true;
  }

  private async startOrder(writeEmpty: boolean): Promise<boolean> {
    const tableId = this.current.selectedTableId;
    if (tableId === null || this.refuseWithoutRealCatalog()) return false;
    const { catalog } = this.current;
    const posReference = generatePosReference({ configId: catalog.configId, sessionId: catalog.sessionId }, { now: this.deps.now, random: this.deps.random });
    const snapshot = newOrder({
      posReference,
      tableId,
      sessionId: catalog.sessionId,
      userId: catalog.userId,
      configId: catalog.configId,
      pricelistId: catalog.pricelistId,
      createdAt: new Date(this.deps.now()).toISOString(),
      guestCount: 1,
    });
    this.releaseActiveLease();
    this.putOrder({ posReference, version: 0, snapshot, leasedBy: null, pendingMutation: null, odooOrderId: null });
    this.set({ activePos: posReference, finalize: { status: 'idle' } });
    if (!(await this.requestLease(posReference, 0))) {
      // Never written anywhere: forget it rather than show an empty check nobody can edit.
      const orders = new Map(this.current.orders);
      orders.delete(posReference);
      const lease = this.current.lease;
      const why = lease.status === 'denied' ? `${lease.reason} (holder ${lease.holder})` : lease.status === 'error' ? lease.reason : lease.status;
      this.set({ orders, notice: { text: `Could not start a check: ${why}`, code: 'LEASE_DENIED' }, ...(this.current.activePos === posReference ? { activePos: null } : {}) });
      return false;
    }
    if (writeEmpty) this.commit(posReference, snapshot);
    this.deps.transport.sendTableUpdate(tableId, 'occupied', posReference);
    return true;
  }

  addProduct(productId: number): Promise<void> {
    return this.serial(() => this.addProductNow(productId));
  }

  private async addProductNow(productId: number): Promise<void> {
    if (this.refuseWithoutRealCatalog()) return;
    const product = this.current.catalog.products.find((p) => p.id === productId);
    if (product === undefined) return;
    const active = this.activeEntry();
    if (active === null || active.snapshot.state === 'finalized') {
      if (!(await this.startOrder(false))) return;
    }
    this.edit((order, ctx) => {
      // Same product, not yet sent to the kitchen: one more of it rather than a second line.
      const same = order.lines.find((line) => line.productId === productId && line.kitchenSentAt === undefined && line.qty > 0);
      if (same !== undefined) return setLineQty(order, same.uid, same.qty + 1, ctx);
      return addLine(order, { uid: this.deps.newId(), productId, name: product.name, qty: 1, priceUnit: product.price, taxIds: product.taxIds }, ctx);
    });
  }

  changeQty(uid: string, delta: number): void {
    this.edit((order, ctx) => {
      const line = order.lines.find((l) => l.uid === uid);
      if (line === undefined) return setLineQty(order, uid, 1, ctx);
      const qty = line.qty + delta;
      return qty === 0 ? removeLine(order, uid, ctx) : setLineQty(order, uid, qty, ctx);
    });
  }

  removeLine(uid: string): void {
    this.edit((order, ctx) => removeLine(order, uid, ctx));
  }

  changeGuests(delta: number): void {
    this.edit((order) => setTableMeta(order, { guestCount: Math.max(0, (order.guestCount ?? 0) + delta) }));
  }

  setStaff(staffName: string): void {
    this.edit((order) => setTableMeta(order, { staffName }));
  }

  /** GO_CHECKOUT (the ticket goes to the kitchen); from `changed`, back through editing to re-send. */
  sendToKitchen(): void {
    const send = { kitchenTicketId: `K${this.deps.now().toString(36)}`, sentAt: new Date(this.deps.now()).toISOString() };
    this.edit((order) => {
      if (order.state === 'checkout') {
        const back = goEditing(order);
        return back.ok ? goCheckout(back.value, send) : back;
      }
      return goCheckout(order, send);
    });
  }

  /** MARK_PAID with one payment line for the whole total, on the session's first journal. */
  pay(): void {
    const { payment } = this.current.catalog;
    this.edit((order) =>
      markPaid(order, {
        payments: [{ uid: this.deps.newId(), journalId: payment.journalId, statementId: payment.statementId, amount: order.amountTotal, name: payment.name }],
      }),
    );
  }

  /** The seed's "Done": the paid order goes to Odoo through the hub (ORDER_FINALIZE). */
  async finalize(): Promise<void> {
    const entry = this.activeEntry();
    if (entry === null) return;
    if (entry.snapshot.state !== 'paid') {
      this.set({ notice: { text: `Only a paid order can be finalized (this one is ${entry.snapshot.state}).`, code: 'INVALID_TRANSITION' } });
      return;
    }
    this.set({ finalize: { status: 'pending' } });
    let result: FinalizeResult;
    try {
      result = await this.deps.transport.finalizeOrder(entry.posReference, entry.snapshot, this.current.catalog.configId);
    } catch (error) {
      result = { status: 'error', posReference: entry.posReference, error: messageOf(error), retryable: true };
    }
    this.applyFinalize(result);
  }

  resolveConflict(choice: ConflictChoice): void {
    const conflict = this.current.conflict;
    if (conflict === null) return;
    this.set({ conflict: null });
    const entry = this.current.orders.get(conflict.posReference);
    if (entry === undefined) return;
    switch (choice) {
      case 'load_latest':
        if (conflict.hubSnapshot === null) return;
        if (conflict.strategy === 'accept_remote') {
          this.putOrder({ ...entry, snapshot: conflict.hubSnapshot, version: conflict.hubVersion, pendingMutation: null });
        } else {
          // The SDK already queued its merge; writing the hub's own copy on top supersedes it.
          this.putOrder({ ...entry, version: conflict.hubVersion });
          this.commit(conflict.posReference, conflict.hubSnapshot);
        }
        return;
      case 'keep_mine':
        this.putOrder({ ...entry, version: conflict.hubVersion });
        this.commit(conflict.posReference, conflict.localSnapshot);
        return;
      default: {
        const never: never = choice;
        return never;
      }
    }
  }

  private activeEntry(): OrderEntry | null {
    const pos = this.current.activePos;
    return pos === null ? null : (this.current.orders.get(pos) ?? null);
  }

  private edit(op: (order: OrderSnapshot, ctx: OpContext) => DomainResult<OrderSnapshot>): boolean {
    const entry = this.activeEntry();
    if (entry === null) {
      this.set({ notice: { text: 'Open a table and an order first.' } });
      return false;
    }
    const { lease } = this.current;
    if (lease.status === 'pending' && this.leaseInFlight !== null) {
      const pos = entry.posReference;
      void this.leaseInFlight.then(() => {
        if (this.current.activePos === pos) this.edit(op);
      });
      return true;
    }
    if (lease.status !== 'held') {
      const text =
        lease.status === 'denied'
          ? `LEASE_DENIED: order ${entry.posReference} is being edited on terminal ${lease.holder}.`
          : `This terminal does not hold the lease on ${entry.posReference} (${lease.status}).`;
      this.set({ notice: { text, code: 'LEASE_DENIED' } });
      return false;
    }
    const result = op(entry.snapshot, this.opContext());
    if (!result.ok) {
      this.set({ notice: { text: result.message, code: result.code } });
      return false;
    }
    if (result.value === entry.snapshot) return true;
    this.commit(entry.posReference, result.value);
    return true;
  }

  private commit(posReference: string, snapshot: OrderSnapshot): void {
    const entry = this.current.orders.get(posReference);
    if (entry === undefined) return;
    const mutationId = this.deps.transport.sendOrderSnapshot(posReference, entry.version, snapshot);
    this.timings.lastLocalEditAt = this.deps.now();
    this.putOrder({ ...entry, snapshot, pendingMutation: mutationId });
    this.set({ notice: null });
  }

  private opContext(): OpContext {
    const kitchen: KitchenOptions = { sendChangesToKitchen: this.current.catalog.sendChangesToKitchen };
    return { pricing: pricingOf(this.current.catalog), kitchen };
  }

  // ── Hub events ───────────────────────────────────────────────────────────────────────────────

  private subscribeTransport(): void {
    const t = this.deps.transport;
    t.onStateChange((state) => {
      this.set({ connection: state, terminalId: t.terminalId, role: t.role });
      if (state === 'online') this.reconfirm();
    });
    t.onOutboxChange((count) => {
      this.set({ outboxCount: count });
      // An empty outbox means the hub has (or refused) every write: nothing of ours is pending.
      if (count === 0) this.clearPending();
    });
    t.onSyncInit((orders, extras) => {
      const next = new Map<string, OrderEntry>();
      for (const o of orders) {
        const local = this.current.orders.get(o.posReference);
        if (local !== undefined && local.pendingMutation !== null) next.set(o.posReference, { ...local, leasedBy: o.leasedBy });
        else next.set(o.posReference, { posReference: o.posReference, version: o.version, snapshot: keepFinalized(o.snapshot, local), leasedBy: o.leasedBy, pendingMutation: null, odooOrderId: local?.odooOrderId ?? null });
      }
      // SYNC_INIT lists the active orders: one we knew that is missing has been closed (finalized)
      // by another terminal. Keep only what the hub has not seen yet (written offline), and the
      // order on screen, shown as closed rather than silently vanishing.
      for (const [pos, local] of this.current.orders) {
        if (next.has(pos)) continue;
        if (local.pendingMutation !== null) next.set(pos, local);
        else if (pos === this.current.activePos) next.set(pos, { ...local, snapshot: closedCopy(local.snapshot) });
      }
      const tables = new Map<number, HubTable>();
      for (const t of extras.tables) tables.set(t.tableId, { status: t.status, posReference: t.posReference, lockedBy: t.lockedBy });
      this.set({ orders: next, tables, terminalId: this.deps.transport.terminalId, role: this.deps.transport.role });
      this.attachToSelectedTable();
    });
    t.onOrderUpdated((update) => {
      this.timings.remoteUpdates.push({ posReference: update.posReference, version: update.version, lines: update.snapshot.lines.length, at: this.deps.now() });
      if (this.timings.remoteUpdates.length > MAX_TIMINGS) this.timings.remoteUpdates.shift();
      const local = this.current.orders.get(update.posReference);
      if (local !== undefined && local.pendingMutation !== null) return; // ours is newer; the hub settles it
      this.putOrder({
        posReference: update.posReference,
        version: update.version,
        snapshot: keepFinalized(update.snapshot, local),
        leasedBy: update.sourceTerminal,
        pendingMutation: null,
        odooOrderId: local?.odooOrderId ?? null,
      });
      this.attachToSelectedTable();
    });
    t.onOrderAcked((posReference, version, mutationId) => {
      const entry = this.current.orders.get(posReference);
      if (entry === undefined) return;
      const settled = entry.pendingMutation === mutationId || entry.pendingMutation === 'conflict';
      this.putOrder({ ...entry, version: Math.max(entry.version, version), pendingMutation: settled ? null : entry.pendingMutation });
    });
    t.onConflict((conflict) => this.onConflict(conflict));
    t.onLeaseRevoked((posReference, reason, snapshot) => {
      const entry = this.current.orders.get(posReference);
      if (entry !== undefined && snapshot !== undefined) this.putOrder({ ...entry, snapshot, pendingMutation: null });
      if (posReference === this.current.activePos) this.set({ lease: { status: 'revoked', reason } });
    });
    t.onLeaseReleased((posReference, releasedBy) => {
      // The terminal that held the order we are waiting on let it go (or its lease ran out): take it now.
      if (posReference !== this.current.activePos || releasedBy === this.current.terminalId) return;
      const lease = this.current.lease.status;
      if (lease === 'denied' || lease === 'revoked') void this.retryLease();
    });
    t.onTableUpdated((u) => {
      const cur = this.current.tables.get(u.tableId) ?? NO_TABLE;
      this.putTable(u.tableId, { ...cur, status: u.status, posReference: u.posReference ?? cur.posReference });
    });
    t.onTableLocked((tableId, lockedBy) => {
      this.putTable(tableId, { ...(this.current.tables.get(tableId) ?? NO_TABLE), lockedBy });
      // Our offline (optimistic) lock lost the race to a terminal that was online: say who has it.
      const lock = this.current.lock;
      const ours = lock.status === 'held' && !lock.offline;
      if (tableId === this.current.selectedTableId && lockedBy !== this.current.terminalId && !ours) this.set({ lock: { status: 'denied', lockedBy } });
    });
    t.onTableLockReleased((tableId) => {
      this.putTable(tableId, { ...(this.current.tables.get(tableId) ?? NO_TABLE), lockedBy: null });
      if (tableId !== this.current.selectedTableId) return;
      // The other terminal left this table: the lock, and probably the order's lease, are free now.
      if (this.current.lock.status === 'denied') void this.acquireLock(tableId);
      const lease = this.current.lease.status;
      if (lease === 'denied' || lease === 'revoked') void this.retryLease();
    });
    t.onTableLockRevoked((tableId, reason) => {
      if (tableId !== this.current.selectedTableId) return;
      const holder = this.current.tables.get(tableId)?.lockedBy ?? null;
      const wasConfirmed = this.current.lock.status === 'held' && !this.current.lock.offline;
      // A lock we only held offline was never ours on the hub: that is a denial, not a revocation.
      this.set({ lock: !wasConfirmed && holder !== null && holder !== this.current.terminalId ? { status: 'denied', lockedBy: holder } : { status: 'revoked', reason } });
    });
    t.onOrderFinalized((result) => this.applyFinalize(result));
    t.onError((error) => this.set({ notice: { text: error.message, code: error.code } }));
  }

  /** After a reconnect: confirm the offline lease and lock with the hub, retry a denied one. */
  private reconfirm(): void {
    const { activePos, lease, lock, selectedTableId } = this.current;
    if (selectedTableId !== null && lock.status !== 'pending' && (lock.status !== 'held' || lock.offline)) void this.acquireLock(selectedTableId);
    const active = activePos === null ? undefined : this.current.orders.get(activePos);
    const closed = active === undefined || active.snapshot.state === 'finalized' || active.odooOrderId !== null;
    const unsure = (lease.status === 'held' && lease.offline) || lease.status === 'denied' || lease.status === 'revoked' || lease.status === 'error';
    if (!closed && unsure) void this.retryLease();
  }

  /** A table on screen with no order open picks up the order that appeared on it. */
  private attachToSelectedTable(): void {
    const { selectedTableId, activePos } = this.current;
    if (selectedTableId === null || activePos !== null) return;
    const first = openOrdersOf(this.current, selectedTableId)[0];
    if (first !== undefined) void this.openOrder(first.posReference);
  }

  private onConflict(conflict: ConflictInfo): void {
    const entry = this.current.orders.get(conflict.posReference);
    if (entry !== undefined) {
      const resent = conflict.strategy !== 'accept_remote';
      this.putOrder({ ...entry, snapshot: conflict.resolvedSnapshot, version: conflict.hubVersion, pendingMutation: resent ? 'conflict' : null });
    }
    this.set({ conflict });
  }

  private applyFinalize(result: FinalizeResult): void {
    const onScreen = result.posReference === this.current.activePos;
    switch (result.status) {
      case 'finalized': {
        const entry = this.current.orders.get(result.posReference);
        if (entry !== undefined) {
          const done = finalizeDomain(entry.snapshot);
          const snapshot = done.ok ? done.value : entry.snapshot;
          this.putOrder({ ...entry, snapshot, odooOrderId: result.orderId });
          // The seed's FINALIZE: the archived state goes to the hub with the release, so every
          // terminal sees the check closed (the hub keeps it as `paid` otherwise).
          if (this.deps.transport.isLeaseHeld(result.posReference)) this.deps.transport.releaseLease(result.posReference, done.ok ? snapshot : undefined);
          if (entry.snapshot.tableId !== null && openOrdersOf(this.current, entry.snapshot.tableId).length === 0) {
            this.deps.transport.sendTableUpdate(entry.snapshot.tableId, 'available');
          }
        }
        if (onScreen) this.set({ finalize: { status: 'done', orderId: result.orderId }, lease: { status: 'none' } });
        return;
      }
      case 'queued':
        if (onScreen) this.set({ finalize: { status: 'queued', ...(result.reason === undefined ? {} : { reason: result.reason }) } });
        return;
      case 'error':
        if (onScreen) this.set({ finalize: { status: 'error', error: result.error, retryable: result.retryable } });
        return;
      default: {
        const never: never = result;
        return never;
      }
    }
  }

  private clearPending(): void {
    let changed = false;
    const next = new Map(this.current.orders);
    for (const [pos, entry] of next) {
      if (entry.pendingMutation !== null) {
        next.set(pos, { ...entry, pendingMutation: null });
        changed = true;
      }
    }
    if (changed) this.set({ orders: next });
  }

  // ── State plumbing ───────────────────────────────────────────────────────────────────────────

  private putOrder(entry: OrderEntry): void {
    const orders = new Map(this.current.orders);
    orders.set(entry.posReference, entry);
    this.set({ orders });
  }

  private putTable(tableId: number, table: HubTable): void {
    const tables = new Map(this.current.tables);
    tables.set(tableId, table);
    this.set({ tables });
  }

  private set(patch: Partial<AppState>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of this.listeners) listener(this.current);
  }
}

/** The hub no longer lists this order: a paid one was finalized; anything else just stays as last seen. */
function closedCopy(snapshot: OrderSnapshot): OrderSnapshot {
  if (snapshot.state !== 'paid') return snapshot;
  const done = finalizeDomain(snapshot);
  return done.ok ? done.value : snapshot;
}

/** Odoo confirmed this order (we saw ORDER_FINALIZED): a hub copy still saying `paid` is behind. */
function keepFinalized(snapshot: OrderSnapshot, local: OrderEntry | undefined): OrderSnapshot {
  if (local?.odooOrderId == null || snapshot.state !== 'paid') return snapshot;
  const done = finalizeDomain(snapshot);
  return done.ok ? done.value : snapshot;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
