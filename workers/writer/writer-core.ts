/**
 * The writer: the hub's sequencer and only store user. Units from every shard (and the front's
 * table-less work) are group-committed in one transaction as soon as the writer is idle; each committed event
 * gets the next hub-wide seq, which is stamped on its messages before they go to the front for fan-out.
 * Nothing leaves here before its commit. Runs in the writer worker, or in-process for tests.
 * The store is the port (src/ports/store.ts): the embedded SQLite file or PostgreSQL. Exactly one commit
 * is in flight; what arrives meanwhile goes into the next, which starts as soon as it settles; reads that
 * must see queued units wait behind their commit (store-lane.ts). SQLite settles in the same turn, so the
 * default runs synchronously as before the port; Postgres continues when its answer arrives.
 * A commit the store refuses (full or failing disk, lost or read-only primary) is rolled back and each of
 * its writers told STORAGE_UNAVAILABLE (retryable); the shards reload from the store and the hub keeps
 * serving, degraded, until a write succeeds again (a small probe write retries on its own while nobody
 * writes). A commit whose answer was lost (in doubt) is refused the same way: the retry's mutation id is
 * answered from what the store holds. Anything else the store throws kills the thread with its cause.
 * A change of role never waits for a store call hung on a primary that lost its standby: a demoted leader
 * gives up its commit (its units refused in doubt), a follower taking over its tail's tick (docs/ha.md).
 * Its parts: store-units.ts (units ⇄ the port), store-upkeep.ts (WAL checkpoints off the commit path),
 * sync-answers.ts (sync, state), device-owners.ts, leader-term.ts (role, forwarder, heartbeat),
 * commit-refusals.ts (a commit that did not land as sent),
 * storage-health.ts (whether the store accepts commits), seed-loads.ts (the shards' seeds),
 * writer-counters.ts (what /health counts), writer-prune.ts (pruning), writer-notices.ts (messages of its
 * own), writer-deps.ts (what it is built from).
 */
import { SqliteStorePort } from '#adapters/sqlite/store-port.js';
import type { TimerHandle } from '#ports/clock.js';
import { stageTimer, type StageMark, type StageTimer } from '#ports/metrics.js';
import { settledPromise, thenSettled, whenSettled, type Outcome } from '#ports/settled.js';
import { isFenced, type CommitResult } from '#ports/store.js';
import { HubError, causeOf } from '#protocol/errors.js';
import { depthWithin } from '#protocol/frame-limits.js';
import type { HubMessage } from '#protocol/hub-messages.js';
import type { Unit } from '#threads/actor-io.js';
import type { Delivery, FrontToWriter, WriterStats } from '#threads/contract.js';
import type { ActorKey } from '#threads/keys.js';
import type { InputArgs, InputOf, RequestHandlers, RequestType, ResultOf } from '#threads/rpc.js';
import type { KeySeed, ShardSeed } from '#threads/seed.js';
import { DeviceOwners } from './device-owners.js';
import { StoreLane, type LaneTask } from './store-lane.js';
import { StoreUpkeep } from './store-upkeep.js';
import { LeaderTerm } from './leader-term.js';
import { SeedLoads } from './seed-loads.js';
import { CommitRefusals } from './commit-refusals.js';
import { WriterCounters } from './writer-counters.js';
import { WriterPruning, type PruneSummary } from './writer-prune.js';
import { StorageHealth } from './storage-health.js';
import { outboundOf, toStoreUnit } from './store-units.js';
import { createPortSyncAnswers, createSyncAnswers, stateView, stateViewOnPort } from './sync-answers.js';
import type { WriterRole } from './leadership.js';
import type { ForwarderHandle, WriterDeps } from './writer-deps.js';
import { ReplicaTail } from './replica-tail.js';

export type { ForwarderFactory, ForwarderHandle, WriterClock, WriterDeps } from './writer-deps.js';

