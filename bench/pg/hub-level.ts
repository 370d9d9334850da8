/**
 * The write path through a whole hub on each store: the saturation scenario's generator (20 terminals,
 * lease once then snapshots, fan-out to the others) against a child-process hub on SQLite and one with
 * HUB_STORE=postgres on the cluster, stepped by the same rules as the store level (saturate.ts); CPU per
 * write is the hub process plus the data nodes' Postgres. Before stepping, a warm-up must move the
 * cluster's seq counter by about the writes the hub acked: a hub whose writer still commits to its local
 * SQLite file (before issue 18 item 1 landed) is reported as not measured, with what was seen.
 * Then the hub-level failover gap: one terminal writing one order, one request in flight, resending a
 * refused or unanswered write with the same mutation id; the primary's postmaster is killed with SIGKILL
 * and the gap is the last ack before the kill → the first ack of a write sent after it.
 */
import WebSocket from 'ws';
import type { PgCluster } from '../../test/helpers/pg-cluster.js';
import { monoUs, sleep } from '../lib/clock.js';
import type { BenchContext } from '../scenarios/context.js';
import { measuredRun } from '../scenarios/measure.js';
import { GeneratorPool } from '../venue/pool.js';
import { startHub, type ServerHandle } from '../venue/targets.js';
import { sampleClusterCpu } from './cluster-cpu.js';
import { seqCounter } from './cluster-sql.js';
import { gapOf, type AckMark, type Gap } from './figures.js';
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

