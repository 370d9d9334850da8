/**
 * A shard: the table actors whose keys hash here, the expiry timer that ticks them, and the batch of
 * Units they produced this turn, handed to the writer in one message. The same class runs inside the
 * shard worker and in-process (unit tests); only the `sink` differs. It also hosts this shard's side of
 * ORDER_TRANSFER: relaying transfer steps to other actors and fencing actors until the writer commits.
 * With `loadKey`, actors are also dropped when idle (no lease, lock or open order) and rebuilt from
 * SQLite on demand: inputs for a key not in memory wait, in order, until the writer sends its rows.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { MonotonicClock, TimerHandle } from '#ports/clock.js';
import { stageTimer, type HubMetrics, type StageTimer } from '#ports/metrics.js';
import { graceOnLoad, holdsGrant, isIdle, nextDeadline, renewalWindowMs, type TableEnv, type TableSeed } from '../../actors/table/context.js';
import { ActorStepError, startTableActor, type TableActor } from '../../actors/table/table.machine.js';
import type { StepResult, TableEvent } from '../../actors/table/table-logic.js';
import type { ActorKey, Relay, Unit, UnitOrigin } from '#threads/actor-io.js';
import type { ShardInput, TailRefreshData } from '#threads/contract.js';
import type { KeySeed, ShardSeed } from '#threads/seed.js';
import { DeadlineIndex } from './deadline-index.js';
import { GrantTime } from './grant-time.js';
import { KeyLoads } from './key-loads.js';
import { busyRefusal, failureAnswer, originOf, type ActorInput } from './step-failures.js';
import { TransferFences } from './transfer-fences.js';

export interface ShardHostDeps {
  readonly index: number;
  readonly env: TableEnv;
  /** Wall clock for what leaves the shard, monotonic reading for TTLs (see grant-time.ts). */
  readonly clock: MonotonicClock;
  readonly metrics: HubMetrics;
  readonly log: Logger;
  /** Receives every turn's units, in order, as one batch. */
  readonly sink: (units: Unit[]) => void;
  /** Receives every turn's transfer steps for other actors (the front routes them by key). */
  readonly relay?: (relays: Relay[]) => void;
  /** Ask the writer for one key's rows (answered with `loaded`). Without it every actor is seeded by `load`. */
  readonly loadKey?: (key: ActorKey) => void;
  /** With loadKey: an idle actor unused this long is dropped from memory (HUB_ACTOR_IDLE_MS). */
  readonly evictAfterMs?: number;
  /** Per-stage latency (to_shard, actor_step; stamps units' sentAt); defaults to one recording into `metrics`. */
  readonly stages?: StageTimer;
}

export class ShardHost {
  private readonly actors = new Map<ActorKey, TableActor>();
  private seeds = new Map<ActorKey, TableSeed>();
  private pending: Unit[] = [];
  /** The origin of each pending unit that has none of its own (same index), added as the unit is flushed. */
  private origins: (UnitOrigin | undefined)[] = [];
  private timer: TimerHandle | null = null;
  private timerAt: number | null = null;
  private relays: Relay[] = [];
  private readonly fences = new TransferFences<ActorInput>();
  private nextTransfer = 0;
  private readonly time: GrantTime;
  /** Keys whose rows were asked of the writer, with the inputs that wait for them in arrival order. */
  private readonly loading: KeyLoads<ActorInput>;
  /** When each actor last handled an input (idle eviction). */
  private readonly lastUsed = new Map<ActorKey, number>();
  private sweepTimer: TimerHandle | null = null;
  /** Actors dropped while idle since start (metrics and tests). */
  evicted = 0;
  /** Each actor's next expiry, updated for the actors sent an event (`touched`) rather than scanned for all. */
  private readonly deadlines = new DeadlineIndex();
  private readonly touched = new Set<ActorKey>();
  private readonly stages: StageTimer;
  /**
   * The writer follows (a replicated store's follower hub): its actors are a cache of the leader's rows and
   * must not act on time — an expiry or a renewal write would be refused NOT_LEADER and leave memory behind
   * the store — so no timer runs and presence changes nothing until a promotion (`catchUp`) or a load says so.
   */
  private following = false;

