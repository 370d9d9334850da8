/**
 * Every hub event the SDK reports, folded into the screen state: sync, remote edits, acks,
 * conflicts, lease and lock changes, finalize results and errors. A write of ours still in the
 * outbox wins over the hub's copy until the hub settles it; a freed order or table is asked for
 * again through the grants.
 */
import type { ConflictInfo, HubStatusInfo, SyncTransport, Unsubscribe } from '../client/types.js';
import { finalizeOrder as finalizeDomain } from '../domain/order-ops.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';
import type { Finalizer } from './finalize.js';
import type { Grants } from './grants.js';
import { openOrdersOf, type HubTable, type OrderEntry } from './state.js';
import type { ControllerDeps, StateStore, Timings } from './store.js';

const NO_TABLE: HubTable = { status: null, posReference: null, lockedBy: null };
/** Bounded so a long-running tablet does not grow this list forever. */
const MAX_TIMINGS = 200;

export interface HubEventParts {
  readonly deps: ControllerDeps;
  readonly store: StateStore;
  readonly grants: Grants;
  readonly finalizer: Finalizer;
  readonly timings: Timings;
  /** The controller's openOrder: a table on screen picks up an order that appears on it. */
  readonly openOrder: (posReference: string) => Promise<void>;
}

/** The status bar's hub line: the hub, its role and epoch; or how long it has been failing over. */
export function hubLineOf(status: HubStatusInfo, now: number): { readonly text: string; readonly failingOver: boolean } {
  const known = status.knownHubs.length;
  if (status.url !== null && status.fallback === 'hub') {
    const host = status.url.replace(/^wss?:\/\//i, '');
    const role = status.hubRole === null ? '' : ` ${status.hubRole}`;
    const epoch = status.epoch === null ? '' : ` epoch ${status.epoch}`;
    return { text: `hub ${host}${role}${epoch} · hubs known: ${known}`, failingOver: false };
  }
  if (!status.failingOver && status.fallback !== 'direct') return { text: `connecting to a hub · hubs known: ${known}`, failingOver: false };
  // The line is redrawn on status changes only, so it names when the loss began rather than a running count.
  const since = new Date(status.hubLostSince ?? now).toLocaleTimeString();
  if (status.fallback === 'direct') return { text: `no hub since ${since}: paid orders go to Odoo directly · hubs known: ${known}`, failingOver: true };
  return { text: `failing over since ${since} · hubs known: ${known}`, failingOver: true };
}

/** Registers every transport listener once, for the controller's lifetime. */
export function subscribeHubEvents(parts: HubEventParts): void {
  const { deps, store, grants, finalizer, timings } = parts;
  const t = deps.transport;

  /** A table on screen with no order open picks up the order that appeared on it. */
  const attachToSelectedTable = (): void => {
    const { selectedTableId, activePos } = store.current;
    if (selectedTableId === null || activePos !== null) return;
    const first = openOrdersOf(store.current, selectedTableId)[0];
    if (first !== undefined) void parts.openOrder(first.posReference);
  };

  t.onStateChange((state) => {
    store.set({ connection: state, terminalId: t.terminalId, role: t.role });
    if (state === 'online') grants.reconfirm();
  });
  const withHubStatus = t as SyncTransport & { readonly hubStatus?: HubStatusInfo; onHubStatusChange?: (handler: (s: HubStatusInfo) => void) => Unsubscribe };
  if (withHubStatus.onHubStatusChange && withHubStatus.hubStatus) {
    store.set({ hubLine: hubLineOf(withHubStatus.hubStatus, deps.now()) });
    withHubStatus.onHubStatusChange((status) => store.set({ hubLine: hubLineOf(status, deps.now()) }));
  }
  t.onOutboxChange((count) => {
    store.set({ outboxCount: count });
    // An empty outbox means the hub has (or refused) every write: nothing of ours is pending.
    if (count === 0) clearPending(store);
  });
  t.onSyncInit((orders, extras) => {
    const next = new Map<string, OrderEntry>();
    for (const o of orders) {
      const local = store.current.orders.get(o.posReference);
      if (local !== undefined && local.pendingMutation !== null)
        next.set(o.posReference, { ...local, leasedBy: o.leasedBy });
      else
        next.set(o.posReference, {
          posReference: o.posReference,
          version: o.version,
          snapshot: keepFinalized(o.snapshot, local),
          leasedBy: o.leasedBy,
          pendingMutation: null,
          odooOrderId: local?.odooOrderId ?? null,
        });
    }
    // SYNC_INIT lists the active orders: one we knew that is missing has been closed (finalized)
    // by another terminal. Keep only what the hub has not seen yet (written offline), and the
    // order on screen, shown as closed rather than silently vanishing.
    for (const [pos, local] of store.current.orders) {
      if (next.has(pos)) continue;
      if (local.pendingMutation !== null) next.set(pos, local);
      else if (pos === store.current.activePos) next.set(pos, { ...local, snapshot: closedCopy(local.snapshot) });
    }
    const tables = new Map<number, HubTable>();
    for (const table of extras.tables)
      tables.set(table.tableId, { status: table.status, posReference: table.posReference, lockedBy: table.lockedBy });
    store.set({ orders: next, tables, terminalId: t.terminalId, role: t.role });
    attachToSelectedTable();
  });
  t.onOrderUpdated((update) => {
    timings.remoteUpdates.push({
      posReference: update.posReference,
      version: update.version,
      lines: update.snapshot.lines.length,
      at: deps.now(),
    });
    if (timings.remoteUpdates.length > MAX_TIMINGS) timings.remoteUpdates.shift();
    const local = store.current.orders.get(update.posReference);
    if (local !== undefined && local.pendingMutation !== null) return; // ours is newer; the hub settles it
    store.putOrder({
      posReference: update.posReference,
      version: update.version,
      snapshot: keepFinalized(update.snapshot, local),
      leasedBy: update.sourceTerminal,
      pendingMutation: null,
      odooOrderId: local?.odooOrderId ?? null,
    });
    attachToSelectedTable();
  });
  t.onOrderAcked((posReference, version, mutationId) => {
    const entry = store.current.orders.get(posReference);
    if (entry === undefined) return;
    const settled = entry.pendingMutation === mutationId || entry.pendingMutation === 'conflict';
    store.putOrder({
      ...entry,
      version: Math.max(entry.version, version),
      pendingMutation: settled ? null : entry.pendingMutation,
    });
  });
  t.onConflict((conflict) => onConflict(store, conflict));
  t.onLeaseRevoked((posReference, reason, snapshot) => {
    const entry = store.current.orders.get(posReference);
    if (entry !== undefined && snapshot !== undefined) store.putOrder({ ...entry, snapshot, pendingMutation: null });
    if (posReference === store.current.activePos) store.set({ lease: { status: 'revoked', reason } });
  });
  t.onLeaseReleased((posReference, releasedBy) => {
    // The terminal that held the order we are waiting on let it go (or its lease ran out): take it now.
    if (posReference !== store.current.activePos || releasedBy === store.current.terminalId) return;
    const lease = store.current.lease.status;
    if (lease === 'denied' || lease === 'revoked') void grants.retryLease();
  });
  t.onTableUpdated((u) => {
    const cur = store.current.tables.get(u.tableId) ?? NO_TABLE;
    store.putTable(u.tableId, { ...cur, status: u.status, posReference: u.posReference ?? cur.posReference });
  });
  t.onTableLocked((tableId, lockedBy) => {
    store.putTable(tableId, { ...(store.current.tables.get(tableId) ?? NO_TABLE), lockedBy });
    // Our offline (optimistic) lock lost the race to a terminal that was online: say who has it.
    const lock = store.current.lock;
    const ours = lock.status === 'held' && !lock.offline;
    if (tableId === store.current.selectedTableId && lockedBy !== store.current.terminalId && !ours)
      store.set({ lock: { status: 'denied', lockedBy } });
  });
  t.onTableLockReleased((tableId) => {
    store.putTable(tableId, { ...(store.current.tables.get(tableId) ?? NO_TABLE), lockedBy: null });
    if (tableId !== store.current.selectedTableId) return;
    // The other terminal left this table: the lock, and probably the order's lease, are free now.
    if (store.current.lock.status === 'denied') void grants.acquireLock(tableId);
    const lease = store.current.lease.status;
    if (lease === 'denied' || lease === 'revoked') void grants.retryLease();
  });
  t.onTableLockRevoked((tableId, reason) => {
    if (tableId !== store.current.selectedTableId) return;
    const holder = store.current.tables.get(tableId)?.lockedBy ?? null;
    const wasConfirmed = store.current.lock.status === 'held' && !store.current.lock.offline;
    // A lock we only held offline was never ours on the hub: that is a denial, not a revocation.
    store.set({
      lock:
        !wasConfirmed && holder !== null && holder !== store.current.terminalId
          ? { status: 'denied', lockedBy: holder }
          : { status: 'revoked', reason },
    });
  });
  t.onOrderFinalized((result) => finalizer.applyFinalize(result));
  t.onError((error) => store.set({ notice: { text: error.message, code: error.code } }));
}

function onConflict(store: StateStore, conflict: ConflictInfo): void {
  const entry = store.current.orders.get(conflict.posReference);
  if (entry !== undefined) {
    const resent = conflict.strategy !== 'accept_remote';
    store.putOrder({
      ...entry,
      snapshot: conflict.resolvedSnapshot,
      version: conflict.hubVersion,
      pendingMutation: resent ? 'conflict' : null,
    });
  }
  store.set({ conflict });
}

function clearPending(store: StateStore): void {
  let changed = false;
  const next = new Map(store.current.orders);
  for (const [pos, entry] of next) {
    if (entry.pendingMutation !== null) {
      next.set(pos, { ...entry, pendingMutation: null });
      changed = true;
    }
  }
  if (changed) store.set({ orders: next });
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
