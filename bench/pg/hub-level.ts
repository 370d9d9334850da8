/**
 * The write path through a whole hub on each store: the saturation scenario's generator (20 terminals,
 * lease once then snapshots, fan-out to the others) against a child-process hub on SQLite and one with
 * HUB_STORE=postgres on the cluster, stepped by the same rules as the store level (saturate.ts); CPU per
 * write is the hub process plus the data nodes' Postgres. Before stepping, a warm-up must move the
 * cluster's seq counter by about the writes the hub acked: a hub whose writer still commits to its local
 * SQLite file (before issue 18 item 1 landed) is reported as not measured, with what was seen.
 * The hub-level failover gap is hub-gap.ts.
 */
import type { PgCluster } from '../../test/helpers/pg-cluster.js';
import { sleep } from '../lib/clock.js';
import type { BenchContext } from '../scenarios/context.js';
import { measuredRun } from '../scenarios/measure.js';
import { GeneratorPool } from '../venue/pool.js';
import { startHub, type ServerHandle } from '../venue/targets.js';
import { sampleClusterCpu } from './cluster-cpu.js';
import { seqCounter } from './cluster-sql.js';
import { figuresOf, stepUp, type JudgedStep, type StepPlan, type StoreFigures } from './saturate.js';
import type { StoreStep } from './store-load.js';

export interface HubSide {
  readonly store: 'sqlite' | 'postgres';
  /** Null when measured; otherwise why not. */
  readonly notMeasured: string | null;
  readonly figures: StoreFigures | null;
  readonly steps: readonly JudgedStep[];
}

export interface HubPlan extends StepPlan {
  readonly terminals: number;
  readonly tables: number;
  readonly stepMs: number;
  readonly sampleEvery: number;
}

/** A hub on Postgres reads the cluster every 2 s; a takeover within this is expected. */
export const LEADER_LIMIT_MS = 20_000;

/** The saturation scenario's write-path mix: no locks, no finalize, no heartbeats. */
const WRITE_PATH = { lockFraction: 0, finalizeAfter: 0, heartbeatMs: 0 } as const;

export function pgHubEnv(cluster: PgCluster): Record<string, string> {
  return { HUB_STORE: 'postgres', HUB_PG_URL: cluster.url };
}

export async function hubSide(
  ctx: BenchContext,
  plan: HubPlan,
  store: 'sqlite' | 'postgres',
  cluster: PgCluster | null,
): Promise<HubSide> {
  const hub = await startHub({ odooUrl: ctx.odooUrl, ...(cluster === null ? {} : { env: pgHubEnv(cluster) }) });
  try {
    const pool = GeneratorPool.start({
      script: ctx.scripts.generator,
      processes: ctx.plan.processes,
      terminals: plan.terminals,
      tables: plan.tables,
      target: { kind: 'ws', url: hub.url, encoding: 'json' },
      runId: `${ctx.runTag}pg${store}`,
      sampleEvery: plan.sampleEvery,
    });
    try {
      const connect = await pool.connect();
      if (connect.failed > 0)
        return notMeasured(store, `${connect.failed} terminals failed to connect: ${JSON.stringify(connect.errors)}`);
      // Before issue 18's leadership landed a hub on Postgres never says leader: the seq check below tells.
      if (cluster !== null) await waitLeader(hub, LEADER_LIMIT_MS);
      const seqBefore = cluster === null ? null : await seqCounter(cluster);
      const warm = await pool.run(plan.startRate, Math.min(1000, plan.stepMs), WRITE_PATH, 1000);
      if (cluster !== null) {
        const seqAfter = await seqCounter(cluster);
        const moved = seqAfter === null ? 0 : seqAfter - (seqBefore ?? 0);
        if (warm.accepted === 0 || moved < 0.9 * warm.accepted)
          return notMeasured(
            store,
            `the hub's writer does not commit to Postgres: the warm-up acked ${warm.accepted} writes (errors ${JSON.stringify(warm.errors)}) and the cluster's seq moved ${moved} (role in /health: ${JSON.stringify(await role(hub))})`,
          );
      }
      const external = cluster === null ? () => ({ postgresMs: 0, agentsMs: 0 }) : () => sampleClusterCpu(cluster.base);
      const steps = await stepUp(
        plan,
        async (rate) => {
          const ext0 = external();
          const m = await measuredRun(pool, hub, rate, plan.stepMs, WRITE_PATH, 1500);
          const ext1 = external();
          const postgres = ext1.postgresMs - ext0.postgresMs;
          const step: StoreStep = {
            offeredRate: rate,
            offered: m.run.offered,
            acked: m.run.accepted,
            ackedPerS: m.run.acceptedPerS,
            elapsedMs: m.run.elapsedMs,
            ack: m.run.ack,
            commits: 0,
            failedCommits: 0,
            errors: m.run.errorCount,
            unitsPerCommit: 0,
            cpuMs: { process: m.server.cpuMs, postgres, agents: ext1.agentsMs - ext0.agentsMs },
            cpuUsPerWrite:
              m.run.accepted > 0 ? Math.round(((m.server.cpuMs + postgres) * 1000) / m.run.accepted) : null,
          };
          return step;
        },
        (s) =>
          ctx.log(
            `  hub on ${store} @${s.offeredRate}/s: acked ${s.ackedPerS}/s, ack p50 ${s.ack.p50Ms} p99 ${s.ack.p99Ms} ms, ${s.cpuUsPerWrite} µs CPU/write (hub ${s.cpuMs.process} ms, Postgres ${s.cpuMs.postgres} ms) → ${s.why}`,
          ),
      );
      return { store, notMeasured: null, figures: figuresOf(steps), steps };
    } finally {
      await pool.close();
    }
  } finally {
    await hub.stop();
  }
}

function notMeasured(store: 'sqlite' | 'postgres', why: string): HubSide {
  return { store, notMeasured: why, figures: null, steps: [] };
}

/** The /health body's cluster part (role, epoch, leader, replication), or why it could not be read. */
async function role(hub: ServerHandle): Promise<unknown> {
  try {
    const res = await fetch(`${hub.httpUrl}/health`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as Record<string, unknown>;
    return body.cluster ?? body.hub ?? null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The role /health reports (`cluster.role`, else `hub.role`), or null while it cannot be read. */
export async function healthRole(hub: ServerHandle): Promise<string | null> {
  const view = await role(hub);
  if (typeof view !== 'object' || view === null) return null;
  const r = (view as { role?: unknown }).role;
  return typeof r === 'string' ? r : null;
}

/**
 * A hub on Postgres leads only once its cluster read found its own node primary and its takeover is done
 * (a few seconds after start); until then it answers writes NOT_LEADER. True once /health says leader.
 */
export async function waitLeader(hub: ServerHandle, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if ((await healthRole(hub)) === 'leader') return true;
    await sleep(250);
  }
  return false;
}
