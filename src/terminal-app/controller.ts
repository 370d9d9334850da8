/**
 * The terminal's behaviour behind one facade, read as the quickstart's steps: open a table (its
 * lock) and an order (its lease), edit it, close it, resolve a conflict. The parts it delegates to
 * each own one job: store.ts (the screen state), grants.ts (lease and lock), editing.ts (edits into
 * the outbox), hub-events.ts (hub events into the state), finalize.ts (closing a check). No DOM.
 */
import type { Catalog, CatalogSource } from './catalog.js';
import { OrderEditor } from './editing.js';
import { Finalizer } from './finalize.js';
import { Grants } from './grants.js';
import { subscribeHubEvents } from './hub-events.js';
import { openOrdersOf, type AppState } from './state.js';
import { StateStore, type ControllerDeps, type Timings } from './store.js';

export type { ControllerDeps, Timings } from './store.js';

export type ConflictChoice = 'load_latest' | 'keep_mine';

export class TerminalController {
  readonly timings: Timings = { lastLocalEditAt: 0, remoteUpdates: [] };
  private readonly store: StateStore;
  private readonly grants: Grants;
  private readonly editor: OrderEditor;
  private readonly finalizer: Finalizer;

  constructor(
    private readonly deps: ControllerDeps,
    catalog: Catalog,
    catalogSource: CatalogSource,
  ) {
    this.store = new StateStore(catalog, catalogSource);
    this.grants = new Grants(deps, this.store);
    this.editor = new OrderEditor(deps, this.store, this.grants, this.timings);
    this.finalizer = new Finalizer(deps, this.store);
    subscribeHubEvents({
      deps,
      store: this.store,
      grants: this.grants,
      finalizer: this.finalizer,
      timings: this.timings,
      openOrder: (pos) => this.openOrder(pos),
    });
  }

  get state(): AppState {
    return this.store.current;
  }

  subscribe(listener: (state: AppState) => void): () => void {
    return this.store.subscribe(listener);
  }

  setCatalog(catalog: Catalog, source: CatalogSource): void {
    this.store.set({ catalog, catalogSource: source });
  }

  showNotice(text: string, code?: string): void {
    this.store.set({ notice: code === undefined ? { text } : { text, code } });
  }

  dismissNotice(): void {
    this.store.set({ notice: null });
  }

  // ── Navigation: table lock and order lease ──────────────────────────────────────────────────

  async openTable(tableId: number): Promise<void> {
    const current = this.store.current;
    if (current.selectedTableId === tableId) return;
    if (current.selectedTableId !== null) this.leaveTable();
    this.store.set({
      selectedTableId: tableId,
      activePos: null,
      lease: { status: 'none' },
      lock: { status: 'pending' },
      finalize: { status: 'idle' },
      notice: null,
    });
    void this.grants.acquireLock(tableId);
    const first = openOrdersOf(this.store.current, tableId)[0];
    if (first !== undefined) await this.openOrder(first.posReference);
  }

  /** Back to the floor plan: the seed's "navigate away", which releases the lease and the lock. */
  leaveTable(): void {
    const { selectedTableId, lock } = this.store.current;
    this.grants.releaseActiveLease();
    if (selectedTableId !== null && (lock.status === 'held' || lock.status === 'pending'))
      this.deps.transport.releaseTableLock(selectedTableId);
    this.store.set({
      selectedTableId: null,
      activePos: null,
      lease: { status: 'none' },
      lock: { status: 'none' },
      finalize: { status: 'idle' },
      conflict: null,
    });
  }

  async openOrder(posReference: string): Promise<void> {
    if (this.store.current.activePos !== posReference) this.grants.releaseActiveLease();
    const entry = this.store.current.orders.get(posReference);
    const finalize =
      entry?.odooOrderId != null
        ? ({ status: 'done', orderId: entry.odooOrderId } as const)
        : ({ status: 'idle' } as const);
    this.store.set({ activePos: posReference, finalize });
    if (entry === undefined || entry.snapshot.state === 'finalized') {
      this.store.set({ lease: { status: 'none' } });
      return;
    }
    await this.grants.requestLease(posReference, entry.version);
  }

  /** "Try again" after LEASE_DENIED. */
  retryLease(): Promise<void> {
    return this.grants.retryLease();
  }

  // ── Edits: every one is an order-domain operation, then a snapshot into the outbox ───────────

  /** A new check on the selected table (the reference's ORDER_NEW). */
  newOrder(): Promise<boolean> {
    return this.editor.newOrder();
  }

  addProduct(productId: number): Promise<void> {
    return this.editor.addProduct(productId);
  }

  changeQty(uid: string, delta: number): void {
    this.editor.changeQty(uid, delta);
  }

  removeLine(uid: string): void {
    this.editor.removeLine(uid);
  }

  changeGuests(delta: number): void {
    this.editor.changeGuests(delta);
  }

  setStaff(staffName: string): void {
    this.editor.setStaff(staffName);
  }

  /** GO_CHECKOUT (the ticket goes to the kitchen). */
  sendToKitchen(): void {
    this.editor.sendToKitchen();
  }

  /** MARK_PAID with one payment line for the whole total. */
  pay(): void {
    this.editor.pay();
  }

  /** The seed's "Done": the paid order goes to Odoo through the hub (ORDER_FINALIZE). */
  finalize(): Promise<void> {
    return this.finalizer.finalize();
  }

  resolveConflict(choice: ConflictChoice): void {
    const conflict = this.store.current.conflict;
    if (conflict === null) return;
    this.store.set({ conflict: null });
    const entry = this.store.current.orders.get(conflict.posReference);
    if (entry === undefined) return;
    switch (choice) {
      case 'load_latest':
        if (conflict.hubSnapshot === null) return;
        if (conflict.strategy === 'accept_remote') {
          this.store.putOrder({
            ...entry,
            snapshot: conflict.hubSnapshot,
            version: conflict.hubVersion,
            pendingMutation: null,
          });
        } else {
          // The SDK already queued its merge; writing the hub's own copy on top supersedes it.
          this.store.putOrder({ ...entry, version: conflict.hubVersion });
          this.editor.commit(conflict.posReference, conflict.hubSnapshot);
        }
        return;
      case 'keep_mine':
        this.store.putOrder({ ...entry, version: conflict.hubVersion });
        this.editor.commit(conflict.posReference, conflict.localSnapshot);
        return;
      default: {
        const never: never = choice;
        return never;
      }
    }
  }
}
