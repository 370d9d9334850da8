/**
 * A shard's reloads from the store, one at a time. A failed commit (`rollback`) must end with the shard's
 * memory reloaded at the writer's newest storage generation: until then the writer refuses its units. So a
 * load that fails (the store away during a failover, a timeout) is retried with a bounded backoff instead of
 * being logged and forgotten (which left the shard refusing every write until the hub restarted), rollbacks
 * that arrive meanwhile fold into the next load, and an answer older than the memory it would replace
 * (a catch-up overtook it) is never applied.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { Clock, TimerHandle } from '#ports/clock.js';

/** What the writer answers a `load` with (the seed left opaque here). */
export interface LoadAnswer {
  readonly generation: number;
}

export interface ReloaderDeps<A extends LoadAnswer> {
  /** Ask the writer for this shard's rows. */
  readonly load: () => Promise<A>;
  /** Replace the shard's memory with an answer (ShardHost.load). */
  readonly apply: (answer: A) => void;
  readonly clock: Clock;
  readonly log: Logger;
  /** Each load's outcome (pos_hub_shard_reloads_total). */
  readonly count?: (outcome: 'ok' | 'failed') => void;
  /** The first retry's delay; doubled per failure up to `maxBackoffMs`. */
  readonly firstBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export const FIRST_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 5_000;

export class ShardReloader<A extends LoadAnswer> {
  /** The storage generation the shard's memory was loaded at; stamped on every unit. */
  private loadedAt = 0;
  /** The newest generation a rollback announced: memory older than this must be reloaded. */
  private wanted = 0;
  /** Loads asked for explicitly (start, the front's reload) since the last one began: the next load serves them. */
  private asked: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private running = false;
  private retryTimer: TimerHandle | null = null;
  /** Failed loads in a row. */
  private failures = 0;
  private stopped = false;

  constructor(private readonly deps: ReloaderDeps<A>) {}

  get generation(): number {
    return this.loadedAt;
  }

  /** Whether memory is behind a rollback (a load is running or waiting to be retried). */
  get behind(): boolean {
    return this.wanted > this.loadedAt;
  }

  /** A commit failed at `generation`: reload unless memory is already at least that new. */
  rollback(generation: number): void {
    if (generation <= this.loadedAt) return;
    this.wanted = Math.max(this.wanted, generation);
    this.kick();
  }

  /**
   * Reload now (start, quiesce, the front's `reload`): resolves when a load begun after this call is
   * applied; rejects if that load fails (a rollback's reload is still retried behind it).
   */
  reload(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.asked.push({ resolve, reject });
      this.kick();
    });
  }

  /** Memory brought to `generation` without a load (a promotion's catch-up): older answers are now stale. */
  caughtUp(generation: number): void {
    this.loadedAt = Math.max(this.loadedAt, generation);
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Start a load unless one is running; an explicit ask skips a pending backoff. */
  private kick(): void {
    if (this.running || this.stopped) return;
    if (this.retryTimer !== null) {
      if (this.asked.length === 0) return;
      this.deps.clock.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    if (this.asked.length === 0 && !this.behind) return;
    this.running = true;
    const served = this.asked;
    this.asked = [];
    this.deps.load().then(
      (answer) => this.succeeded(answer, served),
      (error: unknown) => this.failed(error, served),
    );
  }

  private succeeded(answer: A, served: readonly { resolve: () => void }[]): void {
    this.running = false;
    if (this.stopped) {
      // The shard stopped while this load was on its way: memory stays empty (no timers restarted).
      for (const s of served) s.resolve();
      return;
    }
    const forRollback = this.behind;
    // A catch-up moved memory past this answer while it was on its way: applying it would go back.
    if (answer.generation >= this.loadedAt) {
      // First: what apply runs again (inputs that waited for a key's rows) is stamped with the new generation.
      this.loadedAt = answer.generation;
      this.deps.apply(answer);
    }
    this.deps.count?.('ok');
    if (forRollback) this.deps.log.warn({ generation: this.loadedAt, failedAttempts: this.failures }, 'shard reloaded from the store after a failed commit');
    this.failures = 0;
    for (const s of served) s.resolve();
    // A rollback newer than the answer (or an ask) arrived while it ran: one more load covers them all.
    this.kick();
  }

  private failed(error: unknown, served: readonly { reject: (error: unknown) => void }[]): void {
    this.running = false;
    this.failures += 1;
    this.deps.count?.('failed');
    for (const s of served) s.reject(error);
    if (this.stopped) return;
    if (!this.behind && this.asked.length === 0) {
      this.deps.log.error({ err: error, failures: this.failures }, 'shard reload failed');
      return;
    }
    const first = this.deps.firstBackoffMs ?? FIRST_BACKOFF_MS;
    const delay = Math.min(this.deps.maxBackoffMs ?? MAX_BACKOFF_MS, first * 2 ** Math.min(this.failures - 1, 20));
    this.deps.log.error({ err: error, failures: this.failures, retryInMs: delay, generation: this.loadedAt, wanted: this.wanted }, 'shard reload failed; retrying');
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, delay);
  }
}
