/**
 * directTransport: the reference's default mode without a hub. The terminal polls Odoo every 2 s
 * (search_read on pos.order of its POS session) and posts paid orders through an outbox with stock
 * Odoo 12's create_from_ui — checking search_read by pos_reference first, so a replay never creates
 * twice. Leases and table locks are local only (there is no one to ask), as in the reference.
 * Stock Odoo has no draft orders: unpaid snapshots stay on this terminal.
 */
import { HubError } from '../protocol/errors.js';
import type { FloorPlanTableInfo, OrderLine, OrderSnapshot } from '../protocol/snapshot.js';
import { backoffDelay, OUTBOX_BACKOFF, type BackoffPolicy } from './backoff.js';
import type { FetchLike, ResolvedDeps } from './deps.js';
import { TransportEvents } from './transport-events.js';
import { OdooRpc } from './odoo-rpc.js';
import { odooDatetime, toCreateFromUiOrder } from './odoo-order-payload.js';
import { Outbox, orderOf } from './outbox.js';
import type { OutboxEntry, OutboxStore } from './outbox-store.js';
import type {
  ConnectionState,
  FinalizeResult,
  LeaseResult,
  OrderUpdate,
  SyncTransport,
  TableLockResult,
  TransferResult,
  Unsubscribe,
} from './types.js';

export interface DirectTransportOptions {
  readonly odooUrl: string;
  /** The terminal's Odoo session id (sent as X-Openerp-Session-Id). */
  readonly sessionId: string;
  /** The open pos.session whose orders are polled. */
  readonly posSessionId: number;
  readonly pricelistId: number;
  readonly pollIntervalMs?: number;
  /** Poll retries after failures: from pollIntervalMs up to this cap. */
  readonly pollBackoff?: BackoffPolicy;
  readonly outboxBackoff?: BackoffPolicy;
  readonly rpcTimeoutMs?: number;
}

export interface DirectTransportDeps extends ResolvedDeps {
  readonly fetch: FetchLike;
  readonly outboxStore: OutboxStore;
}

interface OdooOrderRow {
  id: number;
  pos_reference: string;
  state: string;
  user_id: [number, string] | false;
  partner_id: [number, string] | false;
  amount_total: number;
  amount_tax: number;
  amount_paid: number;
  amount_return: number;
  date_order: string;
}

interface OdooLineRow {
  id: number;
  order_id: [number, string] | false;
  product_id: [number, string] | false;
  qty: number;
  price_unit: number;
  discount: number;
  price_subtotal: number;
  price_subtotal_incl: number;
  tax_ids: number[];
}

const NO_HUB_TRANSFER: TransferResult = { status: 'error', code: 'HUB_UNREACHABLE', error: 'transfers and splits need the hub (direct mode cannot move two orders atomically)', retryable: true };

const ORDER_FIELDS = ['id', 'pos_reference', 'state', 'user_id', 'partner_id', 'amount_total', 'amount_tax', 'amount_paid', 'amount_return', 'date_order'];
const LINE_FIELDS = ['id', 'order_id', 'product_id', 'qty', 'price_unit', 'discount', 'price_subtotal', 'price_subtotal_incl', 'tax_ids'];

export class DirectTransport extends TransportEvents implements SyncTransport {
  readonly mode = 'direct' as const;
  readonly terminalId = null;
  readonly role = null;

  private readonly rpc: OdooRpc;
  private readonly outbox: Outbox;
  private readonly pollIntervalMs: number;
  private readonly pollBackoff: BackoffPolicy;
  private readonly outboxBackoff: BackoffPolicy;
  private currentState: ConnectionState = 'offline';
  private running = false;
  private pollTimer: unknown = null;
  private pollFailures = 0;
  private polling = false;
  private readonly seen = new Map<string, string>();
  private seenCount = 0;
  private initialized = false;
  private flushChain: Promise<void> = Promise.resolve();
  private readonly leases = new Set<string>();
  private readonly locks = new Set<number>();
  private readonly finalizeWaiters = new Map<string, Array<(result: FinalizeResult) => void>>();

