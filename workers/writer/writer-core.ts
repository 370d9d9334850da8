/**
 * The writer: the hub's sequencer and only SQLite user. Units from every shard (and the front's
 * table-less work) are group-committed in one transaction as soon as the writer is idle; each committed event
 * gets the next hub-wide seq, which is stamped on its messages before they go to the front for fan-out.
 * Nothing leaves here before its commit. Runs in the writer worker, or in-process for tests.
 * A commit the disk refuses (full, I/O error, busy) is rolled back and each of its writers told
 * STORAGE_UNAVAILABLE (retryable); the shards reload from SQLite and the hub keeps serving, degraded,
 * until a write succeeds again (a small probe write retries on its own while nobody writes).
 * Its parts: apply-unit.ts (one unit's ops), sync-answers.ts (sync, state), writer-notices.ts (messages of its
 * own), writer-deps.ts (what it is built from).
 */
import type { Clock, TimerHandle } from '#ports/clock.js';
import type { ForwardOutcome } from '#ports/forwarding.js';
import { stageTimer, type StageMark, type StageTimer } from '#ports/metrics.js';
import { HubError, causeOf, describeCause } from '#protocol/errors.js';
import { fencedError, isFenced } from '#ports/store.js';
import { SqliteStorePort, currentEpochOf } from '#adapters/sqlite/store-port.js';
import { depthWithin } from '#protocol/frame-limits.js';
import { isTransientStorageError } from '#adapters/sqlite/storage-fault.js';
import type { Unit } from '#threads/actor-io.js';
import type { Delivery, FrontToWriter, WriterStats } from '#threads/contract.js';
import { shardOf, tableKey, type ActorKey } from '#threads/keys.js';
import type { InputArgs, InputOf, RequestHandlers, RequestType, ResultOf } from '#threads/rpc.js';
import type { KeySeed, ShardSeed } from '#threads/seed.js';
import { applyUnit } from './apply-unit.js';
import { DeviceOwners } from './device-owners.js';
import { createSyncAnswers, stateView } from './sync-answers.js';
import { outcomeMessage, refusals } from './writer-notices.js';
import { WriterRole, notLeaderRefusals } from './leadership.js';
import type { ForwarderHandle, WriterDeps } from './writer-deps.js';

export type { ForwarderFactory, ForwarderHandle, WriterClock, WriterDeps } from './writer-deps.js';

/**
 * Levels a unit may add above the frame it came from (unit → ops → op → event payload → snapshot …):
 * a unit deeper than HUB_FRAME_MAX_DEPTH plus this cannot have come from a bounded frame.
 */
const UNIT_DEPTH_MARGIN = 16;

/** While the disk refuses commits, how often a one-row probe write checks whether it has room again. */
export const STORAGE_PROBE_MS = 1000;

/** How often the writer checks whether the forwarder's view of Odoo changed. */
const ODOO_WATCH_MS = 1000;

/** A unit waiting for its commit, with the StageMark of its arrival (the `commit_wait` stage starts there). */
interface Queued {
  readonly unit: Unit;
  readonly at: StageMark;
}

export class WriterCore {
  private queue: Queued[] = [];
  /** A transfer's first part, waiting for its other half (which comes from the other shard's port). */
  private readonly held = new Map<string, Queued>();
  /** Transfers whose two parts are in `queue`, to announce after the commit. */
  private joined: string[] = [];
  /** Key loads waiting for the commit of units queued before them. */
  private afterCommit: Array<() => void> = [];
  private timer: TimerHandle | null = null;
  /** The Odoo forwarder of the current leadership term (null while following, or without one). */
  private forwarder: ForwarderHandle | null = null;
  /** Standalone, leader (with its fence epoch) or follower (workers/writer/leadership.ts). */
  private readonly role: WriterRole;
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
  /** The writer's stages of a write's path: to_writer, commit_wait, commit (pos_hub_write_stage_seconds). */
  private readonly stages: StageTimer;
  /** Sync answers, with the SYNC_INIT shared by every terminal until the rows change (sync-answers.ts). */
  private readonly syncAnswers: ReturnType<typeof createSyncAnswers>;
  /** Device bindings; the claims of one turn share one commit (device-owners.ts). */
  private readonly devices: DeviceOwners;