/**
 * Levels a unit may add above the frame it came from (unit → ops → op → event payload → snapshot …):
 * a unit deeper than HUB_FRAME_MAX_DEPTH plus this cannot have come from a bounded frame.
 */
const UNIT_DEPTH_MARGIN = 16;

export { STORAGE_PROBE_MS } from './storage-health.js';

/** The light event-log trim runs every this many commits (the full pass runs on HUB_PRUNE_INTERVAL_MS). */
const TRIM_EVERY_COMMITS = 256;

/** A unit waiting for its commit, with the StageMark of its arrival (the `commit_wait` stage starts there). */
interface Queued {
  readonly unit: Unit;
  readonly at: StageMark;
}

/** The units of the next commit and the reads that must run right after it. */
interface Batch {
  readonly units: Queued[];
  /** Transfers whose two parts are in `units`, to announce after the commit. */
  readonly joined: string[];
  readonly after: LaneTask[];
}

const emptyBatch = (): Batch => ({ units: [], joined: [], after: [] });

export class WriterCore {
  private batch: Batch = emptyBatch();
  /** A transfer's first part, waiting for its other half (which comes from the other shard's port). */
  private readonly held = new Map<string, Queued>();
  private readonly lane = new StoreLane();
  /** The commit window's timer (or the next turn's, with a window of 0). */
  private timer: TimerHandle | null = null;
  /** A commit task is in the lane and has not yet taken the batch: later units join it. */
  private commitQueued = false;
  /** The role, the Odoo forwarder and the heartbeat of the current leadership term (leader-term.ts). */
  private readonly term: LeaderTerm;
  private stopped = false;
  /** Bumped by every failed commit: shard memory loaded at an older generation may hold unstored state. */
  private generationNo = 0;
  /** The units of the commit the store is running now; `givenUp` once a demotion stopped waiting for it. */
  private inFlight: { readonly units: readonly Unit[]; givenUp: boolean } | null = null;
  /** Whether the store accepts commits; /health says `degraded` with the reason while it does not. */
  private readonly health: StorageHealth;
  /** What terminals and shards are told when a commit does not land as sent (commit-refusals.ts). */
  private readonly refusals: CommitRefusals;
  /** The counters every delivery carries to /health (writer-counters.ts). */
  private readonly counters: WriterCounters;
  /** Closed orders and old events, pruned on the leader (writer-prune.ts). */
  private readonly pruning: WriterPruning;
  /** The shards' seeds, read behind the units they sent (seed-loads.ts). */
  private readonly loads: SeedLoads;
  /** Moves with every change of the rows a SYNC_INIT is read from that this writer made (Postgres sharing). */
  private rowsVersion = 0;
  /** Measured batching, for the README figures and the writerBatch metric. */
  readonly batching = { commits: 0, units: 0, rows: 0, maxUnits: 0, commitMs: 0 };
  /** The writer's stages of a write's path: to_writer, commit_wait, commit (pos_hub_write_stage_seconds). */
  private readonly stages: StageTimer;
  /** Sync answers, with the SYNC_INIT shared by every terminal until the rows change (sync-answers.ts). */
  private readonly syncAnswers: (now: number, input: { terminalId: string; lastSeq?: number; shared?: boolean }) => FrontToWriter['requests']['sync']['result'] | Promise<FrontToWriter['requests']['sync']['result']>;
  private readonly stateView: () => FrontToWriter['requests']['state']['result'] | Promise<FrontToWriter['requests']['state']['result']>;
  /** Device bindings; the claims of one turn share one commit (device-owners.ts). */
  private readonly devices: DeviceOwners;
  /** Resolves once the counters /health needs have been read (at once on SQLite). */
  get ready(): Promise<void> {
    return this.counters.ready;
  }
  /** When SQLite's WAL is checkpointed: between commits, after their deliveries (store-upkeep.ts). */
  readonly upkeep: StoreUpkeep;
  /** A replicated store's follower serves the leader's events as they are acknowledged (replica-tail.ts). */
  readonly tail: ReplicaTail | null;

