/**
 * The hub's SQLite store: the only better-sqlite3 handle, owned by the writer worker. Prepared
 * statements for every row the runtime writes, the queries that rebuild actors, SYNC_INIT and resume,
 * and the rows of the forward queue the Odoo forwarder drains (through store-port.ts). WAL with synchronous=FULL unless told otherwise.
 * Opening is in open-database.ts, the SQL in statements.ts, the row shapes in rows.ts; the rest stays one
 * class (about 430 lines) because every method shares the seq, the statements and the quarantine reader.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { FinalizeSuccess, PendingFinalize } from '../../ports/forwarding.js';
import type { QuarantineKind, QuarantinedRecord } from '../../ports/metrics.js';

export type { QuarantinedRecord } from '../../ports/metrics.js';
import { DEFAULT_FRAME_LIMITS, dropPrototypeKeys, scanJsonText, type FrameLimits } from '../../protocol/frame-limits.js';
import type { OrderSnapshot } from '../../protocol/snapshot.js';
import { leaseEpochKey, lockEpochKey, tableIdOfKey, tableKey, type ActorKey } from '../../threads/keys.js';
import { emptySeed, type ActorSeed } from '../../threads/seed.js';
import { groupSeeds, seedOrder } from './actor-seeds.js';
import { openDatabase, type WalCheckpoints } from './open-database.js';
import type { EventRow, LeaseRow, LockRow, OrderRow, PruneResult, StoreCounts, TableRow } from './rows.js';
import { prepareStatements, type Statements } from './statements.js';
import { DATA_TABLES } from './schema.js';

export interface StoreOptions {
  readonly path: string;
  readonly sync: 'full' | 'normal';
  /**
   * Every stored JSON value is pre-scanned with these before it is parsed: a row no terminal could have
   * sent (written by an older hub or by hand) is quarantined instead of crashing whoever reads it.
   */
  readonly readLimits?: FrameLimits;
  /** Told once per quarantined record (the writer logs it and counts it in /metrics). */
  readonly onQuarantine?: (record: QuarantinedRecord) => void;
  /** `writer`: the writer checkpoints the WAL between commits (checkpoint()); default `inline`, SQLite's own. */
  readonly checkpoints?: WalCheckpoints;
}

export type { EventRow, LeaseRow, LockRow, OrderRow, PruneResult, StoreCounts, TableRow } from './rows.js';
export { BUSY_TIMEOUT_MS, checkIntegrity } from './open-database.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** A snapshot already serialized for its orders row, so the event row that holds the same value reuses it. */
export interface SharedSnapshot {
  readonly snapshot: unknown;
  readonly json: string;
}

/**
 * JSON of `value`, its `snapshot` spliced in from `shared` when it is that very object (one stringify of a
 * snapshot serves the orders row, the event payload and the finalize). Key order differs; readers parse.
 */
function stringifySharing(value: unknown, shared: SharedSnapshot | null): string {
  if (shared === null || typeof value !== 'object' || value === null || (value as { snapshot?: unknown }).snapshot !== shared.snapshot) {
    return JSON.stringify(value);
  }
  const { snapshot: _shared, ...rest } = value as Record<string, unknown>;
  const head = JSON.stringify(rest);
  return head === '{}' ? `{"snapshot":${shared.json}}` : `${head.slice(0, -1)},"snapshot":${shared.json}}`;
}

/** What a read of one stored JSON value gives when it was quarantined instead. */
const UNREADABLE = Symbol('unreadable');

