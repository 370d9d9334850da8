/**
 * Scenario `pg` (opt-in: `--only pg`, `npm run bench:pg`): issue 18's benchmark. In one run it starts a
 * pg_auto_failover cluster on loopback (monitor + two nodes, synchronous standby, the tuned timeouts of
 * docs/ha.md) and measures the write path on PostgreSQL next to SQLite: ack p50/p99 at 125 writes/s
 * offered, the sustained writes/s with p99 ack < 10 ms, and CPU per write counting Postgres's processes
 * — first at the store port (writer-like group commits, bench/pg/store-load.ts), then through whole hubs
 * (bench/pg/hub-level.ts, once the writer commits to Postgres) — and the failover gap: kill -9 of the
 * primary's postmaster under steady writes, at the store and through a hub.
 * Not part of the default run: the cluster alone takes 25–90 s to create on a 2-core box, and it needs
 * the Debian packages postgresql-15 and postgresql-15-auto-failover and root (or the postgres user).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgStore } from '../../src/adapters/postgres/store.js';
import { SqliteStorePort } from '../../src/adapters/sqlite/store-port.js';
import type { HubStorePort } from '../../src/ports/store.js';
import { startPgCluster, type PgCluster } from '../../test/helpers/pg-cluster.js';
import { sleep } from '../lib/clock.js';
import { table } from '../lib/results.js';
import { clusterCpuOver, sampleClusterCpu } from '../pg/cluster-cpu.js';
import { storeFailoverGap, type StoreGap } from '../pg/failover-gap.js';
import { comparisonTable, cpuSplit } from '../pg/figures.js';
import { hubFailoverGap, LEADS_BY_NODE, type HubGap } from '../pg/hub-gap.js';
import { hubSide, type HubSide } from '../pg/hub-level.js';
import { figuresOf, stepUp, type JudgedStep, type StoreFigures } from '../pg/saturate.js';
import { GroupCommitter, measureStep, NO_EXTERNAL_CPU, type ExternalCpu } from '../pg/store-load.js';
import { snapshotUnits } from '../pg/units.js';
import { type BenchContext, save } from './context.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
/** After a failover the old primary rejoins as a standby (pg_rewind); the next fault waits for that. */
const SETTLE_LIMIT_MS = 120_000;

export interface StoreSide {
  readonly store: 'sqlite' | 'postgres';
  readonly figures: StoreFigures;
  readonly steps: readonly JudgedStep[];
}

export interface PgResult {
  readonly clusterUpMs: number;
  readonly settings: 'tuned';
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** The idle cluster over plan.idleMs: % of one core. */
  readonly idleCluster: { readonly postgresPercent: number; readonly agentsPercent: number };
  readonly storeLevel: { readonly sqlite: StoreSide | null; readonly postgres: StoreSide | null };
  readonly hubLevel: { readonly sqlite: HubSide | null; readonly postgres: HubSide | null };
  readonly storeGap: StoreGap | null;
  readonly hubGap: HubGap | null;
  readonly markdown: string;
}

/** What is missing to run the scenario here, or null. pg_autoctl is looked up as scripts/ha/cluster.sh runs it. */
export function pgPrerequisite(): string | null {
  const path = [PG_BIN, ...(process.env.PATH ?? '').split(':')].filter(Boolean);
  if (!existsSync(join(PG_BIN, 'postgres')) || !path.some((dir) => existsSync(join(dir, 'pg_autoctl'))))
    return `PostgreSQL 15 (${PG_BIN}/postgres) or pg_autoctl not found: install the Debian packages postgresql-15 and postgresql-15-auto-failover`;
  if (process.getuid?.() !== 0 && process.env.USER !== 'postgres')
    return 'the cluster runs as the postgres user: run the pg scenario as root (it uses runuser) or as postgres';
  return null;
}

