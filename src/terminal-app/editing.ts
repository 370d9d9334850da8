/**
 * Order editing: every tap becomes an order-domain operation (the same rules the hub enforces) on
 * the open order, and the result goes to the SDK's outbox as a snapshot. Taps that may first have
 * to start an order run one after another, and an edit tapped while the lease is being asked for
 * waits for the answer instead of being lost.
 */
import type { KitchenOptions } from '../domain/kitchen-status.js';
import {
  addLine,
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
import { pricingOf } from './catalog.js';
import type { Grants } from './grants.js';
import type { ControllerDeps, StateStore, Timings } from './store.js';

export class OrderEditor {
  private serialTail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: ControllerDeps,
    private readonly store: StateStore,
    private readonly grants: Grants,
    private readonly timings: Timings,
  ) {}

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

  /** Until the hub's (or a cached) catalog is here there is nothing to sell and no session to sell in. */
  private refuseWithoutRealCatalog(): boolean {
    if (this.store.current.catalogSource !== 'none') return false;
    this.store.set({
      notice: {
        text: 'The product catalog has not arrived from the hub yet (the hub reads it from Odoo); orders can be rung up once it has.',
      },
    });
    return true;
  }

  /** `writeEmpty`: false when the first item follows at once (one write instead of two). */
  private async startOrder(writeEmpty: boolean): Promise<boolean> {
    const tableId = this.store.current.selectedTableId;
    if (tableId === null || this.refuseWithoutRealCatalog()) return false;
    const { catalog } = this.store.current;
    const posReference = generatePosReference(
      { configId: catalog.configId, sessionId: catalog.sessionId },
      { now: this.deps.now, random: this.deps.random },
    );
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
    this.grants.releaseActiveLease();
    this.store.putOrder({
      posReference,
      version: 0,
      snapshot,
      leasedBy: null,
      pendingMutation: null,
      odooOrderId: null,
    });
    this.store.set({ activePos: posReference, finalize: { status: 'idle' } });
    if (!(await this.grants.requestLease(posReference, 0))) {
      // Never written anywhere: forget it rather than show an empty check nobody can edit.
      const orders = new Map(this.store.current.orders);
      orders.delete(posReference);
      const lease = this.store.current.lease;
      const why =
        lease.status === 'denied'
          ? `${lease.reason} (holder ${lease.holder})`
          : lease.status === 'error'
            ? lease.reason
            : lease.status;
      this.store.set({
        orders,
        notice: { text: `Could not start a check: ${why}`, code: 'LEASE_DENIED' },
        ...(this.store.current.activePos === posReference ? { activePos: null } : {}),
      });
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
    const product = this.store.current.catalog.products.find((p) => p.id === productId);
    if (product === undefined) return;
    const active = this.store.activeEntry();
    if (active === null || active.snapshot.state === 'finalized') {
      if (!(await this.startOrder(false))) return;
    }
    this.edit((order, ctx) => {
      // Same product, not yet sent to the kitchen: one more of it rather than a second line.
      const same = order.lines.find(
        (line) => line.productId === productId && line.kitchenSentAt === undefined && line.qty > 0,
      );
      if (same !== undefined) return setLineQty(order, same.uid, same.qty + 1, ctx);
      return addLine(
        order,
        {
          uid: this.deps.newId(),
          productId,
          name: product.name,
          qty: 1,
          priceUnit: product.price,
          taxIds: product.taxIds,
        },
        ctx,
      );
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
    const send = {
      kitchenTicketId: `K${this.deps.now().toString(36)}`,
      sentAt: new Date(this.deps.now()).toISOString(),
    };
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
    const { payment } = this.store.current.catalog;
    this.edit((order) =>
      markPaid(order, {
        payments: [
          {
            uid: this.deps.newId(),
            journalId: payment.journalId,
            statementId: payment.statementId,
            amount: order.amountTotal,
            name: payment.name,
          },
        ],
      }),
    );
  }

  private edit(op: (order: OrderSnapshot, ctx: OpContext) => DomainResult<OrderSnapshot>): boolean {
    const entry = this.store.activeEntry();
    if (entry === null) {
      this.store.set({ notice: { text: 'Open a table and an order first.' } });
      return false;
    }
    const { lease } = this.store.current;
    const inFlight = this.grants.pendingLease;
    if (lease.status === 'pending' && inFlight !== null) {
      const pos = entry.posReference;
      void inFlight.then(() => {
        if (this.store.current.activePos === pos) this.edit(op);
      });
      return true;
    }
    if (lease.status !== 'held') {
      const text =
        lease.status === 'denied'
          ? `LEASE_DENIED: order ${entry.posReference} is being edited on terminal ${lease.holder}.`
          : `This terminal does not hold the lease on ${entry.posReference} (${lease.status}).`;
      this.store.set({ notice: { text, code: 'LEASE_DENIED' } });
      return false;
    }
    const result = op(entry.snapshot, this.opContext());
    if (!result.ok) {
      this.store.set({ notice: { text: result.message, code: result.code } });
      return false;
    }
    if (result.value === entry.snapshot) return true;
    this.commit(entry.posReference, result.value);
    return true;
  }

  /** Hands a snapshot of the order to the SDK's outbox and marks the order as waiting for its ack. */
  commit(posReference: string, snapshot: OrderSnapshot): void {
    const entry = this.store.current.orders.get(posReference);
    if (entry === undefined) return;
    const mutationId = this.deps.transport.sendOrderSnapshot(posReference, entry.version, snapshot);
    this.timings.lastLocalEditAt = this.deps.now();
    this.store.putOrder({ ...entry, snapshot, pendingMutation: mutationId });
    this.store.set({ notice: null });
  }

  private opContext(): OpContext {
    const kitchen: KitchenOptions = { sendChangesToKitchen: this.store.current.catalog.sendChangesToKitchen };
    return { pricing: pricingOf(this.store.current.catalog), kitchen };
  }
}