export class HubStore {
  readonly db: Db;
  private readonly s: Statements;
  private seq: number;
  private readonly readLimits: FrameLimits;
  private readonly onQuarantine: (record: QuarantinedRecord) => void;
  private readonly quarantine = new Map<string, QuarantinedRecord>();
  /**
   * The highest epoch this handle wrote per epochs key (a lower bound of the row): a renewed lease or lock
   * at an unchanged epoch skips the epochs upsert. Cleared on rollback, when the rows may be lower.
   */
  private readonly epochsWritten = new Map<string, number>();
  /** meta `last_odoo_sync`, read once, then kept by markForwarded (its only writer). */
  private odooSync: number | null | undefined = undefined;
  private readonly checkpoints: WalCheckpoints;
  /**
   * better-sqlite3's transaction wrapper, made once: `db.transaction(fn)` builds four wrappers and defines
   * their properties on every call, about 7 % of a saturation write's instructions (bench/ceilings/commit-split.ts).
   * It reads `inTransaction` when called, so a nested call still becomes a savepoint.
   */
  private readonly inTransaction: (fn: () => unknown) => unknown;

  constructor(options: StoreOptions) {
    // Stored records are never refused for size (they were accepted once); depth and counts still apply.
    this.readLimits = { ...(options.readLimits ?? DEFAULT_FRAME_LIMITS), maxBytes: Number.MAX_SAFE_INTEGER };
    this.onQuarantine = options.onQuarantine ?? (() => undefined);
    this.checkpoints = options.checkpoints ?? 'inline';
    this.db = openDatabase(options.path, options.sync, this.checkpoints);
    this.s = prepareStatements(this.db);
    this.inTransaction = this.db.transaction((fn: () => unknown) => fn());
    this.seq = (this.s.seq!.get() as { seq: number }).seq;
  }

  /**
   * Parse one stored JSON value without trusting it: scanned first (JSON.stringify, structured clone and
   * msgpack recurse, so a deep value would crash the thread that sends it on), prototype keys dropped.
   */
  private read<T>(text: string | null, kind: QuarantineKind, key: string): T | null | typeof UNREADABLE {
    if (text === null) return null;
    const breach = scanJsonText(text, this.readLimits);
    if (breach !== null) {
      this.quarantined({ kind, key, reason: breach.code });
      return UNREADABLE;
    }
    try {
      return dropPrototypeKeys(JSON.parse(text) as T);
    } catch {
      this.quarantined({ kind, key, reason: 'BAD_JSON' });
      return UNREADABLE;
    }
  }

  private quarantined(record: QuarantinedRecord): void {
    const id = `${record.kind}:${record.key}`;
    if (this.quarantine.has(id)) return;
    this.quarantine.set(id, record);
    this.onQuarantine(record);
  }

  /** Every record quarantined since this store opened (reads find them again after a restart). */
  quarantinedRecords(): QuarantinedRecord[] {
    return [...this.quarantine.values()];
  }

  private st(name: string): Statement {
    const statement = this.s[name];
    if (!statement) throw new Error(`no statement ${name}`);
    return statement;
  }

  /** Hub-wide sequence: the id of the last event row. Only increases, also across reset. */
  currentSeq(): number {
    return this.seq;
  }

  transaction<T>(fn: () => T): T {
    const before = this.seq;
    try {
      return this.inTransaction(fn) as T;
    } catch (error) {
      this.seq = before;
      this.epochsWritten.clear();
      throw error;
    }
  }

  /**
   * Copy the WAL into the database on this handle (PASSIVE: never waits for a lock); true when every frame
   * was copied, so the next commit rewrites the log from its start and the file stays bounded.
   */
  checkpoint(): boolean {
    // Inline: SQLite checkpoints inside its commits; nothing is left for anyone else to do.
    if (this.checkpoints === 'inline') return true;
    const [row] = this.db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    return row !== undefined && row.busy === 0 && row.checkpointed >= row.log;
  }

  /** Returns the snapshot as serialized, for an event of the same unit that carries the same object. */
  putOrder(row: Omit<OrderRow, 'odooOrderId'>, now: number): SharedSnapshot | null {
    const json = row.snapshot === null ? null : JSON.stringify(row.snapshot);
    this.st('orderPut').run({ ...row, snapshot: json, now: iso(now) });
    return json === null ? null : { snapshot: row.snapshot, json };
  }