async function storeSide(ctx: BenchContext, engine: 'sqlite' | 'postgres', cluster: PgCluster): Promise<StoreSide> {
  const p = ctx.plan.pg.store;
  let store: HubStorePort;
  let external: ExternalCpu = NO_EXTERNAL_CPU;
  let dir: string | null = null;
  if (engine === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'pos-hub-bench-pg-sqlite-'));
    store = SqliteStorePort.open({ path: join(dir, 'hub.sqlite'), sync: 'full' });
  } else {
    store = await PgStore.open({ url: cluster.url });
    external = { sample: () => sampleClusterCpu(cluster.base) };
  }
  const committer = new GroupCommitter(store);
  try {
    const source = snapshotUnits(`${ctx.runTag}${engine === 'sqlite' ? 's' : 'p'}`, p.tables);
    // Warm-up: the JIT, the statement caches and the connection see the write path before it is timed.
    await measureStep(committer, source, external, p.startRate, Math.min(1000, p.stepMs), p.drainMs);
    const steps = await stepUp(
      p,
      (rate) => measureStep(committer, source, external, rate, p.stepMs, p.drainMs),
      (s) =>
        ctx.log(
          `  store ${engine} @${s.offeredRate}/s: acked ${s.ackedPerS}/s, ack p50 ${s.ack.p50Ms} p99 ${s.ack.p99Ms} ms, ${s.unitsPerCommit} writes/commit, ${s.cpuUsPerWrite} µs CPU/write (process ${s.cpuMs.process} ms, Postgres ${s.cpuMs.postgres} ms) → ${s.why}`,
        ),
    );
    return { store: engine, figures: figuresOf(steps), steps };
  } finally {
    committer.stop();
    // The hubs that follow start on an empty store, not on these orders (reset keeps seq and epochs).
    if (engine === 'postgres') await store.reset();
    await store.close();
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

/** Empty the cluster's store (keeping seq and epochs) so the next phase starts on no orders. */
async function wipe(cluster: PgCluster): Promise<void> {
  const store = await PgStore.open({ url: cluster.url, connectTimeoutMs: 2000 });
  try {
    await store.reset();
  } finally {
    await store.close();
  }
}

/**
 * Both nodes back in step (primary + secondary) after a failover and the store emptied on the primary, or
 * false after the limit. The monitor's state lags the fault: right after a kill -9 it may still read
 * primary/secondary while the postmaster is down, so only a wipe that went through counts.
 */
async function settledAndWiped(cluster: PgCluster, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const state = await cluster.state().catch(() => '');
    if (/\|primary\|primary/.test(state) && /\|secondary\|secondary/.test(state)) {
      const wiped = await wipe(cluster).then(
        () => true,
        () => false,
      );
      if (wiped) return true;
    }
    await sleep(250);
  }
  return false;
}

