/**
 * The writer: the hub's sequencer and only SQLite user. Units from every shard (and the front's
 * table-less work) are group-committed in one transaction per commit window; each committed event
 * gets the next hub-wide seq, which is stamped on its messages before they go to the front for fan-out.
 * Nothing leaves here before its commit. Runs in the writer worker, or in-process for tests.
 * A commit the disk refuses (full, I/O error, busy) is rolled back and each of its writers told
 * STORAGE_UNAVAILABLE (retryable); the shards reload from SQLite and the hub keeps serving, degraded,
 * until a write succeeds again (a small probe write retries on its own while nobody writes).
 */
import type { Logger } from '#adapters/log/logger.js';
import type { HubStore } from '#adapters/sqlite/store.js';
import type { Config } from '#config';
import type { Clock, TimerHandle } from '#ports/clock.js';
import type { ForwardOutcome } from '#ports/forwarding.js';
import type { HubMetrics } from '#ports/metrics.js';
import type { FloorPlan, HubMessage, SyncInitOrder, TableState } from '#protocol/hub-messages.js';
import { HubError, causeOf, describeCause } from '#protocol/errors.js';
import { depthWithin } from '#protocol/frame-limits.js';
import { isTransientStorageError } from '#adapters/sqlite/storage-fault.js';
import type { Outbound, Unit, UnitOrigin } from '#threads/actor-io.js';
import type { Delivery, FrontToWriter, SyncResult, WriterNotice, WriterStateView, WriterStats } from '#threads/contract.js';
import { shardOf, tableKey, type ActorKey } from '#threads/keys.js';
import type { InputArgs, InputOf, RequestHandlers, RequestType, ResultOf } from '#threads/rpc.js';
import type { KeySeed, ShardSeed } from '#threads/seed.js';
import { claimDevice, releaseDevice, sawDevices } from './device-owners.js';

export interface ForwarderHandle {
  start(): void;
  kick(): void;
  stop(): Promise<void>;
  status(): { lastOdooSync: number | null; odooReachable: boolean; lastError: string | null };
}

export type ForwarderFactory = (opts: {
  queue: HubStore;
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: HubMetrics;
  onOutcome(o: ForwardOutcome): void;
}) => ForwarderHandle;

/**
 * The writer's time, injected like every clock in the core: the wall clock for stamps, timers for the
 * commit window and the probes, `afterTurn` for a window of 0 (the turn's units still commit together),
 * and a fine-grained `elapsed` reading for how long a commit took.
 */
export interface WriterClock extends Clock {
  afterTurn(callback: () => void): TimerHandle;
  /** Fractional milliseconds from an arbitrary origin. */
  elapsed(): number;
}

export interface WriterDeps {
  readonly store: HubStore;
  readonly config: Config;
  readonly clock: WriterClock;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  readonly toFront: (notice: WriterNotice) => void;
  readonly createForwarder?: ForwarderFactory | null;
  readonly snapshotMetrics?: () => Promise<unknown>;
  /** After the commit that held both parts of these transfers (the shards lift their fences). */
  readonly onTransfersCommitted?: (txIds: readonly string[]) => void;
  /** A commit failed: every shard must reload from SQLite; its units of older generations are refused. */
  readonly onRollback?: (generation: number) => void;
}

/**
 * Levels a unit may add above the frame it came from (unit → ops → op → event payload → snapshot …):
 * a unit deeper than HUB_FRAME_MAX_DEPTH plus this cannot have come from a bounded frame.
 */
const UNIT_DEPTH_MARGIN = 16;

/** While the disk refuses commits, how often a one-row probe write checks whether it has room again. */
export const STORAGE_PROBE_MS = 1000;

/** How often the writer checks whether the forwarder's view of Odoo changed. */
const ODOO_WATCH_MS = 1000;

export class WriterCore {
  private queue: Unit[] = [];
  /** A transfer's first part, waiting for its other half (which comes from the other shard's port). */
  private readonly held = new Map<string, Unit>();
  /** Transfers whose two parts are in `queue`, to announce after the commit. */
  private joined: string[] = [];
  /** Key loads waiting for the commit of units queued before them. */
  private afterCommit: Array<() => void> = [];
  private timer: TimerHandle | null = null;
  private readonly forwarder: ForwarderHandle | null;
  private stopped = false;
  /** Odoo reachability last told to the front: it changes without any commit (the forwarder's idle probe). */
  private toldReachable: boolean | null = null;
  /** Bumped by every failed commit: shard memory loaded at an older generation may hold unstored state. */
  private generationNo = 0;
  /** Set while the disk refuses commits; /health says `degraded` with the reason. */
  private storageError: { reason: string; since: number; failures: number } | null = null;
  private probeTimer: ReturnType<Clock['setTimeout']> | null = null;
  /** Measured batching, for the README figures and the writerBatch metric. */
  readonly batching = { commits: 0, units: 0, rows: 0, maxUnits: 0, commitMs: 0 };