  constructor(private readonly deps: WriterDeps) {
    const { store, config } = deps;
    this.health = new StorageHealth({
      store,
      clock: deps.clock,
      log: deps.log,
      lane: this.lane,
      fence: () => this.role.fence,
      stopped: () => this.stopped,
      onFenced: (fence, current) => this.refusals.fenced([], fence, current),
      onProbed: () => this.deps.toFront({ type: 'stats', input: this.stats() }),
    });
    this.refusals = new CommitRefusals({
      store,
      clock: deps.clock,
      log: deps.log,
      metrics: deps.metrics,
      toFront: (notice) => this.deps.toFront(notice),
      ...(deps.onRollback === undefined ? {} : { onRollback: deps.onRollback }),
      health: this.health,
      role: () => this.role,
      stats: () => this.stats(),
      nextGeneration: () => {
        this.generationNo += 1;
        return this.generationNo;
      },
      takeHeld: () => {
        const held = [...this.held.values()].map((q) => q.unit);
        this.held.clear();
        return held;
      },
      halt: () => {
        this.stopped = true;
        this.lane.halt();
      },
    });
    this.stages = deps.stages ?? stageTimer(deps.metrics);
    // The SQLite adapter's one extra capability: its rows can be watched and read in this turn, so a
    // reconnect storm shares one SYNC_INIT per version without a promise per terminal.
    const rows = store instanceof SqliteStorePort ? store.store : null;
    if (rows !== null) {
      this.syncAnswers = createSyncAnswers(rows, config.HUB_EVENT_RETENTION);
      this.stateView = () => stateView(rows);
    } else {
      const answers = createPortSyncAnswers(store, config.HUB_EVENT_RETENTION, () => this.rowsVersion);
      this.syncAnswers = (now, input) => this.afterCommits(() => answers(now, input), false);
      this.stateView = () => this.afterCommits(() => stateViewOnPort(store), false);
    }
    this.devices = new DeviceOwners(store, (work) => this.afterCommits(work, false));
    this.upkeep = new StoreUpkeep({
      store,
      clock: deps.clock,
      log: deps.log,
      lane: this.lane,
      unitsWaiting: () => this.batch.units.length > 0,
      stopped: () => this.stopped,
    });
    this.counters = new WriterCounters({
      store,
      clock: deps.clock,
      log: deps.log,
      toFront: (notice) => this.deps.toFront(notice),
      forwarder: () => this.forwarder,
      storageError: () => this.health.error,
      stopped: () => this.stopped,
      watchesOdoo: deps.createForwarder != null,
    });
    this.term = new LeaderTerm({
      store,
      config,
      clock: deps.clock,
      log: deps.log,
      metrics: deps.metrics,
      ...(deps.createForwarder === undefined ? {} : { createForwarder: deps.createForwarder }),
      initial: deps.role ?? 'standalone',
      lane: this.lane,
      onOutcome: (o) => this.counters.forwardOutcome(o),
      onFenced: (fence, current) => this.refusals.fenced([], fence, current),
    });
    this.tail = deps.role === 'follower' ? this.startTail() : null;
    this.loads = new SeedLoads({
      store,
      clock: deps.clock,
      log: deps.log,
      afterCommits: (work, force) => this.afterCommits(work, force),
      stopped: () => this.stopped,
    });
    this.pruning = new WriterPruning({
      store,
      config,
      clock: deps.clock,
      log: deps.log,
      afterCommits: (work, force) => this.afterCommits(work, force),
      writes: () => this.role.writes,
      stopped: () => this.stopped,
      onOrdersPruned: (posReferences) => {
        this.rowsVersion += 1;
        this.deps.toFront({ type: 'forget', input: { posReferences: [...posReferences] } });
      },
    });
    // Not at once: the writer's first `stats` message is its ready signal, and the front does not exist yet.
    this.counters.watchOdooSoon();
    this.pruning.schedule();
  }

  /** Standalone, leader (with its fence epoch) or follower (workers/writer/leadership.ts). */
  private get role(): WriterRole {
    return this.term.role;
  }

