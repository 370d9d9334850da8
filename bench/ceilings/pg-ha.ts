/**
 * What high availability costs and how long it is gone, measured on this machine (docs/ha.md quotes it):
 * the latency of a one-row commit on the pg_auto_failover primary with its synchronous standby versus
 * the same commit with synchronous_commit=local, and the write gap — from the fault to the first commit
 * that returns after it, through the port's Postgres adapter — for a kill -9 of the primary's postmaster
 * (its keeper restarts it) and for the loss of the whole primary node (keeper and postmaster killed), with
 * pg_auto_failover's default timeouts and with the tuned ones. A fresh cluster per node-loss run.
 * Run: node --import tsx bench/ceilings/pg-ha.ts [runs=3] [out.json]   (as root or postgres; loopback only)
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { PgStore } from '../../src/adapters/postgres/store.js';
import { startPgCluster, type FailoverSettings, type PgCluster } from '../../test/helpers/pg-cluster.js';
import { monoUs, sleep } from '../lib/clock.js';
import { Histogram, type LatencySummary } from '../lib/histogram.js';

const COMMITS = 400;
/** A failover that has not completed by then is reported as such rather than waited for. */
const GAP_LIMIT_MS = 150_000;
/** Commits before the fault, so the loop is in its steady state when it strikes. */
const WARM_MS = 1500;

interface CommitLatency {
  readonly synchronous: LatencySummary;
  readonly local: LatencySummary;
}

async function commitLatency(cluster: PgCluster): Promise<CommitLatency> {
  const client = new pg.Client({ connectionString: cluster.nodeUrl('node1') });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS bench_commit (id BIGSERIAL PRIMARY KEY, v TEXT NOT NULL)');
    const measure = async (mode: 'on' | 'local'): Promise<LatencySummary> => {
      await client.query(`SET synchronous_commit = ${mode}`);
      const h = new Histogram();
      for (let i = 0; i < COMMITS; i++) {
        const started = monoUs();
        await client.query('INSERT INTO bench_commit (v) VALUES ($1)', [`row ${i}`]);
        h.record(monoUs() - started);
      }
      return h.summary();
    };
    // Interleaved halves, so a burst of load elsewhere on the box hits both modes alike.
    const sync1 = await measure('on');
    const local1 = await measure('local');
    const sync2 = await measure('on');
    const local2 = await measure('local');
    const pick = (a: LatencySummary, b: LatencySummary): LatencySummary => (a.p50Ms <= b.p50Ms ? a : b);
    return { synchronous: pick(sync1, sync2), local: pick(local1, local2) };
  } finally {
    await client.end();
  }
}

interface Gap {
  readonly fault: 'kill' | 'stop';
  readonly settings: FailoverSettings;
  /** From the fault to the first commit returned after it; null when none came within GAP_LIMIT_MS. */
  readonly gapMs: number | null;
  readonly acked: number;
  readonly failedAttempts: number;
  readonly primaryBefore: string;
  readonly primaryAfter: string | null;
}

async function writeGap(cluster: PgCluster, settings: FailoverSettings, fault: 'kill' | 'stop'): Promise<Gap> {
  const victim = await cluster.primary();
  if (victim === null) throw new Error(`no primary to fault: ${await cluster.state()}`);
  const store = await PgStore.open({ url: cluster.url, connectTimeoutMs: 1000 });
  let faultAt: number | null = null;
  let firstAfter: number | null = null;
  let acked = 0;
  let failedAttempts = 0;
  const started = Date.now();
  try {
    for (let i = 0; firstAfter === null && Date.now() - started < GAP_LIMIT_MS; i++) {
      if (faultAt === null && Date.now() - started >= WARM_MS) {
        faultAt = monoUs();
        await cluster.fault(fault, victim);
      }
      try {
        await store.commit(
          [{ ops: [{ op: 'event', type: 'BENCH', posReference: null, payload: { i }, sourceTerminal: null }] }],
          Date.now(),
        );
        acked += 1;
        if (faultAt !== null) firstAfter = monoUs();
      } catch {
        failedAttempts += 1;
        await sleep(50);
      }
    }
  } finally {
    await store.close();
  }
  return {
    fault,
    settings,
    gapMs: faultAt === null || firstAfter === null ? null : Math.round((firstAfter - faultAt) / 1000),
    acked,
    failedAttempts,
    primaryBefore: victim,
    primaryAfter: await cluster.primary(),
  };
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? '3');
  const out = process.argv[3];
  const gaps: Gap[] = [];
  let latency: CommitLatency | null = null;
  const loadBefore = loadavg();
  for (const settings of ['tuned', 'default'] as const) {
    for (let run = 0; run < runs; run++) {
      const cluster = await startPgCluster(settings);
      try {
        if (latency === null) {
          latency = await commitLatency(cluster);
          console.log(JSON.stringify(latency));
        }
        // The postmaster alone: its keeper restarts it in place — unless the monitor fails over first.
        gaps.push(await writeGap(cluster, settings, 'kill'));
        console.log(JSON.stringify(gaps.at(-1)));
        await waitPrimary(cluster);
        gaps.push(await writeGap(cluster, settings, 'stop'));
        console.log(JSON.stringify(gaps.at(-1)));
      } finally {
        await cluster.close();
      }
    }
  }
  const result = {
    when: new Date().toISOString(),
    cpus: cpus().length,
    loadBefore,
    loadAfter: loadavg(),
    commitLatency: latency,
    gaps,
  };
  console.log(JSON.stringify(result, null, 2));
  if (out !== undefined) writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
}

/** After the postmaster kill, a primary and a secondary in step again before the node-loss run. */
async function waitPrimary(cluster: PgCluster): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const state = await cluster.state();
    if (/\|primary\|primary/.test(state) && /\|secondary\|secondary/.test(state)) return;
    await sleep(100);
  }
  throw new Error(`cluster did not settle: ${await cluster.state()}`);
}

await main();