  putLease(row: LeaseRow): void {
    this.st('leasePut').run(row);
    this.raiseEpoch(leaseEpochKey(row.posReference), row.homeKey, row.epoch);
  }

  /** The epochs row only ever grows: an epoch this handle already wrote for the key is not written again. */
  private raiseEpoch(key: string, homeKey: string, epoch: number): void {
    if ((this.epochsWritten.get(key) ?? -1) >= epoch) return;
    this.st('epochPut').run(key, homeKey, epoch);
    this.epochsWritten.set(key, epoch);
  }

  deleteLease(posReference: string): void {
    this.st('leaseDelete').run(posReference);
  }

  putLock(row: LockRow): void {
    this.st('lockPut').run(row);
    this.raiseEpoch(lockEpochKey(row.tableId), tableKey(row.tableId), row.epoch);
  }

  deleteLock(tableId: number): void {
    this.st('lockDelete').run(tableId);
  }

  putTable(row: TableRow, now: number): void {
    this.st('tablePut').run(row.tableId, row.status, row.posReference, iso(now));
  }

  putFloorPlan(floorId: number, plan: unknown, now: number): void {
    this.st('floorPut').run(floorId, JSON.stringify(plan), iso(now));
  }

  /** Insert an event with the next seq as its id; returns that seq. `shared`: its unit's serialized snapshot. */
  appendEvent(
    e: { type: string; posReference: string | null; payload: (seq: number) => unknown; sourceTerminal: string | null; finalize?: unknown },
    now: number,
    shared: SharedSnapshot | null = null,
  ): number {
    return this.appendEventText(e, now, shared).id;
  }

  /** appendEvent, with the payload's JSON as stored (null for none): the writer sends that text as the broadcast. */
  appendEventText(
    e: { type: string; posReference: string | null; payload: (seq: number) => unknown; sourceTerminal: string | null; finalize?: unknown },
    now: number,
    shared: SharedSnapshot | null = null,
  ): { id: number; json: string | null } {
    const id = this.seq + 1;
    const payload = e.payload(id);
    const json = payload === null ? null : stringifySharing(payload, shared);
    this.st('eventInsert').run({
      id,
      type: e.type,
      posReference: e.posReference,
      payload: json,
      sourceTerminal: e.sourceTerminal,
      forwarded: e.finalize === undefined ? null : 0,
      status: e.finalize === undefined ? 'local' : 'pending',
      finalize: e.finalize === undefined ? null : stringifySharing(e.finalize, shared),
      createdAt: iso(now),
    });
    this.seq = id;
    return { id, json };
  }

  /** `owner` scopes the mutation id with the device (schema migration 4); '' when there is none. */
  putMutation(terminalId: string, mutationId: string, homeKey: string, posReference: string | null, result: unknown, now: number, owner = ''): void {
    this.st('mutationPut').run(terminalId, mutationId, homeKey, posReference, JSON.stringify(result), iso(now), owner);
  }

  getMutation(terminalId: string, mutationId: string, owner = ''): unknown {
    const row = this.st('mutationGet').get(terminalId, mutationId, owner) as { result: string } | undefined;
    if (row === undefined) return undefined;
    const result = this.read<unknown>(row.result, 'mutation', `${terminalId}/${mutationId}`);
    return result === UNREADABLE || result === null ? undefined : result;
  }

  nextTicket(businessDay: string, orderType: string): number {
    return (this.st('ticketNext').get(businessDay, orderType) as { last_number: number }).last_number;
  }

  meta(key: string): string | null {
    const row = this.st('metaGet').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.st('metaPut').run(key, value);
  }

  /** Whether the key existed. */
  deleteMeta(key: string): boolean {
    return this.st('metaDelete').run(key).changes > 0;
  }

