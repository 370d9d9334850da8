/**
 * Port: what this hub knows of the cluster it belongs to — its role, the fencing epoch, the leader and the
 * database replication behind it — for /health, the dashboard, the mDNS TXT, AUTH_OK and HUB_STATUS
 * (issue 18). A SQLite hub is `standalone`; a Postgres hub reads its view from the cluster on a schedule
 * (src/adapters/postgres/cluster-view.ts). Readers take the last view synchronously: none waits on the network.
 */

export type ClusterRole = 'leader' | 'follower' | 'standalone';

export interface ClusterLeader {
  /** The leader hub's terminal socket URL, as a terminal would dial it. */
  readonly url: string;
  readonly epoch: number;
}

export interface ReplicationView {
  /** WAL bytes the furthest standby has still to replay; null when no standby is attached or it cannot be read. */
  readonly lagBytes: number | null;
  /** pg_stat_replication.sync_state of the best standby (`sync`, `quorum`, `potential`, `async`); null without one. */
  readonly syncState: string | null;
  /** Standbys streaming from the primary. */
  readonly standbys: number;
}

export interface ClusterView {
  readonly role: ClusterRole;
  readonly epoch: number;
  readonly leader: ClusterLeader | null;
  /** The primary's replication; null on SQLite, or while no primary answers. */
  readonly replication: ReplicationView | null;
  /**
   * This hub's own data node as the last read found it (a replicated store's leadership loop only). A
   * leader whose node is `primary_cannot_commit` is not healthy: /health says degraded, the dashboard red.
   */
  readonly ownNode?: NodeState;
}

/** `hub: {id, role, epoch}` of AUTH_OK and HUB_STATUS. A type, not an interface, so it fits the protocol's loose objects. */
export type HubIdentityView = {
  readonly id: string;
  readonly role: ClusterRole;
  readonly epoch: number;
};

/**
 * A data node as one read found it. `primary` can commit; `primary_cannot_commit` is out of recovery but
 * its commits wait for a synchronous standby that is not attached (an old primary not demoted yet).
 */
export type NodeState = 'primary' | 'primary_cannot_commit' | 'standby' | 'unreachable';

/** The latest takeover: its fencing epoch and the hub id that took it (epoch 0, node null before the first). */
export interface TakeoverRef {
  readonly epoch: number;
  readonly node: string | null;
}

/**
 * What one read of the cluster found, for the leadership decision (src/hub/leadership.ts): the hub leads
 * while its own data node is the writable primary — pg_auto_failover's choice, not an election of ours.
 */
export interface ClusterRead {
  /** This hub's own data node (HUB_PG_NODE). */
  readonly ownNode: NodeState;
  /** The latest takeover any data node showed; null when no node answered. */
  readonly latest: TakeoverRef | null;
}

/** What one read found that a follower's failover rule needs (src/hub/failover-request.ts; docs/ha.md). */
export interface FailoverObservation {
  /** This hub's own node is a standby the primary reports `sync`/`quorum`, with nothing left to replay. */
  readonly ownNodeSyncStandby: boolean;
  /** A primary answered and can commit (otherwise the fault is the database's: pg_auto_failover's job). */
  readonly primaryCanCommit: boolean;
  /** The leader's fenced heartbeat as the primary shows it, or null (none yet, or unreadable). */
  readonly heartbeat: string | null;
  /** The latest takeover, or null when no node answered. */
  readonly latest: TakeoverRef | null;
}

export interface ClusterWatch {
  /** The last view read (the first is read before the hub listens). */
  current(): ClusterView;
  /**
   * Called after every read with what it found of this hub's own node and the latest takeover. Only a
   * watch of a replicated store has it; createHub then runs the leadership loop on it.
   */
  onRead?(listener: (read: ClusterRead) => void): void;
  /** Called after each read whose role, epoch or leader differs from the one before (mDNS re-announces). */
  onChange(listener: (view: ClusterView) => void): void;
  /** Called after each read whose view differs in anything, replication lag included (the dashboard refreshes). */
  onUpdate(listener: (view: ClusterView) => void): void;
  /** Read now and then every interval until stop(). Resolves after the first read. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const STANDALONE_VIEW: ClusterView = Object.freeze({
  role: 'standalone',
  epoch: 0,
  leader: null,
  replication: null,
});

/** Whether a terminal or an advert would see a difference (replication lag alone is not announced). */
export function identityChanged(a: ClusterView, b: ClusterView): boolean {
  return (
    a.role !== b.role ||
    a.epoch !== b.epoch ||
    (a.leader?.url ?? null) !== (b.leader?.url ?? null) ||
    (a.leader?.epoch ?? null) !== (b.leader?.epoch ?? null)
  );
}

/**
 * The SQLite hub's view: standalone, the epoch of its store's last takeover when the caller can read it
 * (0 otherwise). Nothing changes while it runs, so there is nothing to poll.
 */
export function standaloneWatch(epoch = 0): ClusterWatch {
  const view: ClusterView = Object.freeze({ ...STANDALONE_VIEW, epoch });
  return {
    current: () => view,
    onChange: () => undefined,
    onUpdate: () => undefined,
    start: async () => undefined,
    stop: async () => undefined,
  };
}

/**
 * A takeover's node names the hub that took it: the hub id, `host:port` of its terminal socket (then
 * `ws://host:port/`) or the socket URL itself. Anything else names no URL a terminal could dial.
 */
export function leaderUrlOf(node: string): string | null {
  if (/^wss?:\/\/\S+$/.test(node)) return node;
  if (/^[A-Za-z0-9.-]+:\d{1,5}$/.test(node)) return `ws://${node}/`;
  return null;
}