async function role(hub: ServerHandle): Promise<unknown> {
  try {
    const res = await fetch(`${hub.httpUrl}/health`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as Record<string, unknown>;
    return body.hub ?? body.role ?? body.cluster ?? null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export interface HubGap extends Gap {
  readonly notMeasured: string | null;
  readonly acked: number;
  readonly resent: number;
  readonly errors: Record<string, number>;
  readonly primaryBefore: string | null;
  readonly primaryAfter: string | null;
}

interface GapPlan {
  readonly warmMs: number;
  readonly limitMs: number;
  /** Pause between an ack and the next write. */
  readonly paceMs: number;
}

/** A write unanswered for this long is sent again (same mutation id). */
const RESEND_AFTER_MS = 3000;
/** After a refusal (a retryable ERROR) or a lost socket, before trying again. */
const RETRY_PAUSE_MS = 100;

export async function hubFailoverGap(ctx: BenchContext, cluster: PgCluster, plan: GapPlan): Promise<HubGap> {
  const victim = await cluster.primary();
  const hub = await startHub({ odooUrl: ctx.odooUrl, env: pgHubEnv(cluster) });
  const acks: AckMark[] = [];
  const errors: Record<string, number> = {};
  let resent = 0;
  let faultUs: number | null = null;
  try {
    const writer = new GapWriter(hub.url, `bench-${ctx.runTag}-gap`, `Order ${ctx.runTag}-gap`);
    const started = Date.now();
    const recovered = (): boolean => faultUs !== null && acks.some((a) => a.startedUs > faultUs!);
    while (!recovered() && Date.now() - started < plan.warmMs + plan.limitMs) {
      if (faultUs === null && Date.now() - started >= plan.warmMs) {
        faultUs = monoUs();
        if (victim !== null) await cluster.fault('kill', victim);
      }
      const outcome = await writer.writeOnce(RESEND_AFTER_MS);
      if (outcome.kind === 'acked') {
        acks.push({ atUs: outcome.atUs, startedUs: outcome.sentUs });
        await sleep(plan.paceMs);
      } else {
        errors[outcome.why] = (errors[outcome.why] ?? 0) + 1;
        resent += 1;
        await sleep(RETRY_PAUSE_MS);
      }
    }
    writer.close();
    if (faultUs === null || acks.length === 0)
      return {
        notMeasured: `no write was acked before the fault (errors ${JSON.stringify(errors)})`,
        gapMs: null,
        faultToFirstAckMs: null,
        acked: acks.length,
        resent,
        errors,
        primaryBefore: victim,
        primaryAfter: await cluster.primary(),
      };
    return {
      notMeasured: null,
      ...gapOf(acks, faultUs),
      acked: acks.length,
      resent,
      errors,
      primaryBefore: victim,
      primaryAfter: await cluster.primary(),
    };
  } finally {
    await hub.stop();
  }
}

type WriteOutcome =
  | { readonly kind: 'acked'; readonly sentUs: number; readonly atUs: number }
  | { readonly kind: 'failed'; readonly why: string };

/**
 * One terminal writing one order over a raw socket: signs in (dev auth, loopback), leases the order, then
 * each writeOnce sends the next version's snapshot and waits for its ORDER_ACK. A write that failed is sent
 * again with the same mutation id and base version, so an in-doubt commit is answered, not applied twice.
 */
class GapWriter {
  private ws: WebSocket | null = null;
  private ready: Promise<void> | null = null;
  private version = 0;
  private mutation = 0;
  private pendingId: string | null = null;
  private waiter: ((m: Record<string, unknown> | null) => void) | null = null;

  constructor(
    private readonly url: string,
    private readonly deviceId: string,
    private readonly posReference: string,
  ) {}

  private connect(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      let stage: 'auth' | 'sync' | 'lease' | 'open' = 'auth';
      ws.on('open', () => ws.send(JSON.stringify({ type: 'AUTH', token: '', deviceId: this.deviceId })));
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        if (stage === 'auth' && m.type === 'AUTH_OK') stage = 'sync';
        else if (stage === 'sync' && (m.type === 'SYNC_INIT' || m.type === 'SYNC_RESUME')) {
          const orders = (m.orders as { posReference: string; version: number }[] | undefined) ?? [];
          this.version = Math.max(this.version, orders.find((o) => o.posReference === this.posReference)?.version ?? 0);
          stage = 'lease';
          ws.send(
            JSON.stringify({
              type: 'LEASE_ACQUIRE',
              posReference: this.posReference,
              baseVersion: this.version,
              tableId: 1,
            }),
          );
        } else if (
          stage === 'lease' &&
          (m.type === 'LEASE_GRANTED' || m.type === 'ERROR' || m.type === 'LEASE_DENIED')
        ) {
          if (m.type !== 'LEASE_GRANTED') reject(new Error(`lease refused: ${JSON.stringify(m)}`));
          else {
            stage = 'open';
            resolve();
          }
        } else if (stage === 'open') this.waiter?.(m);
      });
      const lost = (): void => {
        reject(new Error('socket closed'));
        this.ready = null;
        this.ws = null;
        this.waiter?.(null);
      };
      ws.on('close', lost);
      ws.on('error', lost);
    });
    return this.ready;
  }

  async writeOnce(limitMs: number): Promise<WriteOutcome> {
    try {
      await this.connect();
    } catch (error) {
      return { kind: 'failed', why: `connect: ${error instanceof Error ? error.message : String(error)}` };
    }
    this.pendingId ??= `${this.deviceId}-w${++this.mutation}`;
    const mutationId = this.pendingId;
    const sentUs = monoUs();
    const answer = new Promise<Record<string, unknown> | null | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), limitMs);
      this.waiter = (m) => {
        if (m !== null && m.mutationId !== mutationId && m.type !== 'ERROR') return;
        clearTimeout(timer);
        this.waiter = null;
        resolve(m);
      };
    });
    this.ws?.send(
      JSON.stringify({
        type: 'ORDER_SNAPSHOT',
        posReference: this.posReference,
        baseVersion: this.version,
        mutationId,
        snapshot: gapSnapshot(this.posReference, mutationId),
      }),
    );
    const m = await answer;
    if (m === 'timeout') return { kind: 'failed', why: 'no answer' };
    if (m === null) return { kind: 'failed', why: 'socket closed' };
    if (m.type === 'ORDER_ACK') {
      this.version = Number(m.version);
      this.pendingId = null;
      return { kind: 'acked', sentUs, atUs: monoUs() };
    }
    const code = typeof m.code === 'string' ? m.code : '';
    return { kind: 'failed', why: `${String(m.type)} ${code}`.trim() };
  }

  close(): void {
    this.ws?.close(1000);
  }
}

function gapSnapshot(posReference: string, staffName: string): Record<string, unknown> {
  return {
    posReference,
    tableId: 1,
    state: 'editing',
    kitchenStatus: 'open',
    sessionId: 1,
    userId: 1,
    staffName,
    lines: [],
    payments: [],
    amountTotal: 0,
    amountTax: 0,
    amountPaid: 0,
    amountReturn: 0,
    createdAt: '2026-01-01T10:00:00.000Z',
  };
}
