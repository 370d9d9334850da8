/**
 * The terminal page's controller without a browser: a scripted SyncTransport stands in for the SDK,
 * so the rules the page must keep are checked one by one — no edit without the lease (LEASE_DENIED
 * is said plainly), every edit goes through the order domain, a CONFLICT offers "Load latest" /
 * "Keep mine" and each choice writes what it says, finalization shows the Odoo id and closes the check.
 */
import { describe, expect, it } from 'vitest';
import type {
  ConflictInfo,
  ConnectionState,
  FinalizeResult,
  LeaseResult,
  OrderUpdate,
  SyncInitExtras,
  SyncTransport,
  TableLockResult,
  TransferResult,
  TableUpdate,
} from '../../../src/client/types.js';
import { newOrder } from '../../../src/domain/order-ops.js';
import type { SyncInitOrder } from '../../../src/protocol/hub-messages.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { EMPTY_CATALOG, type Catalog, type CatalogSource } from '../../../src/terminal-app/catalog.js';
import { SIM_FLOORS, SIM_POS_CONFIG, SIM_POS_SESSION, SIM_PRICELIST, SIM_PRODUCTS, SIM_TABLES, SIM_TAXES, SIM_USERS } from '../../../src/odoo-sim/seed.js';
import { TerminalController } from '../../../src/terminal-app/controller.js';

type Handler = (...args: never[]) => void;

/** Records what the page sends and lets the test play the hub's side. */
class FakeTransport implements SyncTransport {
  readonly mode = 'hub' as const;
  state: ConnectionState = 'online';
  outboxCount = 0;
  terminalId: string | null = 'tab-me';
  role: string | null = 'manager';
  leaseAnswer: LeaseResult = { granted: true, version: 0, expiresAt: 0, offline: false };
  finalizeAnswer: FinalizeResult | null = null;
  readonly sent: { posReference: string; version: number; snapshot: OrderSnapshot; mutationId: string }[] = [];
  readonly released: { posReference: string; finalSnapshot?: OrderSnapshot }[] = [];
  readonly tableUpdates: { tableId: number; status: string }[] = [];
  private readonly held = new Set<string>();
  private readonly handlers = new Map<string, Set<Handler>>();
  private nextId = 0;

  emit(event: string, ...args: unknown[]): void {
    for (const h of this.handlers.get(event) ?? []) (h as (...a: unknown[]) => void)(...args);
  }
  private on(event: string, handler: Handler): () => void {
    const set = this.handlers.get(event) ?? new Set<Handler>();
    set.add(handler);
    this.handlers.set(event, set);
    return () => set.delete(handler);
  }

