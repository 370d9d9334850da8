/**
 * Asks both nodes every ~100 ms during a run, straight on 127.0.0.1 (past the link proxies, as a hub would
 * reach them), so a partitioned old primary that still accepts connections is seen: whether it is in
 * recovery, and if not, whether a commit there could complete (run-log.ts NodeRole). A sample in which both
 * could is two nodes writable at the database level; the monitor's view of each node is read with it, so
 * such a sample carries its cause. A node that does not answer within the sample's budget is `down`.
 * It also tails each node's events: a write first seen on a node out of recovery was committed there
 * (run-log.ts Commit), which is how an ack is tied to the node that acknowledged it.
 */
import pg from 'pg';
import type { NodeName } from './cluster.js';
import type { Commit, MonitorView, NodeRole, RoleSample } from './run-log.js';

const BUDGET_MS = 400;
/** Events read per node per sample: well above what ~50 writers commit in 100 ms. */
const TAIL_LIMIT = 1000;

export interface RoleSamplerOptions {
  readonly nodeUrl: (node: NodeName) => string;
  /** The monitor, direct; null: samples carry no monitor view. */
  readonly monitorUrl: string | null;
  /** The run's first seq is above this (the high-water mark when it began). */
  readonly afterSeq: number;
  /** The mutation id of a write of this run from its event's payload, else null (the driver's encoding);
   *  null: no events are tailed (a cluster without the hub's schema). */
  readonly writeOf: ((payload: unknown) => string | null) | null;
  readonly intervalMs?: number;
  /** A bound, not an expected count. */
  readonly limit?: number;
}

export interface RoleSampler {
  stop(): Promise<{ samples: RoleSample[]; commits: Commit[] }>;
}

/** One persistent connection, dropped and made again after any failure; `null` when it does not answer. */
class Probe {
  private client: pg.Client | null = null;
  constructor(private readonly url: string) {}

  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[] | null> {
    try {
      if (this.client === null) {
        const client = new pg.Client({
          connectionString: this.url,
          connectionTimeoutMillis: BUDGET_MS,
          query_timeout: BUDGET_MS,
        });
        client.on('error', () => undefined);
        this.client = client;
        await client.connect();
      }
      return (await this.client.query<R>(sql, params)).rows;
    } catch {
      const dead = this.client;
      this.client = null;
      dead?.end().catch(() => undefined);
      return null;
    }
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}

class NodeProbe {
  private readonly probe: Probe;
  /** Events up to here were read on this node already (committed here, or received as a standby). */
  private tailed: number;
  constructor(
    url: string,
    private readonly node: NodeName,
    afterSeq: number,
    private readonly writeOf: ((payload: unknown) => string | null) | null,
  ) {
    this.probe = new Probe(url);
    this.tailed = afterSeq;
  }

  async role(at: number, commits: Commit[]): Promise<NodeRole> {
    const rows = await this.probe.query<{ ro: boolean; names: string; sync: number; readOnly: string }>(
      `SELECT pg_is_in_recovery() AS ro, current_setting('synchronous_standby_names') AS names,
         (SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum'))::int AS sync,
         current_setting('default_transaction_read_only') AS "readOnly"`,
    );
    const row = rows?.[0];
    if (row === undefined) return 'down';
    await this.tail(!row.ro, at, commits);
    if (row.ro) return 'standby';
    if (row.readOnly === 'on') return 'read-only-primary';
    return row.names === '' || row.sync > 0 ? 'primary' : 'fenced-primary';
  }

  /** New events since the last read; recorded as commits only when this node is out of recovery. */
  private async tail(writable: boolean, at: number, commits: Commit[]): Promise<void> {
    const writeOf = this.writeOf;
    if (writeOf === null) return;
    const rows = await this.probe.query<{ id: string; payload: string | null }>(
      'SELECT id, payload FROM events WHERE id > $1 ORDER BY id LIMIT $2',
      [this.tailed, TAIL_LIMIT],
    );
    for (const r of rows ?? []) {
      this.tailed = Number(r.id);
      if (!writable || r.payload === null) continue;
      const mutationId = writeOf(JSON.parse(r.payload));
      if (mutationId !== null) commits.push({ node: this.node, seq: Number(r.id), mutationId, at });
    }
  }

  close(): Promise<void> {
    return this.probe.close();
  }
}

const MONITOR_SQL = `SELECT nodename AS name, reportedstate::text AS reported, goalstate::text AS goal FROM pgautofailover.node`;

export function startRoleSampler(options: RoleSamplerOptions): RoleSampler {
  const { intervalMs = 100, limit = 50_000 } = options;
  const probes = {
    node1: new NodeProbe(options.nodeUrl('node1'), 'node1', options.afterSeq, options.writeOf),
    node2: new NodeProbe(options.nodeUrl('node2'), 'node2', options.afterSeq, options.writeOf),
  };
  const monitor = options.monitorUrl === null ? null : new Probe(options.monitorUrl);
  const samples: RoleSample[] = [];
  const commits: Commit[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping && samples.length < limit) {
      const started = Date.now();
      const [node1, node2, view] = await Promise.all([
        probes.node1.role(started, commits),
        probes.node2.role(started, commits),
        monitor?.query<{ name: string } & MonitorView>(MONITOR_SQL) ?? Promise.resolve(null),
      ]);
      const of = (name: NodeName): MonitorView | null => {
        const r = view?.find((v) => v.name === name);
        return r === undefined ? null : { reported: r.reported, goal: r.goal };
      };
      samples.push({
        at: started,
        node1,
        node2,
        monitor: view === null ? null : { node1: of('node1'), node2: of('node2') },
      });
      const wait = intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      await Promise.all([probes.node1.close(), probes.node2.close(), monitor?.close()]);
      return { samples, commits };
    },
  };
}