  constructor(private readonly deps: ShardHostDeps) {
    this.time = new GrantTime(deps.clock);
    this.loading = new KeyLoads((key) => deps.loadKey?.(key));
    this.stages = deps.stages ?? stageTimer(deps.metrics);
  }

  get actorCount(): number {
    return this.actors.size;
  }

  /**
   * Replace all memory with the persisted rows (start and reset). Actors are rebuilt lazily. Inputs that
   * waited for a key's rows never reached an actor: they are run again on the new memory (asking for their
   * rows afresh), not dropped — a dropped input is a terminal that never hears back.
   */
  load(seed: ShardSeed, following = false): void {
    this.following = following;
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
    this.lastUsed.clear();
    const waiting = this.loading.reset();
    this.fences.clear();
    this.deadlines.clear();
    this.touched.clear();
    this.relays = [];
    // Stored expiries are wall-clock epoch ms; actors run on shard time (grant-time.ts). Every stored grant
    // is live until at least now + its TTL (graceOnLoad): renewals are not committed one by one.
    const loadedAt = this.time.now();
    const seeds = new Map<ActorKey, TableSeed>();
    for (const actor of seed) seeds.set(actor.key, graceOnLoad(this.time.seedFromWall(actor), loadedAt, this.deps.env.timings));
    this.seeds = seeds;
    // Actors holding grants must exist now so their expiry ticks run even if nobody writes to them.
    for (const [key, p] of seeds) if ((p.leases?.length ?? 0) > 0 || (p.lock ?? null) !== null) this.actor(key);
    this.reschedule();
    this.scheduleSweep();
    if (waiting.length > 0) this.runAgain(waiting);
  }

  /** Inputs that never reached an actor, in order, on the memory now in place. */
  private runAgain(inputs: readonly ActorInput[]): void {
    const now = this.time.now();
    for (const m of inputs) {
      this.route(m, now);
      this.drainFences();
    }
    this.flush();
  }

  /**
   * A follower's tail read the leader's events: drop the actors they touched (by key, or holding one of the
   * orders; `all`: every one). They load from the store when next used. Returns how many were dropped.
   * Ignored once leading: a notice that crossed the promotion must not drop a grant holder whose timer runs.
   */
  refresh(refresh: TailRefreshData): number {
    if (!this.following) return 0;
    const keys = new Set(refresh.keys);
    const holds = (posReferences: Iterable<string>): boolean => {
      for (const p of posReferences) if (refresh.posReferences.includes(p)) return true;
      return false;
    };
    let dropped = 0;
    for (const [key, actor] of this.actors) {
      if (refresh.all !== true && !keys.has(key) && !holds(actor.getSnapshot().context.table.orders.keys())) continue;
      this.drop(key);
      dropped += 1;
    }
    for (const [key, seed] of this.seeds) {
      if (refresh.all === true || keys.has(key) || holds((seed.orders ?? []).map((o) => o.posReference))) this.seeds.delete(key);
    }
    if (dropped > 0) this.deps.metrics.actors(this.deps.index, this.actors.size);
    return dropped;
  }

  /**
   * Promotion without a reload: `refresh` as above, then every grant holder from `seeds` (re-read at the
   * takeover) rebuilt and granted at least now + its TTL (graceOnLoad, as a load does: the promise a renewal
   * made on the old leader is kept), and any other actor still holding a grant in memory dropped (the store
   * has none for it). Timers run from here on.
   */
  catchUp(refresh: TailRefreshData, seeds: ShardSeed): void {
    this.refresh(refresh);
    this.following = false;
    const loadedAt = this.time.now();
    const granted = new Set<ActorKey>();
    for (const seed of seeds) {
      granted.add(seed.key);
      if (this.actors.has(seed.key)) this.drop(seed.key);
      this.seeds.set(seed.key, graceOnLoad(this.time.seedFromWall(seed), loadedAt, this.deps.env.timings));
      this.actor(seed.key);
    }
    for (const [key, actor] of this.actors) {
      if (granted.has(key)) continue;
      const table = actor.getSnapshot().context.table;
      if (table.lock !== null || [...table.orders.values()].some((o) => o.lease !== null)) this.drop(key);
    }
    this.deps.metrics.actors(this.deps.index, this.actors.size);
    this.reschedule();
    this.scheduleSweep();
  }

