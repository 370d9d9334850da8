/**
 * What /health, /api/state and the dashboard show, built from read-only views: the writer's last counters
 * and the signed-in terminals (from the front), the writer's grants and events (asked on demand), and the
 * hub's build facts. No route reads the front's sockets or maps.
 */
import type { Clock } from '../../ports/clock.js';
import { STANDALONE_VIEW, type ClusterView } from '../../ports/cluster.js';
import type { HealthView, HubStateView } from '../../ports/state-view.js';
import type { TerminalsView } from '../terminal-registry.js';
import type { WriterStateView, WriterStats } from '../../threads/contract.js';

/** The front as the HTTP routes may see it. */
export interface FrontView {
  readonly writerStats: WriterStats;
  readonly terminals: TerminalsView;
}

export interface HubStateDeps {
  readonly front: FrontView;
  readonly clock: Clock;
  readonly startedAt: number;
  readonly shards: number;
  readonly uwsNative: () => boolean;
  readonly version: string;
  readonly writerState: () => Promise<WriterStateView>;
  /** The cluster view (ports/cluster.ts); standalone when absent. */
  readonly cluster?: () => ClusterView;
}

export interface HubState {
  health(): HealthView;
  state(): Promise<HubStateView>;
}

/** A leader whose own data node is out of recovery but cannot commit (docs/ha.md): not a healthy leader. */
const CANNOT_COMMIT = "cluster: this hub leads but its data node is out of recovery and cannot commit (its synchronous standby is gone; pg_auto_failover has not demoted it yet)";

/** Why a new leader's Odoo forwarder is paused (HealthView.odooForwardWait). */
export const CLAIM_WAIT_REASON =
  "this hub became leader and waits out the previous leader's claimed Odoo calls before sending (no order is sent twice); terminals are acked meanwhile";

export function createHubState(deps: HubStateDeps): HubState {
  /** When /health first saw the leader's node unable to commit (cleared once it can again). */
  let cannotCommitSince: number | null = null;
  const clusterDegraded = (cluster: ClusterView): HealthView['degraded'] => {
    if (cluster.role !== 'leader' || cluster.ownNode !== 'primary_cannot_commit') {
      cannotCommitSince = null;
      return undefined;
    }
    cannotCommitSince ??= deps.clock.now();
    return { reason: CANNOT_COMMIT, since: new Date(cannotCommitSince).toISOString(), storageFailures: 0 };
  };
  const health = (): HealthView => {
    const s = deps.front.writerStats;
    const storage = s.storageError ?? null;
    const cluster = deps.cluster?.() ?? STANDALONE_VIEW;
    const zombie = clusterDegraded(cluster);
    const waitUntil = s.odooClaimWaitUntil ?? null;
    const waitMs = waitUntil === null ? 0 : waitUntil - deps.clock.now();
    return {
      status: storage === null && zombie === undefined ? 'ok' : 'degraded',
      uptime: Math.floor((deps.clock.now() - deps.startedAt) / 1000),
      connectedTerminals: deps.front.terminals.readyCount,
      activeLeases: s.activeLeases,
      orders: s.orders,
      pendingForward: s.pendingForward,
      totalForwarded: s.totalForwarded,
      lastOdooSync: s.lastOdooSync === null ? null : new Date(s.lastOdooSync).toISOString(),
      deadLetters: s.deadLetters,
      odooReachable: s.odooReachable,
      uws: deps.uwsNative() ? 'native' : 'fallback',
      shards: deps.shards,
      activeLocks: s.activeLocks,
      seq: s.seq,
      version: deps.version,
      cluster,
      ...(waitUntil === null || waitMs <= 0
        ? {}
        : { odooForwardWait: { until: new Date(waitUntil).toISOString(), remainingSeconds: Math.ceil(waitMs / 1000), reason: CLAIM_WAIT_REASON } }),
      ...(storage === null
        ? zombie === undefined
          ? {}
          : { degraded: zombie }
        : {
            degraded: {
              reason: `storage: ${storage.reason}`,
              since: new Date(storage.since).toISOString(),
              storageFailures: storage.failures,
            },
          }),
    };
  };
  return {
    health,
    async state() {
      const w = await deps.writerState();
      return {
        health: health(),
        terminals: deps.front.terminals.views(),
        leases: w.leases,
        locks: w.locks,
        events: w.events,
        serverTime: deps.clock.now(),
      };
    },
  };
}