  constructor(
    private readonly config: DirectTransportOptions,
    private readonly deps: DirectTransportDeps,
  ) {
    super();
    const options = config;
    this.rpc = new OdooRpc({ baseUrl: options.odooUrl, sessionId: options.sessionId, fetch: deps.fetch, clock: deps.clock, ...(options.rpcTimeoutMs === undefined ? {} : { timeoutMs: options.rpcTimeoutMs }) });
    this.outbox = new Outbox(deps.outboxStore, deps.clock);
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.pollBackoff = options.pollBackoff ?? { baseMs: this.pollIntervalMs, factor: 2, maxMs: 30_000 };
    this.outboxBackoff = options.outboxBackoff ?? OUTBOX_BACKOFF;
  }

  get state(): ConnectionState {
    return this.currentState;
  }
  get outboxCount(): number {
    return this.outbox.count;
  }
  outboxEntries(): readonly OutboxEntry[] {
    return this.outbox.list();
  }

  /** Resolves after the first poll, whatever its outcome (offline work goes on). */
  async connect(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.tick();
  }

  disconnect(): void {
    this.running = false;
    if (this.pollTimer !== null) this.deps.clock.clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.setState('offline');
  }

  // Leases and table locks: local only in direct mode (the reference's "local tab locks").
  async acquireLease(posReference: string, version: number): Promise<LeaseResult> {
    this.leases.add(posReference);
    return { granted: true, version, expiresAt: this.deps.clock.now() + 60_000, offline: true };
  }
  releaseLease(posReference: string, finalSnapshot?: OrderSnapshot): void {
    if (finalSnapshot) this.sendOrderSnapshot(posReference, 0, finalSnapshot);
    this.leases.delete(posReference);
  }
  isLeaseHeld(posReference: string): boolean {
    return this.leases.has(posReference);
  }

  sendOrderSnapshot(posReference: string, _version: number, snapshot: OrderSnapshot): string {
    const id = this.deps.newId();
    // Stock Odoo 12 only takes paid orders; drafts stay local until they are paid.
    if (snapshot.state === 'paid' || snapshot.state === 'finalized') {
      this.outbox.enqueue(id, { action: 'orders/create', payload: { pos_reference: posReference, snapshot, mutationId: id } });
      this.schedule(0);
    }
    return id;
  }

  /** A transfer moves two orders atomically; only the hub can do that, so direct mode refuses it. */
  transferLines(): Promise<TransferResult> {
    return Promise.resolve(NO_HUB_TRANSFER);
  }

  splitOrder(): Promise<TransferResult> {
    return Promise.resolve(NO_HUB_TRANSFER);
  }

  async finalizeOrder(posReference: string, snapshot: OrderSnapshot, _configId: number): Promise<FinalizeResult> {
    const id = this.deps.newId();
    const result = new Promise<FinalizeResult>((resolve) => {
      const list = this.finalizeWaiters.get(posReference) ?? [];
      list.push(resolve);
      this.finalizeWaiters.set(posReference, list);
    });
    this.outbox.enqueue(id, { action: 'orders/create', payload: { pos_reference: posReference, snapshot, mutationId: id } });
    await this.flush();
    const entry = this.outbox.list().find((e) => orderOf(e) === posReference);
    if (entry) {
      // Not through yet (Odoo down or refusing): durable in the outbox; onOrderFinalized reports the end.
      this.finalizeWaiters.delete(posReference);
      return { status: 'queued', posReference, reason: entry.lastError ?? 'queued in the outbox' };
    }
    return result;
  }

  sendTableUpdate(_tableId: number, _status: string, _posReference?: string): void {
    // Stock Odoo 12 has no table status API; table state is local in direct mode.
  }

