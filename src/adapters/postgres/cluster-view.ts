/**
 * The cluster view of a hub on PostgreSQL (ports/cluster.ts), read from the database on a schedule: which
 * data node is writable (pg_is_in_recovery()), the latest takeover (its epoch and the hub that took it),
 * the primary's standbys (pg_stat_replication) and a standby's replay backlog. Its own short connections,
 * apart from the writer's: a slow or dead node delays only this view, never a commit.
 */
import type pg from 'pg';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import {
  identityChanged,
  leaderUrlOf,
  type ClusterLeader,
  type ClusterRead,
  type TakeoverRef,
  type ClusterView,
  type ClusterWatch,
  type FailoverObservation,
  type ReplicationView,
} from '../../ports/cluster.js';
import { CAN_COMMIT_SQL, connectTarget, parsePgUrl, type PgTarget } from './connection.js';

/** What one data node answered (or why it did not). */
export type NodeProbe =
  | {
      readonly host: string;
      readonly port: number;
      readonly ok: true;
      readonly inRecovery: boolean;
      /** Primary: its standbys. Standby: null. */
      readonly replication: ReplicationView | null;
      /** Standby: WAL received but not replayed yet, in bytes. Primary: null. */
      readonly replayBacklogBytes: number | null;
      /** The latest takeover visible on this node (epoch 0, node null before the first). */
      readonly takeover: { readonly epoch: number; readonly node: string | null };
      /** The leader's fenced heartbeat as this node shows it (null before the first; absent from older fixtures). */
      readonly heartbeat?: string | null;
      /** SHOW synchronous_standby_names (empty: commits do not wait for a standby). */
      readonly synchronousStandbyNames: string;
      /**
       * Out of recovery, whether a commit can complete (connection.ts CAN_COMMIT_SQL): false for an old
       * primary pg_auto_failover has not demoted, cut off from its synchronous standby. True in recovery.
       */
      readonly canCommit: boolean;
    }
  | { readonly host: string; readonly port: number; readonly ok: false; readonly error: string };

export interface ProbeTimeouts {
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
}

const numberOrNull = (value: unknown): number | null => {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
};

/** The best sync state first: a `sync` standby is what makes an acked commit survive the primary. */
const SYNC_RANK: Readonly<Record<string, number>> = { sync: 0, quorum: 1, potential: 2, async: 3 };

async function readReplication(client: pg.Client): Promise<ReplicationView> {
  // replay_lsn is NULL for a role without pg_monitor (docs/ha.md grants it): lag reads as unknown.
  const { rows } = await client.query<{ state: string; sync_state: string; lag: string | null }>(
    `SELECT state, sync_state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS lag FROM pg_stat_replication`,
  );
  const streaming = rows.filter((r) => r.state === 'streaming');
  const lags = streaming.map((r) => numberOrNull(r.lag));
  const best = [...streaming].sort((a, b) => (SYNC_RANK[a.sync_state] ?? 9) - (SYNC_RANK[b.sync_state] ?? 9))[0];
  return {
    lagBytes: lags.length === 0 || lags.includes(null) ? null : Math.max(...(lags as number[])),
    syncState: best?.sync_state ?? null,
    standbys: streaming.length,
  };
}