  private drop(key: ActorKey): void {
    this.actors.get(key)?.stop();
    this.actors.delete(key);
    this.lastUsed.delete(key);
    this.deadlines.delete(key);
    this.touched.delete(key);
  }

  /** The writer's rows for a key asked by loadKey: build the actor and run what waited for it. */
  loaded(key: ActorKey, rows: KeySeed): void {
    const waiting = this.loading.answered(key);
    // Not asked, or asked before a load replaced memory: the rows may be stale; ignore them.
    if (waiting === null) return;
    if (!this.actors.has(key)) this.seeds.set(key, this.time.seedFromWall(rows));
    // The actors' time, as every other input gets (grant-time.ts), not the wall clock.
    const now = this.time.now();
    for (const m of waiting) {
      this.route(m, now);
      this.drainFences();
    }
    this.flush();
  }

  private scheduleSweep(): void {
    const after = this.deps.evictAfterMs;
    if (this.deps.loadKey === undefined || after === undefined || this.sweepTimer !== null) return;
    this.sweepTimer = this.deps.clock.setTimeout(
      () => {
        this.sweepTimer = null;
        this.evictIdle();
        this.scheduleSweep();
      },
      Math.max(500, Math.floor(after / 2)),
    );
  }

  /** Drop actors unused for evictAfterMs that hold nothing memory-only; exposed for simulated-clock tests. */
  evictIdle(): number {
    const after = this.deps.evictAfterMs;
    if (this.deps.loadKey === undefined || after === undefined) return 0;
    const now = this.deps.clock.now();
    let dropped = 0;
    for (const [key, actor] of this.actors) {
      if (now - (this.lastUsed.get(key) ?? 0) < after || this.fences.isBlocked(key)) continue;
      if (!isIdle(actor.getSnapshot().context.table)) continue;
      actor.stop();
      this.actors.delete(key);
      this.lastUsed.delete(key);
      this.deadlines.delete(key);
      this.touched.delete(key);
      dropped += 1;
    }
    if (dropped > 0) {
      this.evicted += dropped;
      this.deps.metrics.actors(this.deps.index, this.actors.size);
    }
    return dropped;
  }

  private actor(key: ActorKey): TableActor {
    let actor = this.actors.get(key);
    if (actor) return actor;
    const stored = this.seeds.get(key);
    this.seeds.delete(key);
    const seed: TableSeed = stored ?? { key };
    actor = startTableActor({ seed, env: this.deps.env }, (result) => this.collect(result));
    this.actors.set(key, actor);
    // A seed may carry grants: its expiry joins the index at the next reschedule.
    this.touched.add(key);
    this.deps.metrics.actors(this.deps.index, this.actors.size);
    return actor;
  }

  private collect(result: StepResult): void {
    if (result.unit) this.pending.push(this.time.toWall(result.unit));
    if (result.relays && result.relays.length > 0) this.relays.push(...result.relays);
    if (result.fence) this.fences.change(result.context.key, result.fence);
    for (const d of result.leaseDecisions) this.deps.metrics.leaseDecision(d);
    for (const d of result.lockDecisions) this.deps.metrics.lockDecision(d);
  }

  /** One batch from the front: every message, then one flush to the writer. */
  handleBatch(messages: readonly ShardInput[]): void {
    const now = this.time.now();
    // to_shard ends when the batch arrives (one reading for the batch: its inputs crossed together).
    const arrived = this.stages.mark();
    for (const m of messages) {
      switch (m.type) {
        case 'terminal':
        case 'transfer':
          if (m.input.sentAt !== undefined) this.deps.metrics.writeStage('to_shard', Math.max(0, arrived - m.input.sentAt) / 1000);
          this.route(m, now);
          this.drainFences();
          break;
        case 'relay':
          this.route(m, now);
          this.drainFences();
          break;
        case 'connected':
        case 'disconnected':
          this.presence({ type: m.type, now, terminalId: m.input.terminalId });
          break;
        default: {
          const unreachable: never = m;
          throw new Error(`unknown shard input ${JSON.stringify(unreachable)}`);
        }
      }
    }
    this.flush();
  }

