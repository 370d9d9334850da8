/**
 * A follower hub's tail of the replicated store (issue 18 item 3, docs/ha.md "Follower hubs"). Every
 * HUB_FOLLOWER_TAIL_MS it moves the store's high-water mark with a synchronous write of its own
 * (`refreshMark`: every seq at or below it is on the standby, so nothing unacknowledged is served), hands the
 * events up to it to the front as broadcasts, in seq order, once each, and tells the shards which actors they
 * touched (dropped: they load from the store on demand). At promotion `catchUp` reads only what came after its
 * mark and re-reads the actors holding grants, so the hub need not rebuild every actor from the store; when
 * that is not provably complete (the tail never ran, fell behind the event log's floor, or the read failed)
 * it answers null and the hub reloads everything, as before.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { Clock, TimerHandle } from '#ports/clock.js';
import type { HubStorePort, StoredEvent } from '#ports/store.js';
import { causeOf } from '#protocol/errors.js';
import type { TailRefreshData } from '#threads/contract.js';
import type { ActorKey } from '#threads/keys.js';
import type { KeySeed } from '#threads/seed.js';
import { seedOfKey } from './port-seeds.js';
import { touchedBy } from './tail-keys.js';

/** Actors whose memory may be older than the store (the thread contract's shape). */
export type TailRefresh = TailRefreshData;

/** What a promoted hub's shards take instead of a full reload. */
export interface CatchUp extends TailRefresh {
  /** Every actor holding a stored lease or lock, re-read now: the shards grant each at least now + TTL. */
  readonly seeds: readonly KeySeed[];
  readonly events: number;
}

export interface TailCounters {
  ticks: number;
  events: number;
  refreshedKeys: number;
  skippedRanges: number;
  catchUps: number;
  fullReloads: number;
}

/** What the tail reads of the store port. */
export type TailStore = Pick<HubStorePort, 'highWaterMark' | 'refreshMark' | 'readEvents' | 'homesOf' | 'grantKeys' | 'seedOf'>;

export interface ReplicaTailDeps {
  readonly store: TailStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly intervalMs: number;
  /** Most events read at once (HUB_EVENT_RETENTION): a tail further behind skips and its terminals resync. */
  readonly limit: number;
  /** Whether the writer follows now (a leader's commits deliver their own events). */
  readonly following: () => boolean;
  /** Run `work` alone on the writer's lane: no sync answer is read between a mark and its delivery. */
  readonly onLane: <T>(work: () => Promise<T>) => Promise<T>;
  /** Broadcast these stored events (each carries its seq), in order; the mark is the store's by then. */
  readonly deliver: (events: readonly StoredEvent[]) => void;
  readonly refresh: (refresh: TailRefresh) => void;
}

export class ReplicaTail {
  /** The last seq handed to the front (or committed by this hub while it led). */
  private mark: number;
  private timer: TimerHandle | null = null;
  /** This hub led since the last step: its commits delivered their own events. */
  private led = false;
  private stopped = false;
  /**
   * Set while reads fail, so a store that is away logs once, not once per tick. A failed step moved nothing
   * (the mark moves only with its delivery), so a promotion after one still catches up from the mark.
   */
  private failing = false;
  readonly counters: TailCounters = { ticks: 0, events: 0, refreshedKeys: 0, skippedRanges: 0, catchUps: 0, fullReloads: 0 };

  constructor(private readonly deps: ReplicaTailDeps) {
    // The shards load after the store opened: events from here on may be newer than their memory, none older.
    this.mark = deps.store.highWaterMark();
  }

  get delivered(): number {
    return this.mark;
  }

  start(): void {
    if (this.stopped || this.timer !== null) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      void this.tick().finally(() => this.start());
    }, this.deps.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** One step; exposed for simulated-clock tests. Never rejects: a failed read is retried next tick. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    if (!this.deps.following()) {
      this.led = true;
      return;
    }
    this.counters.ticks += 1;
    try {
      await this.deps.onLane(() => this.advance());
      if (this.failing) this.deps.log.info({ mark: this.mark }, 'follower tail reads the store again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.deps.log.warn({ cause: causeOf(error), mark: this.mark }, 'follower tail cannot read the store; retrying every tick');
      this.failing = true;
    }
  }

  private async advance(): Promise<void> {
    // Promoted while this waited for the lane: the takeover's catch-up delivered what there was.
    if (!this.deps.following()) return;
    const { store } = this.deps;
    // A leader's own commits were delivered as they returned, up to the store's mark (read before it moves).
    if (this.led) this.mark = Math.max(this.mark, store.highWaterMark());
    this.led = false;
    const mark = await store.refreshMark();
    if (mark <= this.mark) return;
    const events = await store.readEvents(this.mark, this.deps.limit);
    if (events === null) {
      // Pruned past our mark, or more than the resume window: its terminals see the seq jump (HUB_STATUS or
      // the next event) and resync; which actors changed is unknown, so every shard drops all of its own.
      this.deps.log.warn({ from: this.mark, to: mark }, 'follower tail fell behind the event log; terminals resync, actors reload on demand');
      this.counters.skippedRanges += 1;
      this.mark = mark;
      this.deps.refresh({ keys: [], posReferences: [], all: true });
      return;
    }
    const refresh = await this.refreshOf(events);
    this.deps.deliver(events);
    this.mark = mark;
    this.counters.events += events.length;
    this.counters.refreshedKeys += refresh.keys.length;
    if (refresh.keys.length > 0 || refresh.posReferences.length > 0) this.deps.refresh(refresh);
  }

  private async refreshOf(events: readonly StoredEvent[]): Promise<TailRefresh> {
    const touched = touchedBy(events);
    const homes = touched.posReferences.length === 0 ? [] : await this.deps.store.homesOf(touched.posReferences);
    const keys = new Set<ActorKey>(touched.tableKeys);
    for (const [, key] of homes) keys.add(key);
    return { keys: [...keys], posReferences: touched.posReferences };
  }

  /**
   * Called by the takeover, on the lane, after the store recorded the new epoch (whose synchronous commit
   * made every earlier commit durable and moved the mark over them): deliver what came after the tail's mark
   * and name what the shards must refresh. Null: reload everything (the reason is logged).
   */
  async catchUp(): Promise<CatchUp | null> {
    const { store, log } = this.deps;
    this.led = true;
    const fullReload = (reason: string, extra: Record<string, unknown> = {}): null => {
      this.counters.fullReloads += 1;
      log.warn({ reason, mark: this.mark, ...extra }, 'promotion reloads every actor from the store');
      this.mark = store.highWaterMark();
      return null;
    };
    try {
      const events = await store.readEvents(this.mark, this.deps.limit);
      if (events === null) return fullReload('the tail fell behind the event log floor (or more than HUB_EVENT_RETENTION events are due)');
      const refresh = await this.refreshOf(events);
      // Grants change without events (a grant, a forced takeover, a renewal's row): re-read every holder.
      const seeds: KeySeed[] = [];
      for (const key of await store.grantKeys()) seeds.push(seedOfKey(key, await store.seedOf(key)));
      this.deps.deliver(events);
      this.mark = store.highWaterMark();
      this.counters.catchUps += 1;
      this.counters.events += events.length;
      return { ...refresh, seeds, events: events.length };
    } catch (error) {
      return fullReload('the catch-up read failed', { cause: causeOf(error) });
    }
  }
}