export async function runPg(ctx: BenchContext): Promise<PgResult> {
  const missing = pgPrerequisite();
  if (missing !== null) throw new Error(`pg: ${missing}`);
  const plan = ctx.plan.pg;
  const loadStart = loadavg().map((l) => Math.round(l * 100) / 100);
  ctx.log(
    'pg: creating a pg_auto_failover cluster on loopback (monitor + two nodes, synchronous standby, tuned timeouts)',
  );
  const upStarted = Date.now();
  const cluster = await startPgCluster('tuned');
  const clusterUpMs = Date.now() - upStarted;
  try {
    ctx.log(`  cluster up in ${(clusterUpMs / 1000).toFixed(1)} s: ${cluster.url}`);
    const idle = await clusterCpuOver(cluster.base, () => sleep(plan.idleMs));
    const idleCluster = {
      postgresPercent: Math.round((idle.cpu.postgresMs / idle.cpu.elapsedMs) * 1000) / 10,
      agentsPercent: Math.round((idle.cpu.agentsMs / idle.cpu.elapsedMs) * 1000) / 10,
    };
    ctx.log(
      `  idle cluster: Postgres ${idleCluster.postgresPercent} %, HA agents ${idleCluster.agentsPercent} % of a core`,
    );
    const attempt = async <T>(what: string, body: () => Promise<T>): Promise<T | null> => {
      try {
        return await body();
      } catch (error) {
        ctx.fail(`pg ${what}`, error);
        return null;
      }
    };
    const storeLevel = {
      sqlite: await attempt('store sqlite', () => storeSide(ctx, 'sqlite', cluster)),
      postgres: await attempt('store postgres', () => storeSide(ctx, 'postgres', cluster)),
    };
    const hubPlan = {
      ...ctx.plan.saturation,
      maxSteps: plan.hub.maxSteps,
      maxRate: plan.hub.maxRate,
      p99LimitMs: plan.store.p99LimitMs,
    };
    const hubLevel = plan.hub.enabled
      ? {
          sqlite: await attempt('hub sqlite', () => hubSide(ctx, hubPlan, 'sqlite', null)),
          postgres: await attempt('hub postgres', () => hubSide(ctx, hubPlan, 'postgres', cluster)),
        }
      : { sqlite: null, postgres: null };
    if (hubLevel.postgres?.notMeasured != null)
      ctx.log(`  hub on postgres not measured: ${hubLevel.postgres.notMeasured}`);
    ctx.log(`  failover at the store: ${plan.gap.rate} writes/s, kill -9 of the primary's postmaster`);
    const storeGap = await attempt('store failover gap', () =>
      storeFailoverGap(
        cluster,
        { rate: plan.gap.rate, warmMs: plan.gap.warmMs, limitMs: plan.gap.limitMs },
        `${ctx.runTag}g`,
      ),
    );
    if (storeGap !== null)
      ctx.log(
        `  store gap ${storeGap.gapMs} ms (fault → first ack ${storeGap.faultToFirstAckMs} ms), ${storeGap.primaryBefore} → ${storeGap.primaryAfter}, ${storeGap.acked} acked, ${storeGap.ackedMissing} acked missing`,
      );
    let hubGap: HubGap | null = null;
    if (hubLevel.postgres !== null && hubLevel.postgres.notMeasured === null) {
      if (await settledAndWiped(cluster, SETTLE_LIMIT_MS)) {
        ctx.log(
          `  failover through ${LEADS_BY_NODE ? 'the hubs: a hub beside each data node' : 'one hub'}, one terminal writing, kill -9 of the primary postmaster`,
        );
        hubGap = await attempt('hub failover gap', () => hubFailoverGap(ctx, cluster, plan.gap));
        if (hubGap !== null)
          ctx.log(
            hubGap.notMeasured === null
              ? `  hub gap ${hubGap.gapMs} ms (fault → first ack ${hubGap.faultToFirstAckMs} ms), ${hubGap.acked} acked, resent ${hubGap.resent}: ${JSON.stringify(hubGap.errors)}`
              : `  hub gap not measured: ${hubGap.notMeasured}`,
          );
      } else ctx.fail('pg hub failover gap', new Error(`the cluster did not settle: ${await cluster.state()}`));
    }
    const partial = {
      clusterUpMs,
      settings: 'tuned' as const,
      loadAverage: { start: loadStart, end: loadavg().map((l) => Math.round(l * 100) / 100) },
      idleCluster,
      storeLevel,
      hubLevel,
      storeGap,
      hubGap,
    };
    const result: PgResult = { ...partial, markdown: renderPg(ctx, partial) };
    save(ctx, 'pg', plan, result, [
      'Store level: the SqliteStorePort (WAL, synchronous=FULL) and the PgStore (synchronous_commit=on, one synchronous standby) driven by the same writer-like group committer with the same snapshot units (order row, ORDER_UPDATED event, remembered ack).',
      "CPU per write: the process the store client runs in (the bench at store level, the hub at hub level; all threads) plus both data nodes' postmaster trees (backends, WAL sender and receiver, background workers, reaped children). The keepers and the monitor poll on a clock: reported as % of a core, not per write.",
      'Latencies are wall-clock and inflated by whatever else runs on the box (see loadAverage); CPU per write is CPU time and steadier.',
      'Failover gap: last ack before kill -9 of the primary postmaster → first ack of a commit (store) or write (hub) sent after it. Through the hubs: one hub beside each data node (HUB_PG_NODE); the terminal moves to the other hub on NOT_LEADER or a lost socket and resends with the same mutation id.',
    ]);
    return result;
  } finally {
    await cluster.close();
  }
}

