/**
 * The writer's pruning of the store: closed orders and old events by count and bytes
 * (HUB_CLOSED_ORDERS_RETAINED, HUB_ORDERS_MAX_BYTES, HUB_EVENT_RETENTION, HUB_EVENTS_MAX_BYTES), on demand
 * and every HUB_PRUNE_INTERVAL_MS — on the leader (or a standalone hub) only, since pruning writes. Split
 * from writer-core.ts; the core runs it behind every queued commit.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { Config } from '#config';
import { settledPromise, thenSettled, whenSettled } from '#ports/settled.js';
import type { HubStorePort } from '#ports/store.js';
import type { WriterClock } from './writer-deps.js';

export interface PruneSummary {
  readonly orders: number;
  readonly events: number;
  readonly resumeFloor: number;
}

export interface WriterPruningDeps {
  readonly store: HubStorePort;
  readonly config: Config;
  readonly clock: WriterClock;
  readonly log: Logger;
  /** Run `work` after every unit queued so far is committed (`force`: now). */
  afterCommits<T>(work: () => T | Promise<T>, force: boolean): T | Promise<T>;
  /** Whether this writer may write the store now (not a follower). */
  readonly writes: () => boolean;
  readonly stopped: () => boolean;
  /** Orders pruned: the front forgets their routes. */
  readonly onOrdersPruned: (posReferences: readonly string[]) => void;
}

export class WriterPruning {
  constructor(private readonly deps: WriterPruningDeps) {}

  /** The first scheduled pass, HUB_PRUNE_INTERVAL_MS from now. */
  schedule(): void {
    this.deps.clock.setTimeout(() => this.scheduledPrune(), this.deps.config.HUB_PRUNE_INTERVAL_MS);
  }

  /**
   * Pending work is committed first so the pass sees every acknowledged write; the front forgets the
   * routes of the orders that went.
   */
  pruneNow(): PruneSummary | Promise<PruneSummary> {
    const { config, store } = this.deps;
    return this.deps.afterCommits(
      () =>
        thenSettled(
          store.prune({
            closedOrders: config.HUB_CLOSED_ORDERS_RETAINED,
            orderBytes: config.HUB_ORDERS_MAX_BYTES,
            retention: config.HUB_EVENT_RETENTION,
            eventBytes: config.HUB_EVENTS_MAX_BYTES,
          }),
          (result) => {
            if (result.orders.length > 0) this.deps.onOrdersPruned(result.orders);
            if (result.orders.length > 0 || result.events > 0) this.deps.log.info({ orders: result.orders.length, events: result.events, resumeFloor: result.resumeFloor }, 'pruned closed orders and old events');
            return { orders: result.orders.length, events: result.events, resumeFloor: result.resumeFloor };
          },
        ),
      true,
    );
  }

  private scheduledPrune(): void {
    if (this.deps.stopped()) return;
    const again = (): void => {
      this.deps.clock.setTimeout(() => this.scheduledPrune(), this.deps.config.HUB_PRUNE_INTERVAL_MS);
    };
    // Pruning writes: only the leader (or a standalone hub) prunes the shared store.
    if (!this.deps.writes()) {
      again();
      return;
    }
    let pruned;
    try {
      pruned = this.pruneNow();
    } catch (error) {
      pruned = settledPromise(() => {
        throw error;
      });
    }
    whenSettled(pruned, again, (error) => {
      this.deps.log.error({ err: error }, 'scheduled pruning failed; retrying next interval');
      again();
    });
  }
}