  connect = async (): Promise<void> => undefined;
  disconnect = (): void => undefined;
  /** While set, lease answers wait for it (a slow hub). */
  leaseGate: Promise<void> | null = null;
  acquireLease = async (posReference: string): Promise<LeaseResult> => {
    if (this.leaseGate !== null) await this.leaseGate;
    if (this.leaseAnswer.granted) this.held.add(posReference);
    return this.leaseAnswer;
  };
  releaseLease = (posReference: string, finalSnapshot?: OrderSnapshot): void => {
    this.held.delete(posReference);
    this.released.push(finalSnapshot === undefined ? { posReference } : { posReference, finalSnapshot });
  };
  isLeaseHeld = (posReference: string): boolean => this.held.has(posReference);
  onLeaseRevoked = (h: (p: string, r: string, s?: OrderSnapshot) => void) => this.on('leaseRevoked', h);
  onLeaseReleased = (h: (p: string, by?: string) => void) => this.on('leaseReleased', h);
  sendOrderSnapshot = (posReference: string, version: number, snapshot: OrderSnapshot): string => {
    const mutationId = `m${++this.nextId}`;
    this.sent.push({ posReference, version, snapshot, mutationId });
    return mutationId;
  };
  onOrderUpdated = (h: (u: OrderUpdate) => void) => this.on('orderUpdated', h);
  onConflict = (h: (c: ConflictInfo) => void) => this.on('conflict', h);
  onSyncInit = (h: (o: readonly SyncInitOrder[], e: SyncInitExtras) => void) => this.on('syncInit', h);
  onOrderAcked = (h: (p: string, v: number, m: string) => void) => this.on('orderAcked', h);
  sendTableUpdate = (tableId: number, status: string): void => void this.tableUpdates.push({ tableId, status });
  onTableUpdated = (h: (u: TableUpdate) => void) => this.on('tableUpdated', h);
  sendFloorPlanUpdate = (): void => undefined;
  onFloorPlanChanged = (h: Handler) => this.on('floorPlanChanged', h);
  acquireTableLock = async (): Promise<TableLockResult> => ({ granted: true, offline: false });
  releaseTableLock = (): void => undefined;
  forceAcquireTableLock = async (): Promise<TableLockResult> => ({ granted: true, offline: false });
  onTableLockRevoked = (h: (t: number, r: string) => void) => this.on('tableLockRevoked', h);
  onTableLockReleased = (h: (t: number, by?: string) => void) => this.on('tableLockReleased', h);
  onTableLocked = (h: (t: number, by: string) => void) => this.on('tableLocked', h);
  transferLines = async (): Promise<TransferResult> => ({ status: 'error', code: 'HUB_UNREACHABLE', error: 'not in these tests', retryable: true });
  splitOrder = async (): Promise<TransferResult> => ({ status: 'error', code: 'HUB_UNREACHABLE', error: 'not in these tests', retryable: true });
  finalizeOrder = async (posReference: string): Promise<FinalizeResult> =>
    this.finalizeAnswer ?? { status: 'finalized', posReference, orderId: 4242, lineIdMap: {} };
  onOrderFinalized = (h: (r: FinalizeResult) => void) => this.on('orderFinalized', h);
  onStateChange = (h: (s: ConnectionState, p: ConnectionState) => void) => this.on('stateChange', h);
  onOutboxChange = (h: (n: number) => void) => this.on('outboxChange', h);
  onError = (h: Handler) => this.on('error', h);
  onResync = (h: Handler) => this.on('resync', h);
}

/** The simulator's seed as the page parses it from the hub's GET /api/catalog. */
const catalog: Catalog = {
  configId: SIM_POS_CONFIG.id,
  sessionId: SIM_POS_SESSION.id,
  userId: SIM_USERS.manager.id,
  pricelistId: SIM_PRICELIST.id,
  products: SIM_PRODUCTS.map((p) => ({ id: p.id, name: p.name, price: p.price, taxIds: p.taxIds, category: p.category })),
  taxes: SIM_TAXES.map((t) => ({ id: t.id, amount: t.amount })),
  floors: SIM_FLOORS.map((f) => ({ id: f.id, name: f.name, tables: SIM_TABLES.filter((t) => t.floorId === f.id) })),
  payment: { journalId: 7, statementId: 420, name: 'Cash' },
  staff: [SIM_USERS.manager.name, SIM_USERS.waiter.name],
  sendChangesToKitchen: true,
};

/** A page whose catalog came from the hub. */
function setup(source: CatalogSource = 'hub'): { t: FakeTransport; c: TerminalController } {
  const t = new FakeTransport();
  let clock = 1_790_000_000_000;
  let id = 0;
  const c = new TerminalController({ transport: t, now: () => ++clock, random: () => 0.25, newId: () => `uid-${++id}` }, catalog, source);
  return { t, c };
}

/** The last snapshot the page handed to the SDK. */
function last(t: FakeTransport): OrderSnapshot {
  const entry = t.sent[t.sent.length - 1];
  if (entry === undefined) throw new Error('nothing was sent');
  return entry.snapshot;
}

