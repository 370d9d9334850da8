/**
 * Scenario (b): saturation. For each target and encoding, offer a doubling write rate in short
 * bounded steps until p99 ack reaches the limit (or writes go unaccepted), refine once between the
 * last pass and the first failure, and keep the highest rate that passed. The same generator and
 * write path run against pos-hub, the bare uWS relay and the Socket.IO relay.
 */
import { variantLabel } from '../ceilings/floor-wire.js';
import type { LatencySummary } from '../lib/histogram.js';
import { GeneratorPool } from '../venue/pool.js';
import type { ServerHandle } from '../venue/targets.js';
import { type BenchContext, eachTarget, save, startTarget, withServer } from './context.js';
import { measuredRun, type MeasuredRun } from './measure.js';
import type { SaturationTarget } from './plan.js';
import { budgetLine } from './ack-budget.js';
import { scrapeStages, StageWindow, type StageFigure } from './stages.js';

export interface SaturationStep {
  readonly offeredRate: number;
  /** p99 ack under the limit, ≥ 95 % accepted, errors ≤ 1 %. */
  readonly pass: boolean;
  /** Not saturated: ≥ 90 % accepted and p99 under a hard 1 s cap. */
  readonly keepsUp: boolean;
  readonly why: string;
  readonly measured: MeasuredRun;
}

export interface SaturationResult extends SaturationTarget {
  /** Highest accepted writes/s of a passing step (0 when none passed). */
  readonly sustainedPerS: number;
  readonly sustainedAck: LatencySummary | null;
  readonly sustainedPropagation: LatencySummary | null;
  /** Server CPU (all threads) per accepted write at the busiest step kept up with, µs. */
  readonly cpuUsPerWrite: number | null;
  readonly peakRssMB: number;
  /** Highest accepted writes/s of any step, latency regardless. */
  readonly peakAcceptedPerS: number;
  /** Highest accepted writes/s of a step that kept up, p99 limit or not. */
  readonly keepsUpPerS: number;
  /** The offered rate at which the target stopped keeping up (null: it never did), used to drive the profile. */
  readonly firstFailRate: number | null;
  /** Generator CPU (all processes) per accepted write at the busiest step kept up with, µs. */
  readonly generatorCpuUsPerWrite: number | null;
  /** CPU use at the saturating step (% of one core): the server's (all threads) and the generator's (all processes). Whichever is larger bounds the figure on a 2-core box. */
  readonly atSaturation: { readonly serverCpuPercent: number; readonly generatorCpuPercent: number } | null;
  readonly steps: SaturationStep[];
  /** pos-hub only: its per-stage latencies (pos_hub_write_stage_seconds) over every step, read from /metrics; null when unreadable. */
  readonly stages?: StageFigure[] | null;
}

/** The target's name in logs and run ids: a floor variant is named by its topology and seam. */
export const targetLabel = (spec: SaturationTarget): string =>
  spec.floor === undefined ? spec.target : `floor-${variantLabel(spec.floor)}`;

/** Keeping up: ≥ 90 % of offered writes accepted, errors ≤ 1 %, p99 under a hard cap. Below this the target is saturated. */
const KEEP_UP_SHARE = 0.9;
const HARD_P99_MS = 1000;

function verdict(m: MeasuredRun, limitMs: number): { pass: boolean; keepsUp: boolean; why: string } {
  const r = m.run;
  if (r.accepted === 0) return { pass: false, keepsUp: false, why: 'nothing accepted' };
  if (r.errorCount > 0.01 * r.offered) return { pass: false, keepsUp: false, why: `${r.errorCount} errors` };
  if (r.accepted < KEEP_UP_SHARE * r.offered)
    return { pass: false, keepsUp: false, why: `saturated: accepted ${r.accepted} < 90% of offered ${r.offered}` };
  if (r.ack.p99Ms >= HARD_P99_MS) return { pass: false, keepsUp: false, why: `saturated: p99 ack ${r.ack.p99Ms} ms` };
  if (r.ack.p99Ms >= limitMs) return { pass: false, keepsUp: true, why: `p99 ack ${r.ack.p99Ms} ms ≥ ${limitMs} ms` };
  if (r.accepted < 0.95 * r.offered)
    return { pass: false, keepsUp: true, why: `accepted ${r.accepted} < 95% of offered ${r.offered}` };
  return { pass: true, keepsUp: true, why: 'ok' };
}

