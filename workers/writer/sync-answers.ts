/**
 * The writer's read-side answers: a terminal's sync (resume from the event log when it still covers the
 * terminal's lastSeq, else a full SYNC_INIT from the rows, shared until the rows change) and the state view.
 * Split from writer-core.ts: they read committed rows only and share nothing with the batcher but the store.
 */
import type { HubStore } from '#adapters/sqlite/store.js';
import type { HubStorePort, StoredLease, StoredLock, StoredOrder, StoredTable } from '#ports/store.js';
import type { FloorPlan, HubMessage, SyncInitOrder, TableState } from '#protocol/hub-messages.js';
import type { SyncResult, WriterStateView } from '#threads/contract.js';

/**
 * The writer's sync answers (one per writer, it holds the shared SYNC_INIT). A resume is always exact and
 * per terminal. A SYNC_INIT has nothing per terminal in it, so it is built once and shared: every terminal
 * gets the same one until a row it is read from changes or a lease it shows as held expires. The front
 * (`shared`) keeps the newest content it was sent; while that is still current the answer is `init_same`
 * with no orders — over one ordered channel, so a reconnect storm's requests, all sent before the first
 * answer arrives, read, clone and encode the orders once instead of once per terminal.
 */
export function createSyncAnswers(
  store: HubStore,
  retention: number,
): (now: number, input: { terminalId: string; lastSeq?: number; shared?: boolean }) => SyncResult {
  const changeMark = watchSyncInitRows(store);
  let shared: { version: number; mark: string; validUntil: number; body: SyncInitBody } | null = null;
  let builds = 0;
  /** The version whose content the sharing caller was last sent. */
  let sent = 0;
  return (now, { terminalId, lastSeq, shared: sharing = false }) => {
    const resumed = lastSeq === undefined ? null : resumeAnswer(store, retention, terminalId, lastSeq);
    if (resumed !== null) return resumed;
    const mark = changeMark();
    if (shared === null || shared.mark !== mark || now >= shared.validUntil) {
      const body = syncInitBody(store, now);
      builds += 1;
      shared = { version: builds, mark, validUntil: body.validUntil, body };
    }
    const quarantined = store.quarantinedRecords();
    if (sharing && sent === shared.version) return { mode: 'init_same', version: shared.version, quarantined };
    if (sharing) sent = shared.version;
    const { orders, tables, floorPlans, seq } = shared.body;
    return { mode: 'init', version: shared.version, orders, tables, floorPlans, seq, quarantined };
  };
}

/** The tables SYNC_INIT is read from (besides the seq, which the store keeps). */
const SYNC_INIT_TABLES = ['orders', 'leases', 'table_locks', 'tables', 'floor_plans'] as const;

/**
 * A mark that moves whenever a row SYNC_INIT is read from may have changed: a counter in this connection's
 * TEMP database, bumped by TEMP triggers on those tables (nothing in the stored schema changes), so writes
 * elsewhere (device bindings, Odoo bookkeeping in `meta`) do not throw the shared SYNC_INIT away. A
 * rolled-back write rolls the counter back with it. `data_version` moves when another connection commits.
 */
function watchSyncInitRows(store: HubStore): () => string {
  const { db } = store;
  db.exec('CREATE TEMP TABLE IF NOT EXISTS pos_hub_sync_mark (n INTEGER NOT NULL)');
  db.exec('INSERT INTO temp.pos_hub_sync_mark (n) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM temp.pos_hub_sync_mark)');
  for (const table of SYNC_INIT_TABLES)
    for (const change of ['INSERT', 'UPDATE', 'DELETE'])
      db.exec(
        `CREATE TEMP TRIGGER IF NOT EXISTS pos_hub_sync_mark_${table}_${change.toLowerCase()} AFTER ${change} ON main.${table} BEGIN UPDATE pos_hub_sync_mark SET n = n + 1; END`,
      );
  const counter = db.prepare('SELECT n FROM temp.pos_hub_sync_mark').pluck();
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  return () => `${store.currentSeq()}:${String(counter.get())}:${String(dataVersion.get())}`;
}

/** The missed events when the log still covers `lastSeq`, else null (a SYNC_INIT then). */
function resumeAnswer(store: HubStore, retention: number, terminalId: string, lastSeq: number): SyncResult | null {
  const seq = store.currentSeq();
  // The resume window is the retention: a terminal that missed at most HUB_EVENT_RETENTION events
  // resumes, one further behind gets SYNC_INIT — whatever pruning has or has not caught up with yet.
  const events = seq - lastSeq <= retention ? store.resume(lastSeq, terminalId, retention) : null;
  if (events === null) return null;
  return {
    mode: 'resume',
    fromSeq: lastSeq + 1,
    toSeq: seq,
    events: events as HubMessage[],
    quarantined: store.quarantinedRecords(),
  };
}

interface SyncInitBody {
  readonly orders: SyncInitOrder[];
  readonly tables: TableState[];
  readonly floorPlans: FloorPlan[];
  readonly seq: number;
  /** The first expiry of a lease shown as held: from then on `leasedBy` would say otherwise. */
  readonly validUntil: number;
}