  /** An actor's input, unless a transfer fences that actor: then it waits, in arrival order. */
  private route(m: ActorInput, now: number): void {
    if (this.deps.loadKey !== undefined && !this.actors.has(m.input.key) && !this.seeds.has(m.input.key)) {
      this.loading.wait(m.input.key, m);
      return;
    }
    if (m.type === 'relay') {
      // Steps of a transfer in flight are never deferred; only a new transfer's prepare may wait.
      if (m.input.event.type === 'transfer_prepare') {
        const verdict = this.fences.prepareVerdict(m.input.key, m.input.event.req.txId);
        if (verdict === 'defer') return this.fences.defer(m.input.key, m);
        if (verdict === 'refuse') return void this.relays.push(busyRefusal(m.input.key, m.input.event.req));
      }
      return this.run(m, now);
    }
    if (this.fences.isBlocked(m.input.key)) return this.fences.defer(m.input.key, m);
    this.run(m, now);
  }

  private run(m: ActorInput, now: number): void {
    const before = this.pending.length;
    try {
      if (m.type === 'relay') this.dispatch(m, now);
      else {
        const started = this.stages.mark();
        this.dispatch(m, now);
        this.stages.end('actor_step', started);
      }
    } catch (error) {
      if (!(error instanceof ActorStepError)) throw error;
      this.stepFailed(m, error);
      return;
    }
    if (this.pending.length === before) return;
    // The actor steps synchronously: units added now are this input's; tag who to tell if the disk refuses them.
    const origin = originOf(m);
    for (let i = before; i < this.pending.length; i++) this.origins[i] = origin;
  }