/** The latest takeover and the leader's heartbeat (workers/writer/leader-heartbeat.ts) this node shows. */
async function readTakeover(client: pg.Client): Promise<{ takeover: { epoch: number; node: string | null }; heartbeat: string | null }> {
  // The hub creates `takeovers` and `meta` on its first start (schema.ts); before that there is no epoch yet.
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('takeovers')::text AS t`);
  if (exists.rows[0]?.t == null) return { takeover: { epoch: 0, node: null }, heartbeat: null };
  const { rows } = await client.query<{ epoch: number; node: string; heartbeat: string | null }>(
    `SELECT epoch, node, (SELECT left(value, 200) FROM meta WHERE key = 'leader_heartbeat') AS heartbeat
     FROM takeovers ORDER BY epoch DESC LIMIT 1`,
  );
  const row = rows[0];
  return row === undefined ? { takeover: { epoch: 0, node: null }, heartbeat: null } : { takeover: { epoch: Number(row.epoch), node: row.node }, heartbeat: row.heartbeat };
}

/** Ask one data node what it is. Never throws: a node that does not answer is a result too. */
export async function probeNode(
  target: PgTarget,
  host: { host: string; port: number },
  timeouts: ProbeTimeouts,
): Promise<NodeProbe> {
  let client: pg.Client | null = null;
  try {
    client = await connectTarget(
      { ...target, hosts: [host], readWrite: false },
      timeouts.connectTimeoutMs,
      timeouts.queryTimeoutMs,
    );
    const { rows } = await client.query<{ ro: boolean; ssn: string; commits: boolean }>(
      `SELECT pg_is_in_recovery() AS ro, current_setting('synchronous_standby_names') AS ssn, ${CAN_COMMIT_SQL} AS commits`,
    );
    const inRecovery = rows[0]?.ro === true;
    let replayBacklogBytes: number | null = null;
    let replication: ReplicationView | null = null;
    if (inRecovery) {
      const backlog = await client.query<{ b: string | null }>(
        'SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::text AS b',
      );
      replayBacklogBytes = numberOrNull(backlog.rows[0]?.b);
    } else {
      replication = await readReplication(client);
    }
    const { takeover, heartbeat } = await readTakeover(client);
    return {
      ...host,
      ok: true,
      inRecovery,
      replication,
      replayBacklogBytes,
      takeover,
      heartbeat,
      synchronousStandbyNames: rows[0]?.ssn ?? '',
      canCommit: inRecovery || rows[0]?.commits === true,
    };
  } catch (error) {
    return { ...host, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await client?.end().catch(() => undefined);
  }
}

export function probeCluster(target: PgTarget, timeouts: ProbeTimeouts): Promise<NodeProbe[]> {
  return Promise.all(target.hosts.map((host) => probeNode(target, host, timeouts)));
}

export { leaderUrlOf };

/**
 * What the leadership decision needs from the probes: this hub's own node, and the latest takeover any node
 * showed. Its node counts as the primary only where the store would commit (connection.ts, chooseHost): an
 * old primary cut off from its standby and the monitor stays out of recovery, unable to commit, beside the
 * promoted one; counted as primary, its hub took over through the store on the other node, was fenced by
 * that node's hub, took over again — the two hubs traded the lead every ~2 s for as long as the cut lasted
 * (the failover suite's `partition` with two hubs). Like a node that does not answer, it is not eligible.
 */
export function readFromProbes(probes: readonly NodeProbe[], ownNode: string): ClusterRead {
  const own = probes.find((p) => `${p.host}:${p.port}` === ownNode);
  const answered = probes.filter((p): p is Extract<NodeProbe, { ok: true }> => p.ok);
  const latest =
    answered.length === 0
      ? null
      : answered
          .map((p) => p.takeover)
          .reduce<TakeoverRef>((a, b) => (b.epoch > a.epoch ? b : a), { epoch: 0, node: null });
  return {
    ownNode: own === undefined || !own.ok ? 'unreachable' : own.inRecovery ? 'standby' : own.canCommit ? 'primary' : 'primary_cannot_commit',
    latest,
  };
}

/**
 * What a follower's failover rule needs from one read (src/hub/failover-request.ts): whether its own node is
 * a healthy synchronous standby of a primary that can commit (two data nodes: the primary's best standby is
 * this one), and the leader's heartbeat as the primary shows it.
 */
export function failoverObservation(probes: readonly NodeProbe[], ownNode: string): FailoverObservation {
  const answered = probes.filter((p): p is Extract<NodeProbe, { ok: true }> => p.ok);
  const primary = answered.find((p) => !p.inRecovery && p.canCommit) ?? null;
  const own = answered.find((p) => `${p.host}:${p.port}` === ownNode);
  const syncState = primary?.replication?.syncState ?? null;
  return {
    ownNodeSyncStandby: own !== undefined && own.inRecovery && (syncState === 'sync' || syncState === 'quorum') && own.replayBacklogBytes === 0,
    primaryCanCommit: primary !== null,
    heartbeat: primary?.heartbeat ?? null,
    latest: readFromProbes(probes, ownNode).latest,
  };
}

/**
 * One view from the probes. The epoch is the highest any node shows and never below `floor` (the last one
 * seen): a standby that has not replayed the latest takeover yet must not make the epoch go back.
 */
export function viewFromProbes(probes: readonly NodeProbe[], hubId: string, floor: ClusterView | null): ClusterView {
  const answered = probes.filter((p): p is Extract<NodeProbe, { ok: true }> => p.ok);
  // The primary that can commit: an undemoted old one beside it (cut off, standby gone) is not the cluster's.
  const primary = answered.find((p) => !p.inRecovery && p.canCommit) ?? answered.find((p) => !p.inRecovery) ?? null;
  const latest = answered
    .map((p) => p.takeover)
    .reduce<{ epoch: number; node: string | null }>((a, b) => (b.epoch > a.epoch ? b : a), { epoch: 0, node: null });
  if (floor !== null && floor.epoch > latest.epoch) {
    // Nothing newer answered: keep what we knew, with whatever replication the primary reports now.
    return {
      ...floor,
      role: floor.role === 'leader' ? 'leader' : 'follower',
      replication: primary?.replication ?? null,
    };
  }
  const url = latest.node === null ? null : leaderUrlOf(latest.node);
  const leader: ClusterLeader | null = url === null ? null : { url, epoch: latest.epoch };
  return {
    role: latest.node !== null && latest.node === hubId ? 'leader' : 'follower',
    epoch: latest.epoch,
    leader,
    replication: primary?.replication ?? null,
  };
}

export interface PgClusterWatchOptions {
  /** HUB_PG_URL. */
  readonly url: string;
  /** This hub's id: the node its writer records when it takes over (read at each read: it names the listening port). */
  readonly hubId: string | (() => string);
  /** HUB_PG_NODE: this hub's own data node, host:port as HUB_PG_URL writes it (default: the URL's first host). */
  readonly ownNode?: string;
  readonly clock: Clock;
  readonly intervalMs: number;
  readonly timeouts?: ProbeTimeouts;
  readonly onError?: (error: unknown) => void;
  /** After every read, what a follower's failover rule needs (main.ts wires it when HUB_PG_MONITOR_URL is set). */
  readonly onObservation?: (observation: FailoverObservation) => void;
}

const DEFAULT_TIMEOUTS: ProbeTimeouts = { connectTimeoutMs: 1500, queryTimeoutMs: 1500 };

export function pgClusterWatch(options: PgClusterWatchOptions): ClusterWatch {
  const target = parsePgUrl(options.url);
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const listeners: ((view: ClusterView) => void)[] = [];
  const updates: ((view: ClusterView) => void)[] = [];
  const reads: ((read: ClusterRead) => void)[] = [];
  const hubId = typeof options.hubId === 'string' ? () => options.hubId as string : options.hubId;
  const first = target.hosts[0];
  const ownNode = options.ownNode ?? (first === undefined ? '' : `${first.host}:${first.port}`);
  let view: ClusterView = { role: 'follower', epoch: 0, leader: null, replication: null };
  let timer: TimerHandle | null = null;
  let stopped = false;
  let reading: Promise<void> | null = null;

  const readOnce = async (): Promise<void> => {
    try {
      const probes = await probeCluster(target, timeouts);
      const next = viewFromProbes(probes, hubId(), view);
      const changed = identityChanged(view, next);
      const updated = JSON.stringify(view) !== JSON.stringify(next);
      view = next;
      if (changed) for (const listener of listeners) listener(next);
      if (updated) for (const listener of updates) listener(next);
      const read = readFromProbes(probes, ownNode);
      for (const listener of reads) listener(read);
      options.onObservation?.(failoverObservation(probes, ownNode));
    } catch (error) {
      options.onError?.(error);
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = options.clock.setTimeout(() => {
      timer = null;
      reading = readOnce().finally(schedule);
    }, options.intervalMs);
  };
  return {
    current: () => view,
    onChange: (listener) => {
      listeners.push(listener);
    },
    onUpdate: (listener) => {
      updates.push(listener);
    },
    onRead: (listener) => {
      reads.push(listener);
    },
    async start() {
      stopped = false;
      reading = readOnce();
      await reading;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer !== null) options.clock.clearTimeout(timer);
      timer = null;
      await reading;
    },
  };
}