  /** The Odoo forwarder of the current leadership term (null while following, or without one). */
  private get forwarder(): ForwarderHandle | null {
    return this.term.forwarder;
  }

  private startTail(): ReplicaTail {
    const tail = new ReplicaTail({
      store: this.deps.store,
      clock: this.deps.clock,
      log: this.deps.log,
      intervalMs: this.deps.config.HUB_FOLLOWER_TAIL_MS,
      limit: this.deps.config.HUB_EVENT_RETENTION,
      following: () => !this.role.writes,
      onLane: (work) => Promise.resolve(this.afterCommits(work, false)),
      deliver: (events) => {
        // SYNC_INIT answers shared by version must not outlive rows the leader changed.
        this.rowsVersion += 1;
        const out = events.map((e) => ({ to: 'all' as const, msg: e.payload as Delivery['out'][number]['msg'] }));
        this.deps.toFront({ type: 'deliver', input: { deliveries: out.length === 0 ? [] : [{ out }], stats: this.stats() } });
        this.counters.refresh();
      },
      refresh: (refresh) => this.deps.onRefresh?.(refresh),
    });
    tail.start();
    return tail;
  }

  // ---- ordering: the lane, the batch, and the reads behind them ----

  /**
   * Run `work` on the lane after every unit queued so far is committed (`force`: now, not at the end of the
   * commit window). Its value comes back in this turn when the store answers in this turn (SQLite), else
   * as a promise. A read never sees rows a commit is still writing, and never misses a queued unit.
   */
  private afterCommits<T>(work: () => T | Promise<T>, force: boolean): T | Promise<T> {
    let known: Outcome<T> | undefined;
    let wake: ((outcome: Outcome<T>) => void) | undefined;
    const task: LaneTask = (done) => {
      let value: T | Promise<T>;
      try {
        value = work();
      } catch (error) {
        value = settledPromise<T>(() => {
          throw error;
        });
      }
      whenSettled(
        value,
        (v) => finish({ ok: true, value: v }),
        (error) => finish({ ok: false, error }),
      );
      function finish(outcome: Outcome<T>): void {
        // Answered before the lane moves on, so the answer leaves ahead of the next commit's deliveries.
        if (wake === undefined) known = outcome;
        else wake(outcome);
        done();
      }
    };
    if (this.batch.units.length > 0) {
      this.batch.after.push(task);
      if (force) this.commitSoon(true);
    } else {
      this.lane.push(task);
    }
    if (known !== undefined) {
      if (known.ok) return known.value;
      throw known.error;
    }
    return new Promise<T>((resolve, reject) => {
      wake = (outcome) => (outcome.ok ? resolve(outcome.value) : reject(outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error))));
    });
  }

  /**
   * Window 0 (the default): commit on the next turn, i.e. as soon as the writer is idle — what arrived
   * while the previous commit ran (its fsync included) is already queued and goes in together. A positive
   * window waits that long after the first unit, for bigger batches at that cost per ack. `now`: queue the
   * commit at once (a read or a stop waits for it).
   */
  private commitSoon(now = false): void {
    if (this.commitQueued || this.batch.units.length === 0) return;
    if (now) {
      if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
      this.timer = null;
      this.commitQueued = true;
      this.lane.push((done) => this.runCommit(done));
      return;
    }
    if (this.timer !== null) return;
    const run = (): void => {
      this.timer = null;
      this.commitSoon(true);
    };
    const window = this.deps.config.HUB_COMMIT_WINDOW_MS;
    this.timer = window === 0 ? this.deps.clock.afterTurn(run) : this.deps.clock.setTimeout(run, window);
  }

  /** Commit everything queued now (on SQLite it is committed and delivered when this returns). */
  commit(): void {
    this.commitSoon(true);
  }

  /** Resolves once everything queued before the call is committed (or refused) and delivered. */
  settled(): Promise<void> {
    const done = this.afterCommits(() => undefined, true);
    return done instanceof Promise ? done : Promise.resolve();
  }

  // ---- the commit ----

  /** The lane's commit task: takes the whole batch, one transaction, then its reads. */
  private runCommit(done: () => void): void {
    this.commitQueued = false;
    const batch = this.batch;
    this.batch = emptyBatch();
    const finish = (): void => {
      this.lane.pushFront(batch.after);
      done();
    };
    if (batch.units.length === 0) {
      finish();
      return;
    }
    const units = batch.units.map((q) => q.unit);
    const started = this.deps.clock.elapsed();
    const commitStart = this.stages.mark();
    for (const q of batch.units) this.stages.end('commit_wait', q.at);
    const flight = { units, givenUp: false };
    this.inFlight = flight;
    whenSettled(
      this.deps.store.commit(units.map(toStoreUnit), this.deps.clock.now(), this.role.fence),
      (result) => {
        this.inFlight = null;
        // Landed after all, even if a demotion gave up waiting: durable, so acked as any commit.
        this.committed(units, batch.joined, result, started, commitStart);
        finish();
      },
      (error) => {
        this.inFlight = null;
        if (flight.givenUp && !isFenced(error) && this.deps.store.classifyError(error) !== 'fatal') this.refusals.givenUp(units, error);
        else this.refusals.refused(units, error);
        finish();
      },
    );
  }

  /** After the commit is durable: deliver its messages with their seqs, in commit order. */
  private committed(units: readonly Unit[], joined: readonly string[], result: CommitResult, started: number, commitStart: StageMark): void {
    const deliveries: { out: Delivery['out']; receivedAt?: number; sentAt?: number }[] = [];
    let rows = 0;
    let finalized = false;
    let duplicates = 0;
    // Broadcasts whose JSON the store just wrote as their event's payload: sent as that text (store-units.ts).
    const encoded = result.stamped === undefined ? undefined : new Map<HubMessage, string>();
    for (let i = 0; i < units.length; i++) {
      const unit = units[i] as Unit;
      const outcome = result.units[i];
      if (outcome === undefined) throw new Error(`the store answered ${result.units.length} of ${units.length} units`);
      if (outcome.kind === 'duplicate') duplicates += 1;
      const out = outboundOf(unit, outcome, result.stamped?.[i] ?? null, encoded);
      rows += unit.ops.length;
      for (const op of unit.ops) if (op.op === 'event' && op.finalize !== undefined) finalized = true;
      if (out.length > 0) deliveries.push(unit.receivedAt === undefined ? { out } : { out, receivedAt: unit.receivedAt });
      this.stages.end('commit', commitStart);
    }
    this.rowsVersion += 1;
    this.health.landed();
    const seconds = (this.deps.clock.elapsed() - started) / 1000;
    this.batching.commits += 1;
    this.batching.units += units.length;
    this.batching.rows += rows;
    this.batching.maxUnits = Math.max(this.batching.maxUnits, units.length);
    this.batching.commitMs += seconds * 1000;
    this.deps.metrics.writerBatch(units.length, seconds);
    this.counters.refresh();
    const stats = this.stats();
    // The `to_front` stage starts here: the front ends it when the deliveries arrive.
    const sentAt = this.stages.mark();
    for (const d of deliveries) d.sentAt = sentAt;
    this.deps.toFront({ type: 'deliver', input: { deliveries, stats } }, encoded);
    if (joined.length > 0) this.deps.onTransfersCommitted?.(joined);
    if (duplicates > 0) this.refusals.staleActors(duplicates);
    if (finalized) this.forwarder?.kick();
    // Upkeep after the acks have left, never before them (store-upkeep.ts).
    if (this.batching.commits % TRIM_EVERY_COMMITS === 0) this.trimQuietly();
    this.upkeep.afterCommit(rows);
  }

  /** Trimming frees space; when the store refuses even that, it waits for the next round. */
  private trimQuietly(): void {
    whenSettled(
      this.deps.store.trimEvents(this.deps.config.HUB_EVENT_RETENTION),
      () => undefined,
      (error) => {
        if (this.deps.store.classifyError(error) === 'fatal') throw error;
        this.deps.log.warn({ cause: causeOf(error) }, 'event-log trimming refused by the store');
      },
    );
  }

  /**
   * A newer takeover (or its node turned standby) demoted this writer. On a primary cut off from its
   * standby, the commit in the store — the units' or the term's own heartbeat or forward claim — waits for
   * an acknowledgement that cannot come (the standby was promoted) until the store's query timeout, holding
   * the lane, its terminals' writes and the forwarder's stop all that time. The store gives the call up at
   * once (`abandon`; whatever call is on its connection, a read included, which then fails retryably);
   * commit-refusals.ts refuses a given-up commit's units as in doubt.
   */
  private giveUpCommit(): void {
    if (this.deps.store.abandon === undefined) return;
    const flight = this.inFlight;
    if (flight !== null) flight.givenUp = true;
    if (!this.deps.store.abandon() && flight !== null) flight.givenUp = false;
  }

  /** Admin writes are the leader's: a follower refuses them NOT_LEADER (the store is the leader's to change). */
  private mustLead(what: string): void {
    if (this.role.writes) return;
    throw new HubError('NOT_LEADER', `${what} refused: this hub is a follower; run it on the leader`, { retryable: true });
  }

  // ---- what arrives ----

  get generation(): number {
    return this.generationNo;
  }

  /** Whether this writer follows a replicated store's leader (commits nothing). */
  get following(): boolean {
    return !this.role.writes;
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
      this.refusals.notLeader(units);
      return;
    }
    if (generation !== undefined && generation < this.generationNo) {
      this.refusals.storage(units, 'the shard is reloading after a failed commit');
      return;
    }
    const at = this.stages.mark();
    const { batch } = this;
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
        batch.units.push(queued);
        continue;
      }
      const other = this.held.get(unit.join.txId);
      if (!other) {
        this.held.set(unit.join.txId, queued);
        continue;
      }
      // Adjacent in the batch, so in the same transaction; dest first, so ORDER_TRANSFERRED goes out last.
      this.held.delete(unit.join.txId);
      batch.units.push(...(unit.join.part === 'dest' ? [queued, other] : [other, queued]));
      batch.joined.push(unit.join.txId);
    }
    this.commitSoon();
  }

  /** One evicted actor's rows, behind the units its shard already sent (seed-loads.ts). */
  loadKey(key: ActorKey, answer: (seed: KeySeed) => void): void {
    this.loads.loadKey(key, answer);
  }

  /** A shard's rows (all, or the grant holders'), behind the units it already sent (seed-loads.ts). */
  loadSeed(shard: number, shards: number, scope: 'all' | 'grants' = 'all'): ShardSeed | Promise<ShardSeed> {
    return this.loads.loadSeed(shard, shards, scope);
  }

  // ---- pruning ----

  /** The scheduled pruning's pass, now (writer-prune.ts): after everything queued is committed. */
  pruneNow(): PruneSummary | Promise<PruneSummary> {
    return this.pruning.pruneNow();
  }

  // ---- notices and counters ----

  /** The counters every delivery carries to /health and HUB_STATUS (writer-counters.ts). */
  stats(): WriterStats {
    return this.counters.stats();
  }

  /** Fresh counters (and the stored last Odoo sync), read after everything queued is committed. */
  private freshStats(force: boolean): WriterStats | Promise<WriterStats> {
    return this.afterCommits(() => this.counters.readFresh(), force);
  }

  /** The front's requests, answered here (the worker serves them; in-process tests call `request`). */
  readonly handlers: RequestHandlers<FrontToWriter> = {
    sync: (input) => this.syncAnswers(this.deps.clock.now(), input),
    // Home keys only (not contents()): a promotion reads them again and must not read every snapshot.
    routes: () => this.afterCommits(() => thenSettled(this.deps.store.homesOf(null), (homes) => [...homes]), false),
    state: () => this.stateView(),
    reset: () =>
      this.afterCommits(() => {
        this.mustLead('reset');
        // A transfer half-way through a reset never completes: its shards were quiesced and reloaded.
        this.held.clear();
        return thenSettled(this.deps.store.reset(), () => {
          this.rowsVersion += 1;
          return thenSettled(this.deps.store.tallies(), (t) => {
            this.counters.set(t);
            return this.stats();
          });
        });
      }, true),
    collect_metrics: async () => (await this.deps.snapshotMetrics?.()) ?? [],
    flush: () => this.freshStats(true),
    device_claim: (input) => this.devices.claim(input),
    device_seen: (input) => (this.role.writes ? this.devices.seen(input) : 0),
    device_release: ({ deviceId }) => {
      this.mustLead('device release');
      return this.devices.release(deviceId);
    },
    take_over: ({ node }) => {
      // A follower's store calls are its tail's ticks and sync reads, and the tick's mark is a synchronous
      // commit: on the old primary, cut off from the standby this hub's node was promoted from, it hangs
      // until the query timeout, and the takeover would wait behind it on the lane. Give it up: the tail
      // retries (its mark moves only with a delivery; the catch-up starts from it), and a sync read caught
      // in it fails like any store error (its terminal signs in again).
      if (!this.role.writes) this.deps.store.abandon?.();
      // After every commit queued under the previous role (a follower has none).
      return this.afterCommits(
        () =>
          thenSettled(this.deps.store.takeOver(node, this.deps.clock.now()), (epoch) => {
            // Actor memory loaded before this takeover may miss the previous leader's writes: units built on it are refused.
            this.generationNo += 1;
            this.rowsVersion += 1;
            this.role.lead(epoch);
            // A follower's tail catches the shards up (the hub hands them `catchUp`); without one they reload.
            return thenSettled(this.tail?.catchUp() ?? settledPromise(() => null), (catchUp) => {
              if (catchUp === null) this.deps.onRollback?.(this.generationNo);
              const how = catchUp === null ? 'full reload' : { events: catchUp.events, keys: catchUp.keys.length, grants: catchUp.seeds.length };
              this.deps.log.warn({ epoch, node, catchUp: how }, 'took over: committing under the new epoch');
              return { epoch, generation: this.generationNo, catchUp };
            });
          }),
        true,
      );
    },
    demote: async ({ leader }) => {
      // Nothing queued is committed any more: it is refused, and the shards reload before they lead again.
      const queued = this.batch.units.map((q) => q.unit);
      const held = [...this.held.values()].map((q) => q.unit);
      this.batch.units.length = 0;
      this.batch.joined.length = 0;
      this.held.clear();
      const following = this.role.follow(leader);
      // Before waiting for the forwarder: its last claim may sit in the lane behind the hung commit.
      this.giveUpCommit();
      await following;
      this.generationNo += 1;
      this.deps.onRollback?.(this.generationNo);
      this.refusals.notLeader([...queued, ...held]);
      return null;
    },
    stop: () => {
      this.commit();
      // Nothing that arrives after this is stored: the hub is shutting down.
      this.stopped = true;
      this.tail?.stop();
      this.term.stopHeartbeat();
      return this.afterCommits(async () => {
        this.health.stop();
        await this.forwarder?.stop();
        await this.deps.store.close();
        this.lane.halt();
        return { ...this.batching };
      }, true);
    },
  };

  /** One request in-process, typed by the contract as over the thread. */
  async request<K extends RequestType<FrontToWriter>>(type: K, ...input: InputArgs<InputOf<FrontToWriter, K>>): Promise<ResultOf<FrontToWriter, K>> {
    const handler = this.handlers[type] as (input: InputOf<FrontToWriter, K>) => ResultOf<FrontToWriter, K> | Promise<ResultOf<FrontToWriter, K>>;
    return handler(input[0] as InputOf<FrontToWriter, K>);
  }
}