/** The rows a full SYNC_INIT is built from, as either store reads them. */
interface InitRows {
  readonly orders: readonly StoredOrder[];
  readonly leases: readonly StoredLease[];
  readonly locks: readonly StoredLock[];
  readonly tables: readonly StoredTable[];
  readonly floorPlans: readonly unknown[];
}

/** SYNC_INIT's content from the committed rows of the SQLite store. */
function syncInitBody(store: HubStore, now: number): SyncInitBody {
  const rows = { orders: store.orders(), leases: store.leases(), locks: store.locks(), tables: store.tables(), floorPlans: store.floorPlans() };
  return syncInitBodyFrom(rows, store.currentSeq(), now);
}

/** SYNC_INIT's content from committed rows; `now` decides which leases still count as held. */
function syncInitBodyFrom(rows: InitRows, seq: number, now: number): SyncInitBody {
  let validUntil = Number.POSITIVE_INFINITY;
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
    if (lease && lease.expiresAt > now) validUntil = Math.min(validUntil, lease.expiresAt);
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
  return { orders, tables, floorPlans, seq, validUntil };
}


/**
 * The same answer on the store port (either engine), built per request: events are served only up to the
 * high-water mark, so a commit still waiting for a Postgres standby is never resumed to a terminal.
 */
export async function syncAnswerOnPort(
  store: HubStorePort,
  retention: number,
  now: number,
  terminalId: string,
  lastSeq: number | undefined,
): Promise<SyncResult> {
  const resumed = lastSeq === undefined ? null : await resumeOnPort(store, retention, terminalId, lastSeq);
  if (resumed !== null) return resumed;
  const seq = store.highWaterMark();
  const { orders, tables, floorPlans } = syncInitBodyFrom(await store.contents(), seq, now);
  return { mode: 'init', version: 0, orders, tables, floorPlans, seq, quarantined: [...store.quarantinedRecords()] };
}

async function resumeOnPort(store: HubStorePort, retention: number, terminalId: string, lastSeq: number): Promise<SyncResult | null> {
  const seq = store.highWaterMark();
  const events = seq - lastSeq <= retention ? await store.readEvents(lastSeq, retention, terminalId) : null;
  if (events === null) return null;
  return {
    mode: 'resume',
    fromSeq: lastSeq + 1,
    toSeq: seq,
    events: events.map((e) => e.payload as HubMessage),
    quarantined: [...store.quarantinedRecords()],
  };
}

/**
 * The writer's sync answers on a store without the SQLite adapter's row watch (Postgres): the SYNC_INIT is
 * shared as on SQLite, keyed on the high-water mark and `rowsVersion` (the writer bumps it after every
 * commit, reset and pruning: on Postgres this writer is the only one changing the rows), and rebuilt when
 * a lease it shows as held expires. The writer runs these one at a time, after the commit in flight.
 */
export function createPortSyncAnswers(
  store: HubStorePort,
  retention: number,
  rowsVersion: () => number,
): (now: number, input: { terminalId: string; lastSeq?: number; shared?: boolean }) => Promise<SyncResult> {
  let shared: { version: number; mark: string; validUntil: number; body: SyncInitBody } | null = null;
  let builds = 0;
  let sent = 0;
  return async (now, { terminalId, lastSeq, shared: sharing = false }) => {
    const resumed = lastSeq === undefined ? null : await resumeOnPort(store, retention, terminalId, lastSeq);
    if (resumed !== null) return resumed;
    const mark = `${store.highWaterMark()}:${rowsVersion()}`;
    if (shared === null || shared.mark !== mark || now >= shared.validUntil) {
      const body = syncInitBodyFrom(await store.contents(), store.highWaterMark(), now);
      builds += 1;
      shared = { version: builds, mark, validUntil: body.validUntil, body };
    }
    const quarantined = [...store.quarantinedRecords()];
    if (sharing && sent === shared.version) return { mode: 'init_same', version: shared.version, quarantined };
    if (sharing) sent = shared.version;
    const { orders, tables, floorPlans, seq } = shared.body;
    return { mode: 'init', version: shared.version, orders, tables, floorPlans, seq, quarantined };
  };
}

/** Leases, locks and the newest events, for the dashboard and the CLI, from the store port. */
export async function stateViewOnPort(store: HubStorePort): Promise<WriterStateView> {
  const { leases, locks } = await store.contents();
  const events = await store.recentEvents(50);
  return {
    leases: leases.map((l) => ({
      posReference: l.posReference,
      terminalId: l.terminalId,
      role: l.role,
      tableId: l.tableId,
      expiresAt: l.expiresAt,
      epoch: l.epoch,
    })),
    locks: locks.map((l) => ({ tableId: l.tableId, terminalId: l.terminalId, role: l.role, expiresAt: l.expiresAt, epoch: l.epoch })),
    events,
  }
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
