/**
 * The writer's read-side answers: a terminal's sync (resume from the event log when it still covers the
 * terminal's lastSeq, else a full SYNC_INIT from the rows) and the state view. Split from writer-core.ts:
 * they read committed rows only and share nothing with the batcher but the store.
 */
import type { HubStore } from '#adapters/sqlite/store.js';
import type { HubStorePort, StoredLease, StoredLock, StoredOrder, StoredTable } from '#ports/store.js';
import type { FloorPlan, HubMessage, SyncInitOrder, TableState } from '#protocol/hub-messages.js';
import type { SyncResult, WriterStateView } from '#threads/contract.js';

/**
 * What a (re)connecting terminal gets. `retention` is HUB_EVENT_RETENTION; `now` decides which leases
 * still count as held.
 */
export function syncAnswer(
  store: HubStore,
  retention: number,
  now: number,
  terminalId: string,
  lastSeq: number | undefined,
): SyncResult {
  const seq = store.currentSeq();
  if (lastSeq !== undefined) {
    // The resume window is the retention: a terminal that missed at most HUB_EVENT_RETENTION events
    // resumes, one further behind gets SYNC_INIT — whatever pruning has or has not caught up with yet.
    const events = seq - lastSeq <= retention ? store.resume(lastSeq, terminalId, retention) : null;
    if (events !== null)
      return {
        mode: 'resume',
        fromSeq: lastSeq + 1,
        toSeq: seq,
        events: events as HubMessage[],
        quarantined: store.quarantinedRecords(),
      };
  }
  return initFrom({ orders: store.orders(), leases: store.leases(), locks: store.locks(), tables: store.tables(), floorPlans: store.floorPlans() }, seq, now, store.quarantinedRecords());
}

/** The rows a full SYNC_INIT is built from, as either store reads them. */
interface InitRows {
  readonly orders: readonly StoredOrder[];
  readonly leases: readonly StoredLease[];
  readonly locks: readonly StoredLock[];
  readonly tables: readonly StoredTable[];
  readonly floorPlans: readonly unknown[];
}

/** A full SYNC_INIT: the active orders (with who leases them now), every table with its lock, the floor plans. */
function initFrom(rows: InitRows, seq: number, now: number, quarantined: SyncResult['quarantined']): SyncResult {
  const leases = new Map(rows.leases.map((l) => [l.posReference, l]));
  const orders: SyncInitOrder[] = [];
  for (const o of rows.orders) {
    // Closed orders stay in SQLite (and in Odoo) but are no longer active: finalized, or confirmed by Odoo.
    if (o.snapshot === null || o.state === 'finalized' || o.odooOrderId !== null) continue;
    const lease = leases.get(o.posReference);
    orders.push({
      posReference: o.posReference,
      version: o.version,
      snapshot: o.snapshot,
      tableId: o.tableId,
      leasedBy: lease && lease.expiresAt > now ? lease.terminalId : null,
    });
  }
  const locks = new Map(rows.locks.map((l) => [l.tableId, l]));
  const tables: TableState[] = [];
  for (const t of rows.tables) {
    const lock = locks.get(t.tableId);
    locks.delete(t.tableId);
    tables.push({
      tableId: t.tableId,
      status: t.status,
      posReference: t.posReference,
      lockedBy: lock?.terminalId ?? null,
      lockExpiresAt: lock?.expiresAt ?? null,
    });
  }
  for (const lock of locks.values()) {
    tables.push({
      tableId: lock.tableId,
      status: 'available',
      posReference: null,
      lockedBy: lock.terminalId,
      lockExpiresAt: lock.expiresAt,
    });
  }
  const floorPlans = rows.floorPlans as FloorPlan[];
  return { mode: 'init', orders, tables, floorPlans, seq, quarantined };
}

/**
 * The same answer on the store port (either engine): events are served only up to the high-water mark,
 * so a commit still waiting for a Postgres standby is never resumed to a terminal.
 */
export async function syncAnswerOnPort(
  store: HubStorePort,
  retention: number,
  now: number,
  terminalId: string,
  lastSeq: number | undefined,
): Promise<SyncResult> {
  const seq = store.highWaterMark();
  if (lastSeq !== undefined) {
    const events = seq - lastSeq <= retention ? await store.readEvents(lastSeq, retention, terminalId) : null;
    if (events !== null)
      return {
        mode: 'resume',
        fromSeq: lastSeq + 1,
        toSeq: seq,
        events: events.map((e) => e.payload as HubMessage),
        quarantined: [...store.quarantinedRecords()],
      };
  }
  return initFrom(await store.contents(), seq, now, [...store.quarantinedRecords()]);
}

/** Leases, locks and the newest events, for the dashboard and the CLI. */
export function stateView(store: HubStore): WriterStateView {
  return {
    leases: store
      .leases()
      .map((l) => ({
        posReference: l.posReference,
        terminalId: l.terminalId,
        role: l.role,
        tableId: l.tableId,
        expiresAt: l.expiresAt,
        epoch: l.epoch,
      })),
    locks: store
      .locks()
      .map((l) => ({
        tableId: l.tableId,
        terminalId: l.terminalId,
        role: l.role,
        expiresAt: l.expiresAt,
        epoch: l.epoch,
      })),
    events: store.recentEvents(50),
  };
}