  private dispatch(m: ActorInput, now: number): void {
    this.lastUsed.set(m.input.key, now);
    this.touched.add(m.input.key);
    switch (m.type) {
      case 'terminal':
        this.actor(m.input.key).send({ type: 'terminal', now, from: m.input.from, msg: m.input.msg, receivedAt: m.input.receivedAt });
        return;
      case 'transfer': {
        const txId = `${this.deps.index}.${++this.nextTransfer}`;
        const req = { txId, from: m.input.from, msg: m.input.msg, fromKey: m.input.key, toKey: m.input.toKey, receivedAt: m.input.receivedAt };
        this.actor(m.input.key).send({ type: 'transfer_begin', now, req });
        return;
      }
      case 'relay':
        this.actor(m.input.key).send({ ...m.input.event, now });
        return;
      default: {
        const unreachable: never = m;
        throw new Error(`unknown actor input ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * An actor's step threw on `m` (step-failures.ts): its sender is told INTERNAL, nothing it asked is
   * applied, and the actor is dropped so its next input rebuilds it from the store. What earlier inputs
   * produced goes to the writer first, so the rebuild (a load queued behind it) includes it. A fenced
   * actor or a transfer step under way cannot be contained: rethrown, as before (the shard ends).
   */
  private stepFailed(m: ActorInput, error: ActorStepError): void {
    const key = m.input.key;
    const answer = failureAnswer(m);
    if (answer === null || this.fences.isBlocked(key) || this.deps.loadKey === undefined) throw error;
    this.deps.log.error({ err: error, key, input: m.type === 'relay' ? m.input.event.type : m.type, ref: originOf(m).ref }, 'a table actor failed on an input: refused INTERNAL; the actor is rebuilt from the store');
    this.deps.metrics.quarantined('input');
    this.dropActor(key);
    if ('unit' in answer) this.pending.push(answer.unit);
    else this.relays.push(answer.relay);
    this.flush();
  }

  /** Forget an actor whose state is no longer trusted; its next input loads it from the store. */
  private dropActor(key: ActorKey): void {
    this.actors.get(key)?.stop();
    this.actors.delete(key);
    this.seeds.delete(key);
    this.lastUsed.delete(key);
    this.deadlines.delete(key);
    this.touched.delete(key);
    this.deps.metrics.actors(this.deps.index, this.actors.size);
  }

  /** Run the inputs that waited behind fences that have lifted. */
  private drainFences(): void {
    for (let next = this.fences.next(); next !== null; next = this.fences.next()) this.run(next.input, this.time.now());
  }

  /** The writer committed these transfers: lift their fences and run what waited. */
  committed(txIds: readonly string[]): void {
    this.fences.committed(txIds);
    this.drainFences();
    this.flush();
  }

  /**
   * A terminal's socket came or went: only the actors where it holds a lease or the lock have anything to
   * change (presence-expiry.ts), so only they get the event — not every actor of the shard on every connect.
   */
  private presence(event: Extract<TableEvent, { type: 'connected' | 'disconnected' }>): void {
    if (this.following) return;
    for (const [key, actor] of this.actors) {
      if (!holdsGrant(actor.getSnapshot().context.table, event.terminalId)) continue;
      if (this.sendContained(key, actor, event)) this.touched.add(key);
    }
  }

  /** Expire what is due and write the renewals due soon; exposed so in-process tests can tick a simulated clock. */
  tick(): void {
    this.timer = null;
    this.timerAt = null;
    const now = this.time.now();
    // Actors due a little later are ticked now too, so their stored renewals share this commit.
    const renewBy = now + renewalWindowMs(this.deps.env.timings);
    this.indexTouched();
    for (const key of this.deadlines.takeDue(renewBy)) {
      const actor = this.actors.get(key);
      if (actor === undefined) continue;
      if (this.sendContained(key, actor, { type: 'tick', now, renewBy })) this.touched.add(key);
    }
    this.flush();
  }

  /**
   * An event nobody sent (a tick, a presence change): a step that throws drops the actor (rebuilt from the
   * store at its next input) instead of ending the shard. False when it did.
   */
  private sendContained(key: ActorKey, actor: TableActor, event: TableEvent): boolean {
    try {
      actor.send(event);
      return true;
    } catch (error) {
      if (!(error instanceof ActorStepError) || this.deps.loadKey === undefined || this.fences.isBlocked(key)) throw error;
      this.deps.log.error({ err: error, key, input: event.type }, 'a table actor failed on a timer or presence event; it is rebuilt from the store at its next input');
      this.deps.metrics.quarantined('input');
      this.dropActor(key);
      return false;
    }
  }

  /** Re-read the next expiry of every actor sent an event since the last look. */
  private indexTouched(): void {
    for (const key of this.touched) {
      const actor = this.actors.get(key);
      this.deadlines.set(key, actor === undefined ? null : nextDeadline(actor.getSnapshot().context.table, this.deps.env.timings));
    }
    this.touched.clear();
  }

  private flush(): void {
    if (this.pending.length > 0) {
      // to_writer starts here; the writer ends it.
      const sentAt = this.stages.mark();
      const { origins } = this;
      // One copy per unit: its origin (unless it carries one) and the stamp.
      const units = this.pending.map((unit, i) => {
        const origin = unit.origin ?? origins[i];
        return origin === undefined ? { ...unit, sentAt } : { ...unit, origin, sentAt };
      });
      this.pending = [];
      this.origins = [];
      this.deps.sink(units);
    }
    if (this.relays.length > 0) {
      const relays = this.relays;
      this.relays = [];
      this.deps.relay?.(relays);
    }
    this.reschedule();
  }

  private reschedule(): void {
    this.indexTouched();
    const next = this.following ? null : this.deadlines.earliest();
    if (next === this.timerAt) return;
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = next;
    if (next === null) return;
    // +1 ms: a grant is live while expiresAt > now, so tick just after it lapses.
    this.timer = this.deps.clock.setTimeout(() => this.tick(), Math.max(0, next - this.time.now() + 1));
  }

  stop(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = null;
    if (this.sweepTimer !== null) this.deps.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
    this.lastUsed.clear();
    this.loading.clear();
    this.fences.clear();
    this.deadlines.clear();
    this.touched.clear();
    this.relays = [];
  }
}