  /** Drop events past retention (never ones still owed to Odoo) and remember how far resume reaches. */
  prune(retention: number): void {
    this.pruneEventsTo(this.seq - retention);
    this.st('pruneMutations').run(retention);
  }

  /** Delete events up to `cutoff` (except those owed to Odoo); returns how many went. */
  private pruneEventsTo(cutoff: number): number {
    if (cutoff <= 0) return 0;
    const floor = Number(this.meta('resume_floor') ?? '0');
    if (cutoff <= floor) return 0;
    const deleted = this.st('pruneEvents').run(cutoff).changes;
    this.setMeta('resume_floor', String(cutoff));
    return deleted;
  }

  /**
   * The scheduled pass: keep at most `closedOrders` closed orders (finalized, confirmed by Odoo, no lease)
   * and `orderBytes` of their snapshots, newest kept; keep the newest `retention` events unless their
   * bytes exceed `eventBytes`, which then wins (resume falls back to SYNC_INIT sooner). Events still owed
   * to Odoo are never deleted. One transaction.
   */
  pruneScheduled(limits: { closedOrders: number; orderBytes: number; retention: number; eventBytes: number }): PruneResult {
    return this.transaction(() => {
      const orders: string[] = [];
      const closed = this.st('closedOrders').all() as { posReference: string; homeKey: string; n: number; bytes: number }[];
      for (const o of closed) {
        if (o.n <= limits.closedOrders && o.bytes <= limits.orderBytes) continue;
        this.st('orderDelete').run(o.posReference);
        // Its lease epoch goes too: the order is closed in Odoo and will not be leased again.
        this.st('epochDelete').run(leaseEpochKey(o.posReference));
        this.epochsWritten.delete(leaseEpochKey(o.posReference));
        orders.push(o.posReference);
      }
      const byCount = this.seq - limits.retention;
      const byBytes = (this.st('eventsByteCut').get(limits.eventBytes) as { id: number } | undefined)?.id ?? 0;
      const events = this.pruneEventsTo(Math.max(byCount, byBytes));
      this.st('pruneMutations').run(limits.retention);
      return { orders, events, resumeFloor: Number(this.meta('resume_floor') ?? '0') };
    });
  }

  /** Everything one evicted actor is rebuilt from (its rows grouped as at start: actor-seeds.ts). */
  seedOf(key: ActorKey): ActorSeed {
    const tableId = tableIdOfKey(key);
    const rows = this.st('keyOrders').all(key) as { posReference: string; tableId: number | null; version: number; snapshot: string | null; state: string | null; odooOrderId: number | null }[];
    const lock = tableId === null ? undefined : (this.st('keyLock').get(tableId) as Omit<LockRow, 'tableId'> | undefined);
    const table = tableId === null ? undefined : (this.st('keyTable').get(tableId) as Omit<TableRow, 'tableId'> | undefined);
    const withKey = <T>(list: T[]): (T & { homeKey: ActorKey })[] => list.map((r) => ({ ...r, homeKey: key }));
    const seeds = groupSeeds(
      {
        orders: rows.map((r) => {
          // A quarantined snapshot reads as none, as at start-up: the order keeps its version and route.
          const snapshot = this.read<OrderSnapshot>(r.snapshot, 'order', r.posReference);
          return { posReference: r.posReference, homeKey: key, tableId: r.tableId, version: r.version, snapshot: snapshot === UNREADABLE ? null : snapshot, state: r.state };
        }),
        leases: withKey(this.st('keyLeases').all(key) as Omit<LeaseRow, 'homeKey'>[]),
        locks: lock === undefined || tableId === null ? [] : [{ ...lock, tableId }],
        tables: table === undefined || tableId === null ? [] : [{ ...table, tableId }],
        epochs: withKey(this.st('keyEpochs').all(key) as { key: string; epoch: number }[]),
        mutations: withKey(this.st('keyMutations').all(key) as { terminalId: string; owner: string; mutationId: string }[]),
        finalizing: new Set(rows.filter((r) => r.odooOrderId !== null || this.st('keyFinalizing').get(r.posReference) !== undefined).map((r) => r.posReference)),
      },
      (k) => k === key,
    );
    return seeds[0] ?? emptySeed(key);
  }

