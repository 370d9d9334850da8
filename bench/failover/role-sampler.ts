/**
 * Asks both nodes every ~100 ms during a run, straight on 127.0.0.1 (past the link proxies, as a hub would
 * reach them), so a partitioned old primary that still accepts connections is seen: whether it is in
 * recovery, and if not, whether a commit there could complete (run-log.ts NodeRole). A sample in which both
 * could is two writable primaries. A node that does not answer within the sample's budget is `down`.
 */
import pg from 'pg';
import type { NodeName } from './cluster.js';
import type { NodeRole, RoleSample } from './run-log.js';

const BUDGET_MS = 400;

export interface RoleSampler {
  stop(): Promise<RoleSample[]>;
}

class NodeProbe {
  private client: pg.Client | null = null;
  constructor(private readonly url: string) {}

  async role(): Promise<NodeRole> {
    try {
      if (this.client === null) {
        const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: BUDGET_MS, query_timeout: BUDGET_MS });
        client.on('error', () => undefined);
        this.client = client;
        await client.connect();
      }
      const { rows } = await this.client.query<{ ro: boolean; names: string; sync: number }>(
        `SELECT pg_is_in_recovery() AS ro, current_setting('synchronous_standby_names') AS names,
           (SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum'))::int AS sync`,
      );
      const row = rows[0];
      if (row === undefined || row.ro) return 'standby';
      return row.names === '' || row.sync > 0 ? 'primary' : 'fenced-primary';
    } catch {
      const dead = this.client;
      this.client = null;
      dead?.end().catch(() => undefined);
      return 'down';
    }
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}

/** Samples until stop(), at most `limit` samples (a bound, not an expected count). */
export function startRoleSampler(nodeUrl: (node: NodeName) => string, intervalMs = 100, limit = 50_000): RoleSampler {
  const probes = { node1: new NodeProbe(nodeUrl('node1')), node2: new NodeProbe(nodeUrl('node2')) };
  const samples: RoleSample[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping && samples.length < limit) {
      const started = Date.now();
      const [node1, node2] = await Promise.all([probes.node1.role(), probes.node2.role()]);
      samples.push({ at: started, node1, node2 });
      const wait = intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      await Promise.all([probes.node1.close(), probes.node2.close()]);
      return samples;
    },
  };
}
