/**
 * The leader's fenced liveness (docs/ha.md "A leader hub that keeps crashing"): while this writer leads, it
 * commits `leader_heartbeat` under its fence every HUB_LEADER_HEARTBEAT_MS. A follower that sees the row
 * still for HUB_LEADER_STALE_MS asks pg_auto_failover for a failover; a fenced commit proves the whole write
 * path, and only the current leader can make one.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { Clock, TimerHandle } from '#ports/clock.js';
import type { StoreUnit } from '#ports/store.js';

export const LEADER_HEARTBEAT_KEY = 'leader_heartbeat';

export interface LeaderHeartbeat {
  /** Beat for the term of `epoch` from now on (the first at once). */
  start(epoch: number): void;
  stop(): void;
}

export function createLeaderHeartbeat(deps: {
  readonly clock: Clock;
  readonly intervalMs: number;
  /** A commit on the writer's lane under its fence; rejects when fenced or refused. */
  readonly commit: (units: readonly StoreUnit[], epoch: number) => Promise<void>;
  readonly log: Logger;
}): LeaderHeartbeat {
  let timer: TimerHandle | null = null;
  let term = 0;
  let beats = 0;
  const beat = (epoch: number): void => {
    timer = null;
    if (term !== epoch) return;
    beats += 1;
    // The value changes every beat: the follower watches for a change, on its own clock.
    const value = JSON.stringify({ epoch, beat: beats });
    deps
      .commit([{ ops: [{ op: 'meta_put', key: LEADER_HEARTBEAT_KEY, value }] }], epoch)
      // A refused commit is reported where it matters (storage error, fencing); a missed beat is only a beat.
      .catch((error: unknown) => deps.log.debug({ err: error, epoch }, 'leader heartbeat not committed'))
      .finally(() => {
        if (term === epoch && timer === null) timer = deps.clock.setTimeout(() => beat(epoch), deps.intervalMs);
      });
  };
  return {
    start: (epoch) => {
      if (timer !== null) deps.clock.clearTimeout(timer);
      timer = null;
      term = epoch;
      beat(epoch);
    },
    stop: () => {
      term = 0;
      if (timer !== null) deps.clock.clearTimeout(timer);
      timer = null;
    },
  };
}