  constructor(private readonly deps: WriterDeps) {
    this.forwarder =
      deps.createForwarder?.({
        queue: deps.store,
        config: deps.config,
        clock: deps.clock,
        log: deps.log,
        metrics: deps.metrics,
        onOutcome: (o) => this.onForwardOutcome(o),
      }) ?? null;
    this.forwarder?.start();
    // Not at once: the writer's first `stats` message is its ready signal, and the front does not exist yet.
    deps.clock.setTimeout(() => this.watchOdoo(), ODOO_WATCH_MS);
    deps.clock.setTimeout(() => this.scheduledPrune(), deps.config.HUB_PRUNE_INTERVAL_MS);
  }

  /**
   * The scheduled pruning of closed orders and old events (by count and bytes, HUB_CLOSED_ORDERS_RETAINED,
   * HUB_ORDERS_MAX_BYTES, HUB_EVENT_RETENTION, HUB_EVENTS_MAX_BYTES). Pending work is committed first so
   * the pass sees every acknowledged write; the front forgets the routes of the orders that went.
   */
  pruneNow(): { orders: number; events: number; resumeFloor: number } {
    this.commit();
    const { config, store } = this.deps;
    const result = store.pruneScheduled({
      closedOrders: config.HUB_CLOSED_ORDERS_RETAINED,
      orderBytes: config.HUB_ORDERS_MAX_BYTES,
      retention: config.HUB_EVENT_RETENTION,
      eventBytes: config.HUB_EVENTS_MAX_BYTES,
    });
    if (result.orders.length > 0) this.deps.toFront({ type: 'forget', input: { posReferences: result.orders } });
    if (result.orders.length > 0 || result.events > 0) this.deps.log.info({ orders: result.orders.length, events: result.events, resumeFloor: result.resumeFloor }, 'pruned closed orders and old events');
    return { orders: result.orders.length, events: result.events, resumeFloor: result.resumeFloor };
  }

  private scheduledPrune(): void {
    if (this.stopped) return;
    try {
      this.pruneNow();
    } catch (error) {
      this.deps.log.error({ err: error }, 'scheduled pruning failed; retrying next interval');
    }
    this.deps.clock.setTimeout(() => this.scheduledPrune(), this.deps.config.HUB_PRUNE_INTERVAL_MS);
  }

  /**
   * One evicted actor's rows. Units its shard sent before asking are already queued (same port), so the
   * answer waits for the commit that holds them — the next group commit, not a commit of its own (a
   * forced commit per load cost one fsync per new order).
   */
  loadKey(key: ActorKey, answer: (seed: KeySeed) => void): void {
    if (this.queue.length === 0) {
      answer(this.deps.store.seedOf(key));
      return;
    }
    this.afterCommit.push(() => answer(this.deps.store.seedOf(key)));
  }

  /** Push fresh stats when the forwarder's view of Odoo changes, so /health is right on an idle hub. */
  private watchOdoo(): void {
    if (this.stopped || this.forwarder === null) return;
    const reachable = this.forwarder.status().odooReachable;
    if (reachable !== this.toldReachable) {
      this.toldReachable = reachable;
      this.deps.toFront({ type: 'stats', input: this.stats() });
    }
    this.deps.clock.setTimeout(() => this.watchOdoo(), ODOO_WATCH_MS);
  }

  get generation(): number {
    return this.generationNo;
  }