  sendFloorPlanUpdate(_floorId: number, _tables: FloorPlanTableInfo[], _layoutMode?: string): void {
    // Floor plans are saved through the reference addon's REST API, not stock Odoo; nothing to send here.
  }

  async acquireTableLock(tableId: number): Promise<TableLockResult> {
    this.locks.add(tableId);
    return { granted: true, offline: true };
  }
  async forceAcquireTableLock(tableId: number): Promise<TableLockResult> {
    return this.acquireTableLock(tableId);
  }
  releaseTableLock(tableId: number): void {
    this.locks.delete(tableId);
  }

  onOutboxChange(handler: (count: number) => void): Unsubscribe {
    return this.outbox.onChange(handler);
  }

  // ── Polling and flushing ─────────────────────────────────────────────────────────────────────

  private setState(next: ConnectionState): void {
    const previous = this.currentState;
    if (previous === next) return;
    this.currentState = next;
    this.stateChanges.emit(next, previous);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.pollTimer !== null) this.deps.clock.clearTimeout(this.pollTimer);
    this.pollTimer = this.deps.clock.setTimeout(() => {
      this.pollTimer = null;
      void this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    if (this.polling || !this.running) return;
    this.polling = true;
    try {
      await this.poll();
      this.pollFailures = 0;
      this.setState('online');
      await this.flush();
    } catch (error) {
      this.pollFailures += 1;
      this.setState('offline');
      this.report(error);
    } finally {
      this.polling = false;
    }
    const delay = this.pollFailures === 0 ? this.pollIntervalMs : backoffDelay(this.pollBackoff, this.pollFailures - 1, this.deps.random);
    this.schedule(delay);
  }

  /** New orders of this POS session since the last poll (ids only grow, so an offset is enough). */
  private async poll(): Promise<void> {
    const rows = (await this.rpc.callKw('pos.order', 'search_read', [[['session_id', '=', this.config.posSessionId]]], {
      fields: ORDER_FIELDS,
      offset: this.seenCount,
      order: 'id asc',
    })) as OdooOrderRow[];
    if (rows.length === 0) {
      if (!this.initialized) this.syncInits.emit([], { tables: [], floorPlans: [] });
      this.initialized = true;
      return;
    }
    const lines = (await this.rpc.callKw('pos.order.line', 'search_read', [[['order_id', 'in', rows.map((r) => r.id)]]], { fields: LINE_FIELDS })) as OdooLineRow[];
    const first = !this.initialized;
    this.initialized = true;
    this.seenCount += rows.length;
    const updates: OrderUpdate[] = [];
    for (const row of rows) {
      if (this.seen.get(row.pos_reference) === row.state) continue;
      this.seen.set(row.pos_reference, row.state);
      updates.push({ posReference: row.pos_reference, version: 1, snapshot: this.toSnapshot(row, lines), sourceTerminal: 'odoo' });
    }
    if (first) {
      this.syncInits.emit(
        updates.map((u) => ({ posReference: u.posReference, version: u.version, snapshot: u.snapshot, tableId: null, leasedBy: null })),
        { tables: [], floorPlans: [] },
      );
    } else {
      for (const update of updates) this.orderUpdated.emit(update);
    }
  }

  private toSnapshot(row: OdooOrderRow, allLines: readonly OdooLineRow[]): OrderSnapshot {
    const lines: OrderLine[] = allLines
      .filter((l) => Array.isArray(l.order_id) && l.order_id[0] === row.id)
      .map((l) => ({
        uid: `odoo-${l.id}`,
        productId: Array.isArray(l.product_id) ? l.product_id[0] : 0,
        ...(Array.isArray(l.product_id) ? { name: l.product_id[1] } : {}),
        qty: l.qty,
        priceUnit: l.price_unit,
        discount: l.discount,
        taxIds: l.tax_ids,
        priceSubtotal: l.price_subtotal,
        priceSubtotalIncl: l.price_subtotal_incl,
      }));
    const paid = row.state === 'paid' || row.state === 'done' || row.state === 'invoiced';
    return {
      posReference: row.pos_reference,
      tableId: null,
      state: paid ? 'paid' : 'checkout',
      kitchenStatus: paid ? 'paid' : 'sent',
      sessionId: this.config.posSessionId,
      userId: Array.isArray(row.user_id) ? row.user_id[0] : 1,
      partnerId: Array.isArray(row.partner_id) ? row.partner_id[0] : null,
      lines,
      payments: [],
      amountTotal: row.amount_total,
      amountTax: row.amount_tax,
      amountPaid: row.amount_paid + row.amount_return,
      amountReturn: row.amount_return,
      createdAt: `${row.date_order.replace(' ', 'T')}Z`,
    };
  }

  /** Flushes run one at a time: two concurrent look-then-create passes could both create. */
  private flush(): Promise<void> {
    const run = this.flushChain.then(() => this.flushOnce());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /** Post every due order; each is independent in Odoo, so one refused order does not block the rest. */
  private async flushOnce(): Promise<void> {
    const now = this.deps.clock.now();
    for (const entry of [...this.outbox.list()]) {
      if (!this.outbox.get(entry.id)) continue;
      if (entry.nextAttemptAt !== null && Date.parse(entry.nextAttemptAt) > now) continue;
      if (entry.action !== 'orders/create') {
        this.outbox.remove(entry.id);
        continue;
      }
      const { snapshot, pos_reference: posReference } = entry.payload;
      try {
        const orderId = await this.createOnce(snapshot);
        this.outbox.remove(entry.id);
        this.seen.set(posReference, 'paid');
        this.settleFinalize({ status: 'finalized', posReference, orderId, lineIdMap: {} });
      } catch (error) {
        const hubError = error instanceof HubError ? error : new HubError('INTERNAL', String(error));
        this.outbox.fail(entry.id, `${hubError.code}: ${hubError.message}`, now + backoffDelay(this.outboxBackoff, entry.attempts, this.deps.random));
        this.report(hubError);
        if (!hubError.retryable) this.settleFinalize({ status: 'error', posReference, error: hubError.message, retryable: false, code: hubError.code });
        if (hubError.code === 'ODOO_UNREACHABLE' || hubError.code === 'ODOO_SESSION_EXPIRED') return; // no point trying the rest now
      }
    }
  }

  /** Exactly once per posReference: look first, create only if Odoo does not know it. */
  private async createOnce(snapshot: OrderSnapshot): Promise<number> {
    const existing = (await this.rpc.callKw('pos.order', 'search_read', [[['pos_reference', '=', snapshot.posReference]]], { fields: ['id'] })) as Array<{ id: number }>;
    if (existing[0]) return existing[0].id;
    const ids = (await this.rpc.callKw('pos.order', 'create_from_ui', [[toCreateFromUiOrder(snapshot, { pricelistId: this.config.pricelistId })]], {})) as number[];
    if (ids[0] !== undefined) return ids[0];
    // Created by someone else between our check and our call (create_from_ui skipped it): read it back.
    const again = (await this.rpc.callKw('pos.order', 'search_read', [[['pos_reference', '=', snapshot.posReference]]], { fields: ['id'] })) as Array<{ id: number }>;
    if (again[0]) return again[0].id;
    throw new HubError('ODOO_PROTOCOL', `create_from_ui returned no id for ${snapshot.posReference} (created ${odooDatetime(snapshot.createdAt)})`, { retryable: true });
  }

  private settleFinalize(result: FinalizeResult): void {
    const waiters = this.finalizeWaiters.get(result.posReference) ?? [];
    this.finalizeWaiters.delete(result.posReference);
    for (const resolve of waiters) resolve(result);
    this.finalized.emit(result);
  }
}
