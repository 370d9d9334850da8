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
}

/** `hub: {id, role, epoch}` of AUTH_OK and HUB_STATUS. A type, not an interface, so it fits the protocol's loose objects. */
export type HubIdentityView = {
  readonly id: string;
  readonly role: ClusterRole;
  readonly epoch: number;
};

export interface ClusterWatch {
  /** The last view read (the first is read before the hub listens). */
  current(): ClusterView;
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