/**
 * Double the rate until the target stops keeping up (so a noisy box that misses the p99 limit early
 * still yields a throughput figure), then refine once between the last pass and the first miss.
 */
async function stepUp(
  ctx: BenchContext,
  pool: GeneratorPool,
  server: ServerHandle,
  spec: SaturationTarget,
  stageWindow: StageWindow | undefined,
): Promise<SaturationStep[]> {
  const p = ctx.plan.saturation;
  const steps: SaturationStep[] = [];
  const runStep = async (rate: number) => {
    const measured = await measuredRun(pool, server, rate, p.stepMs, p.mix, 1500, stageWindow);
    const v = verdict(measured, p.p99LimitMs);
    steps.push({ offeredRate: rate, pass: v.pass, keepsUp: v.keepsUp, why: v.why, measured });
    ctx.log(
      `  ${targetLabel(spec)}/${spec.encoding} @${rate}/s: accepted ${measured.run.acceptedPerS}/s, ack p50 ${measured.run.ack.p50Ms} p99 ${measured.run.ack.p99Ms} ms, ${measured.server.cpuUsPerWrite} µs CPU/write → ${v.why}`,
    );
    ctx.log(
      `    ${budgetLine(measured.ackBudget, measured.threads)}; CPU pressure ${measured.cpuPressurePercent ?? '—'}%`,
    );
    return v;
  };
  let rate = p.startRate;
  let lastPass: number | null = null;
  let firstMiss: number | null = null;
  for (let i = 0; i < p.maxSteps && rate <= p.maxRate; i += 1) {
    const v = await runStep(rate);
    // Refine between the highest pass and the miss right above it (a noisy early miss does not count).
    if (v.pass) {
      lastPass = rate;
      firstMiss = null;
    } else firstMiss ??= rate;
    if (!v.keepsUp) break;
    rate *= 2;
  }
  if (lastPass !== null && firstMiss !== null && firstMiss > lastPass && steps.length < p.maxSteps)
    await runStep(Math.round(Math.sqrt(lastPass * firstMiss)));
  return steps;
}