/** The two most frequent refusals, as `count × what`. */
function topErrors(errors: Readonly<Record<string, number>>): string {
  const top = Object.entries(errors)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 2);
  return top.length === 0 ? 'no refusal seen' : top.map(([what, n]) => `${n} × ${what}`).join(', ');
}

const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? '—' : `${(v / 1000).toFixed(1)} s`;

export function renderPg(ctx: BenchContext, r: Omit<PgResult, 'markdown'>): string {
  const limit = ctx.plan.pg.store.p99LimitMs;
  const parts: string[] = [
    `Run of ${ctx.startedAt} (mode \`${ctx.plan.mode}\`) on ${ctx.machine.cpuModel}, ${ctx.machine.cores} cores, Node ${ctx.machine.node}; load average ${r.loadAverage.start.join(' / ')} at the start and ${r.loadAverage.end.join(' / ')} at the end (1 / 5 / 15 min). Cluster: monitor + two nodes on loopback, synchronous standby, tuned timeouts, created in ${ms(r.clusterUpMs)}. Latencies are wall clock (the box's load shows in them); CPU per write is CPU time.`,
    '',
    '#### At the store port (writer-like group commits of the same snapshot units)',
    '',
    comparisonTable(
      { sqlite: r.storeLevel.sqlite?.figures ?? null, postgres: r.storeLevel.postgres?.figures ?? null },
      limit,
    ),
    '',
    `CPU at the busiest step kept up with — SQLite: ${cpuSplit(r.storeLevel.sqlite?.figures ?? null)}; Postgres: ${cpuSplit(r.storeLevel.postgres?.figures ?? null)}. Idle cluster: Postgres ${r.idleCluster.postgresPercent} %, keepers + monitor ${r.idleCluster.agentsPercent} % of a core.`,
    '',
    '#### Through a hub (the saturation generator, JSON, 20 terminals)',
    '',
  ];
  const hubPg = r.hubLevel.postgres;
  if (r.hubLevel.sqlite === null && hubPg === null)
    parts.push('Not run (plan.pg.hub.enabled is false, or both hubs failed: see the failures).');
  else {
    parts.push(
      comparisonTable({ sqlite: r.hubLevel.sqlite?.figures ?? null, postgres: hubPg?.figures ?? null }, limit),
    );
    if (hubPg?.notMeasured != null) parts.push('', `Hub on Postgres not measured: ${hubPg.notMeasured}.`);
  }
  parts.push('', '#### Failover gap (kill -9 of the primary postmaster, keeper alive, tuned timeouts)', '');
  const gapRows: (string | number)[][] = [];
  const sg = r.storeGap;
  if (sg !== null)
    gapRows.push([
      `store port, ${sg.rate} writes/s`,
      ms(sg.gapMs),
      ms(sg.faultToFirstAckMs),
      `${sg.primaryBefore} → ${sg.primaryAfter ?? '—'}`,
      `${sg.acked} acked, ${sg.ackedMissing ?? '—'} of them missing after`,
    ]);
  const hg = r.hubGap;
  if (hg !== null)
    gapRows.push([
      hg.hubs === 2
        ? 'through the hubs (one beside each node), one terminal, one write in flight'
        : 'through one hub (its writer follows the promoted node), one terminal, one write in flight',
      ms(hg.gapMs),
      ms(hg.faultToFirstAckMs),
      `${hg.primaryBefore ?? '—'} → ${hg.primaryAfter ?? '—'}`,
      `${hg.acked} acked, ${hg.resent} resent${hg.notMeasured === null ? '' : `; ${hg.notMeasured}`}${hg.gapMs === null && hg.notMeasured === null ? `; no ack within ${ms(ctx.plan.pg.gap.limitMs)} of the fault: ${topErrors(hg.errors)}` : ''}`,
    ]);
  else if (hubPg !== null && hubPg.notMeasured !== null)
    gapRows.push(['through a hub', '—', '—', '—', 'not measured (the hub on Postgres was not measured)']);
  parts.push(
    gapRows.length === 0
      ? 'Not measured (see the failures).'
      : table(['where', 'longest silence from the last ack before', 'fault → its end', 'primary', 'writes'], gapRows),
  );
  return parts.join('\n');
}