  /**
   * `generation`: the storage generation the sending shard's actors were loaded at; units built on memory
   * older than the last failed commit are refused (retryable) instead of stored. The front's own units
   * (tickets, floor plans) hold no such memory and pass none.
   */
  enqueue(units: readonly Unit[], generation?: number): void {
    if (this.stopped) {
      this.deps.log.warn({ units: units.length }, 'writer stopped: units dropped');
      return;
    }
    if (generation !== undefined && generation < this.generationNo) {
      this.refuse(units, 'the shard is reloading after a failed commit');
      return;
    }
    for (const unit of units) {
      // Stringify, the commit and postMessage all recurse: a value too deep for them must not get that far.
      if (!depthWithin(unit, this.deps.config.HUB_FRAME_MAX_DEPTH + UNIT_DEPTH_MARGIN)) {
        this.deps.metrics.quarantined('unit');
        this.deps.log.error({ ops: unit.ops.map((o) => o.op) }, 'write unit nests too deep to store or send; quarantined');
        continue;
      }
      if (unit.join === undefined) {
        this.queue.push(unit);
        continue;
      }
      const other = this.held.get(unit.join.txId);
      if (!other) {
        this.held.set(unit.join.txId, unit);
        continue;
      }
      // Adjacent in the queue, so in the same transaction; dest first, so ORDER_TRANSFERRED goes out last.
      this.held.delete(unit.join.txId);
      this.queue.push(...(unit.join.part === 'dest' ? [unit, other] : [other, unit]));
      this.joined.push(unit.join.txId);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.queue.length === 0) return;
    const window = this.deps.config.HUB_COMMIT_WINDOW_MS;
    this.timer = window === 0 ? this.deps.clock.afterTurn(() => this.commit()) : this.deps.clock.setTimeout(() => this.commit(), window);
  }

  /** Commit everything queued in one transaction, then hand the stamped messages to the front. */
  commit(): void {
    this.timer = null;
    if (this.queue.length === 0) return;
    const units = this.queue;
    this.queue = [];
    const joined = this.joined;
    this.joined = [];
    const started = this.deps.clock.elapsed();
    const now = this.deps.clock.now();
    const deliveries: Delivery[] = [];
    let rows = 0;
    let finalized = false;
    const { store } = this.deps;
    try {
      store.transaction(() => {
        for (const unit of units) {
          const applied = this.apply(unit, now);
          rows += applied.rows;
          finalized ||= applied.finalized;
          if (applied.out.length > 0) deliveries.push(applied.receivedAt === undefined ? { out: applied.out } : { out: applied.out, receivedAt: applied.receivedAt });
        }
      });
    } catch (error) {
      // Anything but a full or failing disk is a bug or a damaged database: the thread dies with its cause.
      if (!isTransientStorageError(error)) throw error;
      this.commitFailed(units, error);
      return;
    }
    if (this.storageError !== null) this.storageRecovered();
    const seconds = (this.deps.clock.elapsed() - started) / 1000;
    this.batching.commits += 1;
    this.batching.units += units.length;
    this.batching.rows += rows;
    this.batching.maxUnits = Math.max(this.batching.maxUnits, units.length);
    this.batching.commitMs += seconds * 1000;
    this.deps.metrics.writerBatch(units.length, seconds);
    if (this.batching.commits % 256 === 0) this.pruneQuietly();
    this.deps.toFront({ type: 'deliver', input: { deliveries, stats: this.stats() } });
    if (joined.length > 0) this.deps.onTransfersCommitted?.(joined);
    if (finalized) this.forwarder?.kick();
    const loads = this.afterCommit;
    this.afterCommit = [];
    for (const load of loads) load();
  }

  /** Pruning frees space; when the disk refuses even that, it waits for the next round. */
  private pruneQuietly(): void {
    try {
      this.deps.store.prune(this.deps.config.HUB_EVENT_RETENTION);
    } catch (error) {
      if (!isTransientStorageError(error)) throw error;
      this.deps.log.warn({ cause: causeOf(error) }, 'event-log pruning refused by the disk');
    }
  }

  /**
   * The transaction rolled back (the store restored its seq). Nothing of it is acked or broadcast: each
   * writer is told STORAGE_UNAVAILABLE, every shard reloads what SQLite holds, and transfer halves still
   * waiting for their partner are refused too (their shards forget the transfer on reload).
   */
  private commitFailed(units: readonly Unit[], error: unknown): void {
    const cause = causeOf(error);
    const reason = describeCause(cause);
    const now = this.deps.clock.now();
    this.generationNo += 1;
    this.storageError = { reason, since: this.storageError?.since ?? now, failures: (this.storageError?.failures ?? 0) + 1 };
    this.deps.metrics.storageError(cause.sqliteCode ?? cause.errno ?? 'unknown');
    this.deps.log.error({ cause, units: units.length, generation: this.generationNo }, 'commit refused by the disk; writes refused as STORAGE_UNAVAILABLE until it has room');
    const held = [...this.held.values()];
    this.held.clear();
    this.joined = [];
    this.deps.onRollback?.(this.generationNo);
    this.refuse([...units, ...held], reason);
    this.scheduleProbe();
  }