async function openWindow(ctx: BenchContext, server: ServerHandle): Promise<StageWindow | undefined> {
  try {
    return await StageWindow.open(server.httpUrl);
  } catch (error) {
    ctx.log(`  stages per step: /metrics not readable: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** The hub's own per-stage figures after the steps; a failed scrape is logged, not fatal to the scenario. */
async function readStages(ctx: BenchContext, server: ServerHandle): Promise<StageFigure[] | null> {
  try {
    return await scrapeStages(server.httpUrl);
  } catch (error) {
    ctx.log(`  stages: /metrics not readable: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

export async function runSaturationFor(ctx: BenchContext, spec: SaturationTarget): Promise<SaturationResult> {
  const p = ctx.plan.saturation;
  const server = await startTarget(ctx, spec.target, spec.floor === undefined ? {} : { floor: spec.floor });
  return withServer(server, async () => {
    const target =
      spec.target === 'socketio-peer'
        ? ({ kind: 'socketio', url: server.url } as const)
        : ({ kind: 'ws', url: server.url, encoding: spec.encoding } as const);
    const pool = GeneratorPool.start({
      script: ctx.scripts.generator,
      processes: ctx.plan.processes,
      terminals: p.terminals,
      tables: p.tables,
      target,
      runId: `${ctx.runTag}s${targetLabel(spec).replace(/[^A-Za-z0-9-]/g, '')}${spec.encoding}`,
      sampleEvery: p.sampleEvery,
    });
    try {
      const connect = await pool.connect();
      if (connect.failed > 0)
        throw new Error(
          `${spec.target}: ${connect.failed} terminals failed to connect: ${JSON.stringify(connect.errors)}`,
        );
      // One short warm-up so leases exist and the JIT has seen the write path.
      await pool.run(p.startRate, Math.min(1000, p.stepMs), p.mix, 1000);
      // The hub's stages per step (one /metrics refresh after each): where that step's ack went.
      const stageWindow = spec.target === 'pos-hub' ? await openWindow(ctx, server) : undefined;
      const steps = await stepUp(ctx, pool, server, spec, stageWindow);
      const stages = spec.target === 'pos-hub' ? await readStages(ctx, server) : undefined;
      const passing = steps
        .filter((s) => s.pass)
        .sort((a, b) => b.measured.run.acceptedPerS - a.measured.run.acceptedPerS);
      const best = passing[0];
      const failed = steps.find((s) => !s.keepsUp);
      // CPU per write is read at the busiest step the target kept up with: its capacity point.
      const top = steps
        .filter((s) => s.keepsUp)
        .sort((a, b) => b.measured.run.acceptedPerS - a.measured.run.acceptedPerS)[0];
      return {
        ...spec,
        sustainedPerS: best?.measured.run.acceptedPerS ?? 0,
        sustainedAck: best?.measured.run.ack ?? null,
        sustainedPropagation: best?.measured.run.propagation ?? null,
        cpuUsPerWrite: top?.measured.server.cpuUsPerWrite ?? null,
        peakRssMB: Math.max(...steps.map((s) => s.measured.server.peakRssMB)),
        peakAcceptedPerS: Math.max(...steps.map((s) => s.measured.run.acceptedPerS)),
        keepsUpPerS: Math.max(0, ...steps.filter((s) => s.keepsUp).map((s) => s.measured.run.acceptedPerS)),
        atSaturation:
          failed === undefined
            ? null
            : {
                serverCpuPercent: failed.measured.server.cpuPercentOfCore,
                generatorCpuPercent:
                  failed.measured.run.elapsedMs > 0
                    ? Math.round((failed.measured.run.generatorCpuMs / failed.measured.run.elapsedMs) * 1000) / 10
                    : 0,
              },
        firstFailRate: failed?.offeredRate ?? null,
        generatorCpuUsPerWrite:
          top !== undefined && top.measured.run.accepted > 0
            ? Math.round((top.measured.run.generatorCpuMs * 1000) / top.measured.run.accepted)
            : null,
        steps,
        ...(stages === undefined ? {} : { stages }),
      };
    } finally {
      await pool.close();
    }
  });
}

export async function runSaturation(ctx: BenchContext): Promise<SaturationResult[]> {
  const p = ctx.plan.saturation;
  ctx.log(
    `saturation: ${p.terminals} terminals, ${p.tables} tables, steps of ${p.stepMs} ms from ${p.startRate}/s, p99 ack < ${p.p99LimitMs} ms`,
  );
  const results = await eachTarget(
    ctx,
    'saturation',
    p.targets,
    (s) => `${s.target}/${s.encoding}`,
    (spec) => runSaturationFor(ctx, spec),
  );
  save(ctx, 'saturation', { ...p, processes: ctx.plan.processes }, results, [
    'Write path only: one LEASE_ACQUIRE per order, then ORDER_SNAPSHOT → ORDER_ACK, one request in flight per order; every other terminal receives ORDER_UPDATED (fan-out = terminals − 1).',
    'A step passes when p99 ack < the limit, ≥ 95% of offered writes are accepted and errors ≤ 1% of offered.',
    'Stepping goes on past a p99 miss while the target keeps up (≥ 90% accepted, p99 < 1 s), so throughput is found even when a noisy box misses the latency limit.',
    'The ceilings (uws-ceiling, socketio-peer) decode and re-encode each frame but validate nothing and store nothing.',
  ]);
  return results;
}
