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

export function createHubState(deps: HubStateDeps): HubState {
  const health = (): HealthView => {
    const s = deps.front.writerStats;
    const storage = s.storageError ?? null;
    return {
      status: storage === null ? 'ok' : 'degraded',
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
      cluster: deps.cluster?.() ?? STANDALONE_VIEW,
      ...(storage === null
        ? {}
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