  constructor(private readonly deps: WriterDeps) {
    this.stages = deps.stages ?? stageTimer(deps.metrics);
    this.syncAnswers = createSyncAnswers(deps.store, deps.config.HUB_EVENT_RETENTION);
    this.devices = new DeviceOwners(deps.store);
    this.role = new WriterRole(deps.role ?? 'standalone', {
      log: deps.log,
      startForwarder: () => {
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
      },
      stopForwarder: async () => {
        const forwarder = this.forwarder;
        this.forwarder = null;
        await forwarder?.stop();
      },
    });
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
      // Pruning writes: only the leader (or a standalone hub) prunes the shared store.
      if (this.role.writes) this.pruneNow();
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
    // Without a forwarder factory there is never an Odoo view to report.
    if (this.stopped || this.deps.createForwarder == null) return;
    // A follower runs no forwarder: Odoo reads as unreachable from here (the leader forwards).
    const reachable = this.forwarder?.status().odooReachable ?? false;
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
    if (!this.role.writes) {
      // A race with demotion: the front gates writes on a follower, but these were on their way.
      this.refuseNotLeader(units);
      return;
    }
    if (generation !== undefined && generation < this.generationNo) {
      this.refuse(units, 'the shard is reloading after a failed commit');
      return;
    }
    const at = this.stages.mark();
    for (const unit of units) {
      if (unit.sentAt !== undefined) this.stages.end('to_writer', unit.sentAt);
      // Stringify, the commit and postMessage all recurse: a value too deep for them must not get that far.
      if (!depthWithin(unit, this.deps.config.HUB_FRAME_MAX_DEPTH + UNIT_DEPTH_MARGIN)) {
        this.deps.metrics.quarantined('unit');
        this.deps.log.error({ ops: unit.ops.map((o) => o.op) }, 'write unit nests too deep to store or send; quarantined');
        continue;
      }
      const queued: Queued = { unit, at };
      if (unit.join === undefined) {
        this.queue.push(queued);
        continue;
      }
      const other = this.held.get(unit.join.txId);
      if (!other) {
        this.held.set(unit.join.txId, queued);
        continue;
      }
      // Adjacent in the queue, so in the same transaction; dest first, so ORDER_TRANSFERRED goes out last.
      this.held.delete(unit.join.txId);
      this.queue.push(...(unit.join.part === 'dest' ? [queued, other] : [other, queued]));
      this.joined.push(unit.join.txId);
    }
    this.schedule();
  }

  /**
   * Window 0 (the default): commit on the next turn, i.e. as soon as the writer is idle — what arrived
   * while the previous commit ran (its fsync included) is already queued and goes in together. A positive
   * window waits that long after the first unit, for bigger batches at that cost per ack.
   */
  private schedule(): void {
    if (this.timer !== null || this.queue.length === 0) return;
    const window = this.deps.config.HUB_COMMIT_WINDOW_MS;
    this.timer = window === 0 ? this.deps.clock.afterTurn(() => this.commit()) : this.deps.clock.setTimeout(() => this.commit(), window);
  }

  /** Commit everything queued in one transaction, then hand the stamped messages to the front. */
  commit(): void {
    this.timer = null;
    if (this.queue.length === 0) return;
    const queued = this.queue;
    this.queue = [];
    const units = queued.map((q) => q.unit);
    const joined = this.joined;
    this.joined = [];
    const started = this.deps.clock.elapsed();
    const now = this.deps.clock.now();
    const commitStart = this.stages.mark();
    for (const q of queued) this.stages.end('commit_wait', q.at);
    const deliveries: { out: Delivery['out']; receivedAt?: number; sentAt?: number }[] = [];
    let rows = 0;
    let finalized = false;
    const { store } = this.deps;
    const fence = this.role.fence;
    try {
      store.transaction(() => {
        // The fence, inside the transaction (src/ports/store.ts): a newer takeover refuses the whole batch.
        if (fence !== undefined) {
          const current = currentEpochOf(store);
          if (current !== fence) throw fencedError(fence, current);
        }
        for (const unit of units) {
          const applied = applyUnit(store, unit, now);
          rows += applied.rows;
          finalized ||= applied.finalized;
          if (applied.out.length > 0) deliveries.push(applied.receivedAt === undefined ? { out: applied.out } : { out: applied.out, receivedAt: applied.receivedAt });
        }
      });
    } catch (error) {
      if (isFenced(error)) {
        this.commitFenced(units, error.details.fence, error.details.current);
        return;
      }
      // Anything but a full or failing disk is a bug or a damaged database: the thread dies with its cause.
      if (!isTransientStorageError(error)) throw error;
      this.commitFailed(units, error);
      return;
    }
    for (let i = 0; i < units.length; i++) this.stages.end('commit', commitStart);
    if (this.storageError !== null) this.storageRecovered();
    const seconds = (this.deps.clock.elapsed() - started) / 1000;
    this.batching.commits += 1;
    this.batching.units += units.length;
    this.batching.rows += rows;
    this.batching.maxUnits = Math.max(this.batching.maxUnits, units.length);
    this.batching.commitMs += seconds * 1000;
    this.deps.metrics.writerBatch(units.length, seconds);
    if (this.batching.commits % 256 === 0) this.pruneQuietly();
    const stats = this.stats();
    // The `to_front` stage starts here: the front ends it when the deliveries arrive.
    const sentAt = this.stages.mark();
    for (const d of deliveries) d.sentAt = sentAt;
    this.deps.toFront({ type: 'deliver', input: { deliveries, stats } });
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
    const held = [...this.held.values()].map((q) => q.unit);
    this.held.clear();
    this.joined = [];
    this.deps.onRollback?.(this.generationNo);
    this.refuse([...units, ...held], reason);
    this.scheduleProbe();
  }