  /** One seed per stored actor whose key `keep` accepts (a shard's actors at start and after a reload). */
  actorSeeds(keep: (key: ActorKey) => boolean): ActorSeed[] {
    return groupSeeds(
      {
        orders: this.orders().map((o) => ({ ...seedOrder(o), homeKey: o.homeKey })),
        leases: this.leases(),
        locks: this.locks(),
        tables: this.tables(),
        epochs: this.epochs(),
        mutations: this.mutations(),
        finalizing: new Set(this.finalizing().map((f) => f.posReference)),
      },
      keep,
    );
  }

  /** Events after `lastSeq` that `terminalId` would have received, or null when the log no longer covers it. */
  resume(lastSeq: number, terminalId: string, limit: number): unknown[] | null {
    const floor = Number(this.meta('resume_floor') ?? '0');
    if (lastSeq < floor || lastSeq > this.seq) return null;
    const rows = this.st('resume').all(lastSeq, terminalId, limit + 1) as { id: number; payload: string }[];
    if (rows.length > limit) return null;
    const events: unknown[] = [];
    for (const r of rows) {
      const event = this.read<unknown>(r.payload, 'event', String(r.id));
      // A gap would be a silently missed broadcast: fall back to a full SYNC_INIT instead.
      if (event === UNREADABLE || event === null) return null;
      events.push(event);
    }
    return events;
  }

  orders(): OrderRow[] {
    const rows = this.db.prepare(`SELECT pos_reference, home_key, table_id, version, snapshot, state, terminal_id, odoo_order_id FROM orders ORDER BY pos_reference`).all() as {
      pos_reference: string;
      home_key: string;
      table_id: number | null;
      version: number;
      snapshot: string | null;
      state: string | null;
      terminal_id: string | null;
      odoo_order_id: number | null;
    }[];
    return rows.map((r) => {
      const snapshot = this.read<OrderSnapshot>(r.snapshot, 'order', r.pos_reference);
      return {
        posReference: r.pos_reference,
        homeKey: r.home_key,
        tableId: r.table_id,
        version: r.version,
        // A quarantined snapshot reads as none: the order keeps its version and route, nobody is sent it.
        snapshot: snapshot === UNREADABLE ? null : snapshot,
        state: r.state,
        terminalId: r.terminal_id,
        odooOrderId: r.odoo_order_id,
      };
    });
  }

  leases(): LeaseRow[] {
    return this.db
      .prepare(`SELECT pos_reference AS posReference, home_key AS homeKey, terminal_id AS terminalId, role, table_id AS tableId, expires_at AS expiresAt, epoch FROM leases`)
      .all() as LeaseRow[];
  }

  locks(): LockRow[] {
    return this.db.prepare(`SELECT table_id AS tableId, terminal_id AS terminalId, role, expires_at AS expiresAt, epoch FROM table_locks`).all() as LockRow[];
  }

  tables(): TableRow[] {
    return this.db.prepare(`SELECT table_id AS tableId, status, pos_reference AS posReference FROM tables ORDER BY table_id`).all() as TableRow[];
  }

  floorPlans(): unknown[] {
    const plans: unknown[] = [];
    for (const r of this.db.prepare(`SELECT floor_id, plan FROM floor_plans ORDER BY floor_id`).all() as { floor_id: number; plan: string }[]) {
      const plan = this.read<unknown>(r.plan, 'floor_plan', String(r.floor_id));
      if (plan !== UNREADABLE && plan !== null) plans.push(plan);
    }
    return plans;
  }