  /** STORAGE_UNAVAILABLE to each unit's writer (once per request), with nothing applied. */
  private refuse(units: readonly Unit[], reason: string): void {
    const seen = new Set<string>();
    const out: Outbound[] = [];
    for (const unit of units) {
      const origin: UnitOrigin | undefined = unit.origin;
      if (origin === undefined) continue;
      const key = `${origin.terminalId}\u0000${JSON.stringify(origin.ref)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const msg = {
        type: 'ERROR',
        code: 'STORAGE_UNAVAILABLE',
        message: `not stored, nothing applied: the hub's disk refused the write (${reason}); retry`,
        retryable: true,
        ref: origin.ref,
      } as HubMessage;
      out.push({ to: 'terminal', terminalId: origin.terminalId, msg });
    }
    this.deps.toFront({ type: 'deliver', input: { deliveries: out.length === 0 ? [] : [{ out }], stats: this.stats() } });
  }

  /** While degraded and idle, a one-row write tells when the disk has room again (and /health clears). */
  private scheduleProbe(): void {
    if (this.probeTimer !== null || this.stopped) return;
    this.probeTimer = this.deps.clock.setTimeout(() => {
      this.probeTimer = null;
      if (this.storageError === null || this.stopped) return;
      try {
        this.deps.store.transaction(() => this.deps.store.setMeta('storage_probe', String(this.deps.clock.now())));
      } catch (error) {
        if (!isTransientStorageError(error)) throw error;
        this.scheduleProbe();
        return;
      }
      this.storageRecovered();
      this.deps.toFront({ type: 'stats', input: this.stats() });
    }, STORAGE_PROBE_MS);
  }

  private storageRecovered(): void {
    this.deps.log.warn({ failures: this.storageError?.failures, since: this.storageError?.since }, 'the disk accepts commits again');
    this.storageError = null;
    if (this.probeTimer !== null) this.deps.clock.clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }

  private apply(unit: Unit, now: number): { out: Outbound[]; rows: number; finalized: boolean; receivedAt?: number } {
    const { store } = this.deps;
    let seq: number | null = null;
    let rows = 0;
    let finalized = false;
    const extra: Outbound[] = [];
    const stampLater: Array<{ terminalId: string; owner: string; mutationId: string; homeKey: string; posReference: string | null; result: HubMessage }> = [];
    for (const op of unit.ops) {
      rows += 1;
      switch (op.op) {
        case 'order_put':
          store.putOrder(
            { posReference: op.posReference, homeKey: op.homeKey, tableId: op.tableId, version: op.version, snapshot: op.snapshot, state: op.state, terminalId: op.terminalId },
            now,
          );
          break;
        case 'lease_put':
          store.putLease({ posReference: op.posReference, homeKey: op.homeKey, terminalId: op.terminalId, role: op.role, tableId: op.tableId, expiresAt: op.expiresAt, epoch: op.epoch });
          break;
        case 'lease_delete':
          store.deleteLease(op.posReference);
          break;
        case 'lock_put':
          store.putLock({ tableId: op.tableId, terminalId: op.terminalId, role: op.role, expiresAt: op.expiresAt, epoch: op.epoch });
          break;
        case 'lock_delete':
          store.deleteLock(op.tableId);
          break;
        case 'table_put':
          store.putTable({ tableId: op.tableId, status: op.status, posReference: op.posReference }, now);
          break;
        case 'floor_plan_put':
          store.putFloorPlan(op.plan.floorId, op.plan, now);
          break;
        case 'event': {
          const id = store.appendEvent(
            {
              type: op.type,
              posReference: op.posReference,
              payload: (s) => ({ ...op.payload, seq: s }),
              sourceTerminal: op.sourceTerminal,
              ...(op.finalize === undefined ? {} : { finalize: op.finalize }),
            },
            now,
          );
          if (op.payload !== null || seq === null) seq = id;
          if (op.finalize !== undefined) finalized = true;
          break;
        }
        case 'mutation':
          stampLater.push({ terminalId: op.terminalId, owner: op.owner ?? '', mutationId: op.mutationId, homeKey: op.homeKey, posReference: op.posReference, result: op.result });
          break;
        case 'replay': {
          const result = store.getMutation(op.terminalId, op.mutationId, op.owner);
          if (result !== undefined) extra.push({ to: 'terminal', terminalId: op.terminalId, msg: result as HubMessage });
          break;
        }
        case 'ticket': {
          const previous = op.mutationId === undefined ? undefined : store.getMutation(op.terminalId, op.mutationId, op.owner);
          if (previous !== undefined) {
            extra.push({ to: 'terminal', terminalId: op.terminalId, msg: previous as HubMessage });
            break;
          }
          const ticketNumber = store.nextTicket(op.businessDay, op.orderType);
          const msg: HubMessage = {
            type: 'TICKET_NUMBER',
            orderType: op.orderType,
            ticketNumber,
            businessDay: op.businessDay,
            ...(op.mutationId === undefined ? {} : { mutationId: op.mutationId }),
          };
          if (op.mutationId !== undefined) store.putMutation(op.terminalId, op.mutationId, '', null, msg, now, op.owner);
          extra.push({ to: 'terminal', terminalId: op.terminalId, msg });
          break;
        }
        default: {
          const unreachable: never = op;
          throw new HubError('INTERNAL', `unknown write op ${JSON.stringify(unreachable)}`);
        }
      }
    }
    for (const m of stampLater) {
      store.putMutation(m.terminalId, m.mutationId, m.homeKey, m.posReference, seq === null ? m.result : { ...m.result, seq }, now, m.owner);
    }
    const out: Outbound[] = unit.out.map((o) => (o.stamp && seq !== null ? { ...o, msg: { ...o.msg, seq } } : o));
    out.push(...extra);
    return unit.receivedAt === undefined ? { out, rows, finalized } : { out, rows, finalized, receivedAt: unit.receivedAt };
  }

  private onForwardOutcome(o: ForwardOutcome): void {
    const to = o.event.terminalId;
    let msg: HubMessage | null = null;
    switch (o.kind) {
      case 'finalized':
        msg = {
          type: 'ORDER_FINALIZED',
          posReference: o.result.posReference,
          orderId: o.result.orderId,
          lineIdMap: { ...o.result.lineIdMap },
          ...(o.result.fiscal === undefined ? {} : { fiscal: o.result.fiscal }),
        };
        break;
      case 'retrying':
        if (o.event.attempts === 0) msg = { type: 'ORDER_FINALIZE_QUEUED', posReference: o.event.posReference, reason: o.error };
        break;
      case 'dead':
        msg = { type: 'ORDER_FINALIZE_ERROR', posReference: o.event.posReference, error: o.error, retryable: false, code: 'ODOO_REJECTED' };
        break;
      default: {
        const unreachable: never = o;
        throw new HubError('INTERNAL', `unknown forward outcome ${JSON.stringify(unreachable)}`);
      }
    }
    const deliveries: Delivery[] = msg === null ? [] : [{ out: [{ to: 'terminal', terminalId: to, msg }] }];
    this.deps.toFront({ type: 'deliver', input: { deliveries, stats: this.stats() } });
  }

  stats(): WriterStats {
    const counts = this.deps.store.tallies();
    const fwd = this.forwarder?.status();
    const metaSync = this.deps.store.meta('last_odoo_sync');
    return {
      seq: this.deps.store.currentSeq(),
      ...counts,
      lastOdooSync: fwd?.lastOdooSync ?? (metaSync === null ? null : Number(metaSync)),
      odooReachable: fwd?.odooReachable ?? false,
      lastOdooError: fwd?.lastError ?? null,
      storageError: this.storageError === null ? null : { ...this.storageError },
    };
  }

  /**
   * Rows whose actor hashes to `shard`: all of them, or (`grants`) only those of actors holding a lease or
   * a lock, which must tick from the start — a shard that loads the rest on demand starts with no more.
   */
  loadSeed(shard: number, shards: number, scope: 'all' | 'grants' = 'all'): ShardSeed {
    // Units this shard sent before asking are already queued (same port, FIFO): commit them first.
    this.commit();
    const { store } = this.deps;
    const granted = scope === 'all' ? null : new Set<ActorKey>([...store.leases().map((l) => l.homeKey), ...store.locks().map((l) => tableKey(l.tableId))]);
    return store.actorSeeds((key) => shardOf(key, shards) === shard && (granted === null || granted.has(key)));
  }

  /** The front's requests, answered here (the worker serves them; in-process tests call `request`). */
  readonly handlers: RequestHandlers<FrontToWriter> = {
    sync: ({ terminalId, lastSeq }) => this.sync(terminalId, lastSeq),
    routes: () => [...this.deps.store.orders().map((o) => [o.posReference, o.homeKey] as const), ...this.deps.store.leases().map((l) => [l.posReference, l.homeKey] as const)],
    state: () => this.stateView(),
    reset: () => {
      this.commit();
      // A transfer half-way through a reset never completes: its shards were quiesced and reloaded.
      this.held.clear();
      this.deps.store.reset();
      return this.stats();
    },
    collect_metrics: async () => (await this.deps.snapshotMetrics?.()) ?? [],
    flush: () => {
      this.commit();
      return this.stats();
    },
    device_claim: (input) => claimDevice(this.deps.store, input),
    device_seen: (input) => sawDevices(this.deps.store, input),
    device_release: ({ deviceId }) => releaseDevice(this.deps.store, deviceId),
    stop: async () => {
      this.commit();
      this.stopped = true;
      if (this.probeTimer !== null) this.deps.clock.clearTimeout(this.probeTimer);
      this.probeTimer = null;
      await this.forwarder?.stop();
      this.deps.store.close();
      return { ...this.batching };
    },
  };

  /** One request in-process, typed by the contract as over the thread. */
  async request<K extends RequestType<FrontToWriter>>(type: K, ...input: InputArgs<InputOf<FrontToWriter, K>>): Promise<ResultOf<FrontToWriter, K>> {
    const handler = this.handlers[type] as (input: InputOf<FrontToWriter, K>) => ResultOf<FrontToWriter, K> | Promise<ResultOf<FrontToWriter, K>>;
    return handler(input[0] as InputOf<FrontToWriter, K>);
  }

  private sync(terminalId: string, lastSeq: number | undefined): SyncResult {
    const { store } = this.deps;
    const seq = store.currentSeq();
    if (lastSeq !== undefined) {
      // The resume window is the retention: a terminal that missed at most HUB_EVENT_RETENTION events
      // resumes, one further behind gets SYNC_INIT — whatever pruning has or has not caught up with yet.
      const retention = this.deps.config.HUB_EVENT_RETENTION;
      const events = seq - lastSeq <= retention ? store.resume(lastSeq, terminalId, retention) : null;
      if (events !== null) return { mode: 'resume', fromSeq: lastSeq + 1, toSeq: seq, events: events as HubMessage[], quarantined: store.quarantinedRecords() };
    }
    const leases = new Map(store.leases().map((l) => [l.posReference, l]));
    const now = this.deps.clock.now();
    const orders: SyncInitOrder[] = [];
    for (const o of store.orders()) {
      // Closed orders stay in SQLite (and in Odoo) but are no longer active: finalized, or confirmed by Odoo.
      if (o.snapshot === null || o.state === 'finalized' || o.odooOrderId !== null) continue;
      const lease = leases.get(o.posReference);
      orders.push({ posReference: o.posReference, version: o.version, snapshot: o.snapshot, tableId: o.tableId, leasedBy: lease && lease.expiresAt > now ? lease.terminalId : null });
    }
    const locks = new Map(store.locks().map((l) => [l.tableId, l]));
    const tables: TableState[] = [];
    for (const t of store.tables()) {
      const lock = locks.get(t.tableId);
      locks.delete(t.tableId);
      tables.push({ tableId: t.tableId, status: t.status, posReference: t.posReference, lockedBy: lock?.terminalId ?? null, lockExpiresAt: lock?.expiresAt ?? null });
    }
    for (const lock of locks.values()) {
      tables.push({ tableId: lock.tableId, status: 'available', posReference: null, lockedBy: lock.terminalId, lockExpiresAt: lock.expiresAt });
    }
    const floorPlans = store.floorPlans() as FloorPlan[];
    return { mode: 'init', orders, tables, floorPlans, seq, quarantined: store.quarantinedRecords() };
  }

  private stateView(): WriterStateView {
    const { store } = this.deps;
    return {
      leases: store.leases().map((l) => ({ posReference: l.posReference, terminalId: l.terminalId, role: l.role, tableId: l.tableId, expiresAt: l.expiresAt, epoch: l.epoch })),
      locks: store.locks().map((l) => ({ tableId: l.tableId, terminalId: l.terminalId, role: l.role, expiresAt: l.expiresAt, epoch: l.epoch })),
      events: store.recentEvents(50),
    };
  }
}