  /**
   * A newer takeover fenced this batch: nothing was applied. Its writers (and the transfer halves still
   * waiting) are told NOT_LEADER, the shards reload (their actors may hold what was never stored), the
   * forwarder stops, and the front hears it so the hub follows at once.
   */
  private commitFenced(units: readonly Unit[], epoch: number, current: number): void {
    this.deps.log.warn({ epoch, current, units: units.length }, 'commit fenced by a newer takeover; following');
    this.generationNo += 1;
    const held = [...this.held.values()].map((q) => q.unit);
    this.held.clear();
    this.joined = [];
    this.deps.onRollback?.(this.generationNo);
    this.role.follow(null).catch((error: unknown) => this.deps.log.error({ err: error }, 'the forwarder did not stop cleanly'));
    this.refuseNotLeader([...units, ...held]);
    this.deps.toFront({ type: 'fenced', input: { epoch, current } });
  }

  /** NOT_LEADER to each unit's writer (once per request), naming the leader when known; nothing applied. */
  private refuseNotLeader(units: readonly Unit[]): void {
    const state = this.role.state;
    const out = notLeaderRefusals(units, state.kind === 'follower' ? state.leader : null);
    this.deps.toFront({ type: 'deliver', input: { deliveries: out.length === 0 ? [] : [{ out }], stats: this.stats() } });
  }

  /** STORAGE_UNAVAILABLE to each unit's writer (once per request), with nothing applied. */
  private refuse(units: readonly Unit[], reason: string): void {
    const out = refusals(units, reason);
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



  private onForwardOutcome(o: ForwardOutcome): void {
    const msg = outcomeMessage(o);
    const deliveries: Delivery[] = msg === null ? [] : [{ out: [{ to: 'terminal', terminalId: o.event.terminalId, msg }] }];
    this.deps.toFront({ type: 'deliver', input: { deliveries, stats: this.stats() } });
  }

  /**
   * The counters every delivery carries to /health and HUB_STATUS. Cheap enough to send after each commit:
   * the tallies are six rows kept by triggers, and the store remembers the last Odoo sync it wrote.
   */
  stats(): WriterStats {
    const counts = this.deps.store.tallies();
    const fwd = this.forwarder?.status();
    return {
      seq: this.deps.store.currentSeq(),
      ...counts,
      lastOdooSync: fwd?.lastOdooSync ?? this.deps.store.lastOdooSync(),
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
    sync: (input) => this.syncAnswers(this.deps.clock.now(), input),
    routes: () => [...this.deps.store.orders().map((o) => [o.posReference, o.homeKey] as const), ...this.deps.store.leases().map((l) => [l.posReference, l.homeKey] as const)],
    state: () => stateView(this.deps.store),
    reset: () => {
      this.mustLead('reset');
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
    device_claim: (input) => this.devices.claim(input),
    device_seen: (input) => (this.role.writes ? this.devices.seen(input) : 0),
    device_release: ({ deviceId }) => {
      this.mustLead('device release');
      return this.devices.release(deviceId);
    },
    take_over: async ({ node }) => {
      // What is queued was accepted under the previous role: a follower holds none, a leader commits it first.
      this.commit();
      const epoch = await new SqliteStorePort(this.deps.store).takeOver(node, this.deps.clock.now());
      // Actor memory loaded before this takeover may miss the previous leader's writes: units built on it are refused.
      this.generationNo += 1;
      this.deps.onRollback?.(this.generationNo);
      this.role.lead(epoch);
      this.deps.log.warn({ epoch, node }, 'took over: committing under the new epoch');
      return { epoch };
    },
    demote: async ({ leader }) => {
      const queued = this.queue.map((q) => q.unit);
      const held = [...this.held.values()].map((q) => q.unit);
      this.queue = [];
      this.held.clear();
      this.joined = [];
      await this.role.follow(leader);
      // Nothing in flight is acked: what was queued is refused, and the shards reload before they lead again.
      this.generationNo += 1;
      this.deps.onRollback?.(this.generationNo);
      this.refuseNotLeader([...queued, ...held]);
      return null;
    },
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

  /** Admin writes are the leader's: a follower refuses them NOT_LEADER (the store is the leader's to change). */
  private mustLead(what: string): void {
    if (this.role.writes) return;
    throw new HubError('NOT_LEADER', `${what} refused: this hub is a follower; run it on the leader`, { retryable: true });
  }

  /** One request in-process, typed by the contract as over the thread. */
  async request<K extends RequestType<FrontToWriter>>(type: K, ...input: InputArgs<InputOf<FrontToWriter, K>>): Promise<ResultOf<FrontToWriter, K>> {
    const handler = this.handlers[type] as (input: InputOf<FrontToWriter, K>) => ResultOf<FrontToWriter, K> | Promise<ResultOf<FrontToWriter, K>>;
    return handler(input[0] as InputOf<FrontToWriter, K>);
  }


}
