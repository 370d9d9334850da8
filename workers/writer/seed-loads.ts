/**
 * The shards' seeds read from the store: one evicted actor's rows, or a shard's share of every row (or of
 * the grant holders'). Each read runs behind the units already queued (same port, FIFO), and a store that
 * is away for a moment (a failover, a lost connection) is asked again every STORAGE_PROBE_MS, since a shard
 * cannot do without its seed. Split from writer-core.ts.
 */
import type { Logger } from '#adapters/log/logger.js';
import { outcomeOf, settledPromise, thenSettled, whenSettled } from '#ports/settled.js';
import type { HubStorePort } from '#ports/store.js';
import { causeOf } from '#protocol/errors.js';
import { shardOf, tableKey, type ActorKey } from '#threads/keys.js';
import type { KeySeed, ShardSeed } from '#threads/seed.js';
import { seedOfKey, seedsOfContents } from './port-seeds.js';
import { STORAGE_PROBE_MS } from './storage-health.js';
import type { WriterClock } from './writer-deps.js';

export interface SeedLoadsDeps {
  readonly store: HubStorePort;
  readonly clock: WriterClock;
  readonly log: Logger;
  /** Run `work` after every unit queued so far is committed (`force`: now). */
  afterCommits<T>(work: () => T | Promise<T>, force: boolean): T | Promise<T>;
  readonly stopped: () => boolean;
}

export class SeedLoads {
  constructor(private readonly deps: SeedLoadsDeps) {}

  /**
   * One evicted actor's rows. Units its shard sent before asking are already queued (same port), so the
   * answer waits for the commit that holds them — the next group commit, not a commit of its own (a
   * forced commit per load cost one fsync per new order).
   */
  loadKey(key: ActorKey, answer: (seed: KeySeed) => void): void {
    const read = this.retryingRead('loading an actor', () =>
      this.deps.afterCommits(() => thenSettled(this.deps.store.seedOf(key), (rows) => seedOfKey(key, rows)), false),
    );
    whenSettled(read, answer, (error) => {
      throw error;
    });
  }

  /**
   * Rows whose actor hashes to `shard`: all of them, or (`grants`) only those of actors holding a lease or
   * a lock, which must tick from the start — a shard that loads the rest on demand starts with no more.
   * Units this shard sent before asking are already queued (same port, FIFO): they are committed first.
   */
  loadSeed(shard: number, shards: number, scope: 'all' | 'grants' = 'all'): ShardSeed | Promise<ShardSeed> {
    return this.retryingRead('loading a shard', () =>
      this.deps.afterCommits(
        () =>
          thenSettled(this.deps.store.contents(), (contents) => {
            const granted = scope === 'all' ? null : new Set<ActorKey>([...contents.leases.map((l) => l.homeKey), ...contents.locks.map((l) => tableKey(l.tableId))]);
            return seedsOfContents(contents, (key) => shardOf(key, shards) === shard && (granted === null || granted.has(key)));
          }),
        true,
      ),
    );
  }

  /**
   * A read a shard cannot do without (its seeds): a store that is away for a moment (a failover, a lost
   * connection) is asked again every STORAGE_PROBE_MS until it answers; anything else is the thread's death.
   */
  private retryingRead<T>(what: string, attempt: () => T | Promise<T>): T | Promise<T> {
    let first: T | Promise<T>;
    try {
      first = attempt();
    } catch (error) {
      first = settledPromise<T>(() => {
        throw error;
      });
    }
    const known = outcomeOf(first);
    if (known?.ok === true) return known.value;
    const retry = (error: unknown): Promise<T> => {
      if (this.deps.stopped() || this.deps.store.classifyError(error) === 'fatal') throw error;
      this.deps.log.warn({ cause: causeOf(error) }, `${what} failed; retrying`);
      return new Promise<void>((resolve) => {
        this.deps.clock.setTimeout(resolve, STORAGE_PROBE_MS);
      }).then(() => this.retryingRead(what, attempt));
    };
    return known === undefined ? (first as Promise<T>).catch(retry) : retry(known.error);
  }
}
