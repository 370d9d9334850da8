/**
 * The write gap of a failover at the store: the writer-like group committer (store-load.ts) offers a
 * steady rate through PgStore on the cluster's multi-host URL, the primary's postmaster is killed with
 * SIGKILL (its keeper alive, as after a crash), and the gap is the longest silence between acks from the
 * last one before the kill (figures.ts gapOf). Writes go on until a commit sent after the store's last
 * failure is acked: the dead postmaster's backends keep committing for a moment, so "the first commit sent
 * after the kill" may come back before the outage begins. Failed commits are retried with their mutation
 * ids, as the writer does; at the end every acked mutation id is looked up on the new primary.
 */
import pg from 'pg';
import { PgStore } from '../../src/adapters/postgres/store.js';
import type { PgCluster } from '../../test/helpers/pg-cluster.js';
import { monoUs, sleep } from '../lib/clock.js';
import { gapOf, type AckMark, type Gap } from './figures.js';
import { primaryUrl } from './cluster-sql.js';
import { drain, GroupCommitter, offerOpenLoop } from './store-load.js';
import { snapshotUnits } from './units.js';

export interface GapPlan {
  readonly rate: number;
  /** Steady load before the fault. */
  readonly warmMs: number;
  /** A failover not done by then is reported as no gap (null) rather than waited for. */
  readonly limitMs: number;
}

export interface StoreGap extends Gap {
  readonly fault: 'kill -9 of the primary postmaster';
  readonly rate: number;
  readonly primaryBefore: string;
  readonly primaryAfter: string | null;
  readonly acked: number;
  readonly failedCommits: number;
  readonly lastError: string | null;
  /** Acked mutation ids not on the primary afterwards (must be 0); null when it could not be read. */
  readonly ackedMissing: number | null;
}

export async function storeFailoverGap(cluster: PgCluster, plan: GapPlan, runId: string): Promise<StoreGap> {
  const victim = await cluster.primary();
  if (victim === null) throw new Error(`no primary to fault: ${await cluster.state()}`);
  const store = await PgStore.open({ url: cluster.url, connectTimeoutMs: 1000, queryTimeoutMs: 5000 });
  const acks: AckMark[] = [];
  const ackedIds: string[] = [];
  let faultUs: number | null = null;
  const committer = new GroupCommitter(store, (atUs, startedUs, units) => {
    acks.push({ atUs, startedUs });
    for (const u of units) for (const op of u.ops) if (op.op === 'mutation') ackedIds.push(op.mutationId);
  });
  const recovered = (): boolean => {
    const failedAt = committer.lastFailureUs;
    return faultUs !== null && failedAt !== null && failedAt > faultUs && acks.some((a) => a.startedUs > failedAt);
  };
  const source = snapshotUnits(runId, 40);
  try {
    const offering = offerOpenLoop(committer, source, plan.rate, plan.warmMs + plan.limitMs, recovered);
    await sleep(plan.warmMs);
    faultUs = monoUs();
    await cluster.fault('kill', victim);
    await offering;
    await drain(committer, 10_000);
  } finally {
    committer.stop();
    await store.close().catch(() => undefined);
  }
  return {
    fault: 'kill -9 of the primary postmaster',
    rate: plan.rate,
    ...gapOf(acks, faultUs),
    primaryBefore: victim,
    primaryAfter: await cluster.primary(),
    acked: ackedIds.length,
    failedCommits: committer.failedCommits,
    lastError: committer.lastError,
    ackedMissing: await missingOnPrimary(cluster, runId, ackedIds),
  };
}

async function missingOnPrimary(cluster: PgCluster, runId: string, ids: readonly string[]): Promise<number | null> {
  const url = await primaryUrl(cluster);
  if (url === null) return null;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ mutation_id: string }>(
      'SELECT mutation_id FROM mutations WHERE mutation_id LIKE $1',
      [`${runId}-m%`],
    );
    const stored = new Set(rows.map((r) => r.mutation_id));
    return ids.filter((id) => !stored.has(id)).length;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}