  epochs(): { key: string; homeKey: string; epoch: number }[] {
    return this.db.prepare(`SELECT key, home_key AS homeKey, epoch FROM epochs`).all() as { key: string; homeKey: string; epoch: number }[];
  }

  mutations(): { terminalId: string; owner: string; mutationId: string; homeKey: string }[] {
    return this.db.prepare(`SELECT terminal_id AS terminalId, owner, mutation_id AS mutationId, home_key AS homeKey FROM mutations`).all() as {
      terminalId: string;
      owner: string;
      mutationId: string;
      homeKey: string;
    }[];
  }

  /** Orders with a finalize queued or done (a second ORDER_FINALIZE is answered, not queued). */
  finalizing(): { posReference: string }[] {
    return this.db
      .prepare(
        `SELECT pos_reference AS posReference FROM events WHERE type = 'ORDER_FINALIZE' AND status IN ('pending', 'forwarded')
         UNION SELECT pos_reference FROM orders WHERE odoo_order_id IS NOT NULL`,
      )
      .all() as { posReference: string }[];
  }

  recentEvents(limit: number): EventRow[] {
    return this.db
      .prepare(`SELECT id, type, pos_reference AS posReference, status, created_at AS createdAt FROM events ORDER BY id DESC LIMIT ?`)
      .all(limit) as EventRow[];
  }

  /** /health's counters, kept by triggers as rows change (schema migration 5): one row of six. */
  tallies(): StoreCounts {
    return this.st('tallies').get() as StoreCounts;
  }

  /** Wipe the data (keeping epochs and the seq) and make every older lastSeq fall back to SYNC_INIT. */
  reset(): void {
    this.transaction(() => {
      for (const table of DATA_TABLES) this.db.exec(`DELETE FROM ${table}`);
      this.setMeta('resume_floor', String(this.seq));
    });
  }

  // ---- The forward queue (store-port.ts serves it as the port's ForwardQueue) ----
  counts(): { pending: number; dead: number } {
    const t = this.tallies();
    return { pending: t.pendingForward, dead: t.deadLetters };
  }

  pending(limit: number, now: number): PendingFinalize[] {
    const rows = this.st('pending').all(now, limit) as { id: number; pos_reference: string; finalize: string; attempts: number }[];
    const out: PendingFinalize[] = [];
    for (const r of rows) {
      const f = this.read<{ snapshot: OrderSnapshot; configId: number; terminalId: string }>(r.finalize, 'finalize', String(r.id));
      if (f === UNREADABLE || f === null) {
        // Retrying cannot help: dead-letter it so the forwarder moves on and an operator sees it.
        this.st('markDead').run('quarantined: the stored finalize payload cannot be read safely', r.id);
        continue;
      }
      out.push({ eventId: r.id, posReference: r.pos_reference, snapshot: f.snapshot, configId: f.configId, terminalId: f.terminalId, attempts: r.attempts });
    }
    return out;
  }

  markForwarded(eventId: number, result: FinalizeSuccess, now: number): void {
    this.transaction(() => {
      this.st('markForwarded').run(eventId);
      this.st('orderOdooId').run(result.orderId, result.posReference);
      this.setMeta('last_odoo_sync', String(now));
    });
    this.odooSync = now;
  }

  /** When Odoo last confirmed a forwarded order (meta `last_odoo_sync`), remembered so /health reads no row. */
  lastOdooSync(): number | null {
    if (this.odooSync === undefined) {
      const stored = this.meta('last_odoo_sync');
      this.odooSync = stored === null ? null : Number(stored);
    }
    return this.odooSync;
  }

  markAttemptFailed(eventId: number, error: string, nextAttemptAt: number): void {
    this.st('markFailed').run(nextAttemptAt, error.slice(0, 1000), eventId);
  }

  markDead(eventId: number, error: string, now: number): void {
    void now;
    this.st('markDead').run(error.slice(0, 1000), eventId);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
