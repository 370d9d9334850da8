/**
 * Whether the writer's store accepts commits: set by a refused commit (the reason /health shows as
 * `degraded`), cleared by the next commit that returns, and — while nobody writes — by a one-row probe
 * write every STORAGE_PROBE_MS on the writer's lane. Split from writer-core.ts: the state and its probe
 * are one thing; the core decides when a commit failed or landed.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { TimerHandle } from '#ports/clock.js';
import { whenSettled } from '#ports/settled.js';
import { isFenced, type HubStorePort } from '#ports/store.js';
import type { StoreLane } from './store-lane.js';
import type { WriterClock } from './writer-deps.js';

/** While the store refuses commits, how often a one-row probe write checks whether it accepts them again. */
export const STORAGE_PROBE_MS = 1000;

export interface StorageErrorView {
  readonly reason: string;
  readonly since: number;
  readonly failures: number;
}

export interface StorageHealthDeps {
  readonly store: HubStorePort;
  readonly clock: WriterClock;
  readonly log: Logger;
  readonly lane: StoreLane;
  /** The fence of the probe's commit: the role's of the moment. */
  readonly fence: () => number | undefined;
  readonly stopped: () => boolean;
  /** The probe was fenced by a newer takeover: the writer follows. */
  readonly onFenced: (fence: number, current: number) => void;
  /** The probe landed: fresh stats to the front. */
  readonly onProbed: () => void;
}

export class StorageHealth {
  private current: StorageErrorView | null = null;
  private probeTimer: TimerHandle | null = null;

  constructor(private readonly deps: StorageHealthDeps) {}

  /** The reason /health shows, a copy; null while the store accepts commits. */
  get error(): StorageErrorView | null {
    return this.current === null ? null : { ...this.current };
  }

  /** A commit was refused for `reason`: count it (the first failure's time stays). */
  failed(reason: string, now: number): void {
    this.current = { reason, since: this.current?.since ?? now, failures: (this.current?.failures ?? 0) + 1 };
  }

  /** A commit returned: clear the error, if any. */
  landed(): void {
    if (this.current !== null) this.recovered();
  }

  /** Stop probing (the writer stops). */
  stop(): void {
    if (this.probeTimer !== null) this.deps.clock.clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }

  /** While degraded and idle, a one-row write tells when the store accepts commits again (and /health clears). */
  scheduleProbe(): void {
    const { deps } = this;
    if (this.probeTimer !== null || deps.stopped()) return;
    this.probeTimer = deps.clock.setTimeout(() => {
      this.probeTimer = null;
      if (this.current === null || deps.stopped()) return;
      deps.lane.push((done) => {
        if (this.current === null || deps.stopped()) {
          done();
          return;
        }
        whenSettled(
          // Fenced like every commit: a leader that lost its takeover while degraded must not write even this row.
          deps.store.commit([{ ops: [{ op: 'meta_put', key: 'storage_probe', value: String(deps.clock.now()) }] }], deps.clock.now(), deps.fence()),
          () => {
            if (this.current !== null) this.recovered();
            deps.onProbed();
            done();
          },
          (error) => {
            if (isFenced(error)) {
              deps.onFenced(error.details.fence, error.details.current);
              done();
              return;
            }
            if (deps.store.classifyError(error) === 'fatal') {
              deps.lane.halt();
              throw error;
            }
            this.scheduleProbe();
            done();
          },
        );
      });
    }, STORAGE_PROBE_MS);
  }

  private recovered(): void {
    this.deps.log.warn({ failures: this.current?.failures, since: this.current?.since }, 'the store accepts commits again');
    this.current = null;
    this.stop();
  }
}
