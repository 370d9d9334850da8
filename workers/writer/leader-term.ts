/**
 * A leadership term on the writer's side: the role (standalone, leader under its fence, follower), the
 * Odoo forwarder that runs only while leading (or standalone) and claims each batch under the term's
 * fence, and the leader's fenced heartbeat. Their commits go on the writer's lane under the fence of the
 * term that made them; a fenced one tells the writer to follow. Split from writer-core.ts.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { ForwardQueueCounts } from '#adapters/odoo/forwarder.js';
import type { Config } from '#config';
import type { ForwardOutcome, ForwardQueue } from '#ports/forwarding.js';
import type { HubMetrics } from '#ports/metrics.js';
import { thenSettled, whenSettled } from '#ports/settled.js';
import { isFenced, type HubStorePort, type StoreUnit } from '#ports/store.js';
import { createForwardClaims } from './forward-claim.js';
import { createLeaderHeartbeat, type LeaderHeartbeat } from './leader-heartbeat.js';
import { WriterRole } from './leadership.js';
import type { StoreLane } from './store-lane.js';
import type { ForwarderFactory, ForwarderHandle, WriterClock } from './writer-deps.js';

export interface LeaderTermDeps {
  readonly store: HubStorePort;
  readonly config: Config;
  readonly clock: WriterClock;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  readonly createForwarder?: ForwarderFactory | null;
  readonly initial: 'standalone' | 'follower';
  readonly lane: StoreLane;
  /** How a finalize went, for its terminal (with counters that include it). */
  readonly onOutcome: (outcome: ForwardOutcome) => void;
  /** A claim or heartbeat was fenced by a newer takeover: the writer follows. */
  readonly onFenced: (fence: number, current: number) => void;
}

export class LeaderTerm {
  /** The Odoo forwarder of the current leadership term (null while following, or without one). */
  private current: ForwarderHandle | null = null;
  /** A leader's fenced liveness, beating while it leads (leader-heartbeat.ts). */
  private readonly heartbeat: LeaderHeartbeat;
  /** Standalone, leader (with its fence epoch) or follower (workers/writer/leadership.ts). */
  readonly role: WriterRole;

  constructor(private readonly deps: LeaderTermDeps) {
    const { store, config } = deps;
    const queue: ForwardQueue & ForwardQueueCounts = {
      pending: (limit, now) => store.pendingForward(limit, now),
      markForwarded: (eventId, result, now) => store.markForwarded(eventId, result, now),
      markAttemptFailed: (eventId, error, next) => store.markAttemptFailed(eventId, error, next),
      markDead: (eventId, error, now) => store.markDead(eventId, error, now),
      counts: () => thenSettled(store.tallies(), (t) => ({ pending: t.pendingForward, dead: t.deadLetters })),
    };
    this.heartbeat = createLeaderHeartbeat({ clock: deps.clock, intervalMs: config.HUB_LEADER_HEARTBEAT_MS, commit: (units, epoch) => this.commitClaim(units, epoch), log: deps.log });
    // Only a leader (or a standalone hub) forwards to Odoo: each term starts a forwarder of its own.
    this.role = new WriterRole(deps.initial, {
      log: deps.log,
      startForwarder: (epoch) => {
        if (epoch !== undefined) this.heartbeat.start(epoch);
        // A leader claims each batch under its fence before sending it (forward-claim.ts); standalone never needs to.
        const claim = epoch === undefined ? undefined : createForwardClaims({ store, commit: (units) => this.commitClaim(units, epoch), clock: deps.clock, config, epoch });
        this.current =
          deps.createForwarder?.({
            queue: claim === undefined ? queue : { ...queue, claim },
            config,
            clock: deps.clock,
            log: deps.log,
            metrics: deps.metrics,
            onOutcome: (o) => deps.onOutcome(o),
          }) ?? null;
        this.current?.start();
      },
      stopForwarder: async () => {
        this.heartbeat.stop();
        const forwarder = this.current;
        this.current = null;
        await forwarder?.stop();
      },
    });
  }

  get forwarder(): ForwarderHandle | null {
    return this.current;
  }

  /** The writer stops: no more beats (the forwarder is stopped by the caller, after the last commit). */
  stopHeartbeat(): void {
    this.heartbeat.stop();
  }

  /**
   * The forwarder's claim or the heartbeat, on the lane under the fence of the term that made it (never the
   * role's fence of the moment: after a demotion that is none, an unfenced write); fenced, the writer follows.
   */
  private commitClaim(units: readonly StoreUnit[], fence: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.deps.lane.push((done) => {
        whenSettled(
          this.deps.store.commit(units, this.deps.clock.now(), fence),
          () => {
            done();
            resolve();
          },
          (error) => {
            if (isFenced(error)) this.deps.onFenced(error.details.fence, error.details.current);
            done();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
    });
  }
}