describe('terminal page controller', () => {
  it('rings nothing up before any catalog arrived, and does once the hub sends one', async () => {
    const t = new FakeTransport();
    const c = new TerminalController({ transport: t, now: () => 1_790_000_000_000, random: () => 0.25, newId: () => 'uid-1' }, EMPTY_CATALOG, 'none');
    await c.openTable(1);
    await c.addProduct(101);
    expect(t.sent).toEqual([]);
    expect(c.state.notice?.text).toContain('catalog has not arrived');
    c.setCatalog(catalog, 'hub');
    await c.addProduct(101);
    expect(last(t).lines.map((l) => l.productId)).toEqual([101]);
  });

  it('starts an order with a posReference, the lease, and a snapshot per edit priced by the domain', async () => {
    const { t, c } = setup();
    await c.openTable(1);
    await c.addProduct(101);
    await c.addProduct(101);
    await c.addProduct(201);
    const order = last(t);
    expect(order.posReference).toMatch(/^NU\/CFG1\/S42\/\d+-[0-9a-f]{4}$/);
    expect(order.tableId).toBe(1);
    expect(order.pricelistId).toBe(1);
    expect(order.lines.map((l) => [l.productId, l.qty])).toEqual([
      [101, 2],
      [201, 1],
    ]);
    // 2 × 90 + 18 %, 220 + 28 %.
    expect(order.amountTotal).toBe(212.4 + 281.6);
    expect(c.state.lease).toEqual({ status: 'held', offline: false });
    expect(t.tableUpdates).toEqual([{ tableId: 1, status: 'occupied' }]);
  });

  it('keeps taps made while the lease is still being asked for, in order', async () => {
    const { t, c } = setup();
    let open = (): void => undefined;
    t.leaseGate = new Promise<void>((resolve) => (open = resolve));
    await c.openTable(7);
    const first = c.addProduct(101);
    await Promise.resolve();
    const second = c.addProduct(201);
    expect(c.state.lease.status).toBe('pending');
    expect(t.sent).toHaveLength(0);
    open();
    await Promise.all([first, second]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(last(t).lines.map((l) => l.productId)).toEqual([101, 201]);
    expect(c.state.notice).toBeNull();
  });

  it('refuses edits without the lease and says LEASE_DENIED plainly', async () => {
    const { t, c } = setup();
    t.leaseAnswer = { granted: false, holder: 'tab-other', reason: 'Order is being edited on tab-other' };
    const snapshot = newOrder({ posReference: 'NU/CFG1/S42/1790000000000-abcd', tableId: 2, sessionId: 42, userId: 7, createdAt: '2026-11-23T12:00:00.000Z' });
    t.emit('syncInit', [{ posReference: snapshot.posReference, version: 3, snapshot, tableId: 2, leasedBy: 'tab-other' }], { tables: [], floorPlans: [] });
    await c.openTable(2);
    expect(c.state.activePos).toBe(snapshot.posReference);
    expect(c.state.lease).toMatchObject({ status: 'denied', holder: 'tab-other' });
    await c.addProduct(101);
    expect(t.sent).toHaveLength(0);
    expect(c.state.notice?.code).toBe('LEASE_DENIED');
    expect(c.state.notice?.text).toContain('tab-other');

    // The other terminal leaves the table: the page asks again and gets it.
    t.leaseAnswer = { granted: true, version: 3, expiresAt: 0, offline: false };
    t.emit('tableLockReleased', 2, 'tab-other');
    await Promise.resolve();
    await Promise.resolve();
    expect(c.state.lease).toEqual({ status: 'held', offline: false });
    await c.addProduct(101);
    expect(t.sent[0]?.version).toBe(3);
  });

  it('follows the kitchen status through send, change and payment, and finalizes with the Odoo id', async () => {
    const { t, c } = setup();
    await c.openTable(3);
    await c.addProduct(301);
    c.pay();
    expect(c.state.notice?.code).toBe('INVALID_TRANSITION');
    c.sendToKitchen();
    expect(last(t)).toMatchObject({ state: 'checkout', kitchenStatus: 'sent' });
    expect(last(t).lines[0]?.kitchenSentAt).toBeDefined();
    await c.addProduct(101);
    expect(last(t).kitchenStatus).toBe('changed');
    c.sendToKitchen();
    expect(last(t)).toMatchObject({ state: 'checkout', kitchenStatus: 'sent' });
    c.pay();
    const paid = last(t);
    expect(paid).toMatchObject({ state: 'paid', kitchenStatus: 'paid' });
    expect(paid.payments).toHaveLength(1);
    expect(paid.payments[0]).toMatchObject({ journalId: 7, statementId: 420, amount: paid.amountTotal });
    c.changeQty(paid.lines[0]!.uid, 1);
    expect(c.state.notice?.code).toBe('ORDER_PAID');

    await c.finalize();
    expect(c.state.finalize).toEqual({ status: 'done', orderId: 4242 });
    const release = t.released[t.released.length - 1];
    expect(release?.finalSnapshot?.state).toBe('finalized');
    expect(t.tableUpdates[t.tableUpdates.length - 1]).toEqual({ tableId: 3, status: 'available' });
  });

  it('surfaces a CONFLICT with both choices, and each choice writes what it says', async () => {
    const { t, c } = setup();
    await c.openTable(4);
    await c.addProduct(101);
    const local = last(t);
    const hubSnapshot: OrderSnapshot = { ...local, lines: [], amountTotal: 0, amountTax: 0, guestCount: 6 };
    const conflict: ConflictInfo = {
      posReference: local.posReference,
      hubVersion: 7,
      hubSnapshot,
      localSnapshot: local,
      localBaseVersion: 1,
      strategy: 'merge',
      resolvedSnapshot: { ...hubSnapshot, lines: local.lines },
      droppedLocalLines: [],
    };
    t.emit('conflict', conflict);
    expect(c.state.conflict).toBe(conflict);
    c.resolveConflict('keep_mine');
    expect(c.state.conflict).toBeNull();
    expect(t.sent[t.sent.length - 1]).toMatchObject({ version: 7, snapshot: local });

    t.emit('conflict', { ...conflict, hubVersion: 9 });
    c.resolveConflict('load_latest');
    expect(t.sent[t.sent.length - 1]).toMatchObject({ version: 9, snapshot: hubSnapshot });
    expect(c.state.orders.get(local.posReference)?.snapshot.guestCount).toBe(6);
  });

  it('shows a paid order the hub stops listing (finalized elsewhere) as closed, not as still open', async () => {
    const { t, c } = setup();
    const paid = { ...newOrder({ posReference: 'NU/CFG1/S42/1790000000000-beef', tableId: 6, sessionId: 42, userId: 7, createdAt: '2026-11-23T12:00:00.000Z' }), state: 'paid' as const, kitchenStatus: 'paid' as const };
    t.leaseAnswer = { granted: false, holder: 'tab-other', reason: 'held' };
    t.emit('syncInit', [{ posReference: paid.posReference, version: 4, snapshot: paid, tableId: 6, leasedBy: 'tab-other' }], { tables: [], floorPlans: [] });
    await c.openTable(6);
    expect(c.state.activePos).toBe(paid.posReference);
    t.emit('syncInit', [], { tables: [], floorPlans: [] });
    expect(c.state.orders.get(paid.posReference)?.snapshot.state).toBe('finalized');
    await c.retryLease();
    expect(c.state.lease.status).toBe('denied');
  });

  it('keeps its own unconfirmed edits over an older hub copy, and takes the hub copy once confirmed', async () => {
    const { t, c } = setup();
    await c.openTable(5);
    await c.addProduct(101);
    const mine = t.sent[t.sent.length - 1]!;
    const stale: OrderUpdate = { posReference: mine.posReference, version: 1, snapshot: { ...mine.snapshot, lines: [] }, sourceTerminal: 'tab-other' };
    t.emit('orderUpdated', stale);
    expect(c.state.orders.get(mine.posReference)?.snapshot.lines).toHaveLength(1);
    t.emit('orderAcked', mine.posReference, 2, mine.mutationId);
    expect(c.state.orders.get(mine.posReference)).toMatchObject({ version: 2, pendingMutation: null });
    t.emit('orderUpdated', { ...stale, version: 3 });
    expect(c.state.orders.get(mine.posReference)?.snapshot.lines).toHaveLength(0);
  });
});
