/**
 * Scenario (b): saturation. For each target and encoding, offer a doubling write rate in short
 * bounded steps until p99 ack reaches the limit (or writes go unaccepted), refine once between the
 * last pass and the first failure, and keep the highest rate that passed. The same generator and
 * write path run against pos-hub, the bare uWS relay and the Socket.IO relay.
 */
import type { LatencySummary } from '../lib/histogram.js';
import { GeneratorPool } from '../venue/pool.js';
import type { ServerHandle } from '../venue/targets.js';
import { type BenchContext, eachTarget, save, startTarget, withServer } from './context.js';
import { measuredRun, type MeasuredRun } from './measure.js';
import type { SaturationTarget } from './plan.js';

export interface SaturationStep {
  readonly offeredRate: number;
  readonly pass: boolean;
  readonly why: string;
  readonly measured: MeasuredRun;
}

export interface SaturationResult extends SaturationTarget {
  /** Highest accepted writes/s of a passing step (0 when none passed). */
  readonly sustainedPerS: number;
  readonly sustainedAck: LatencySummary | null;
  readonly sustainedPropagation: LatencySummary | null;
  readonly cpuUsPerWrite: number | null;
  readonly peakRssMB: number;
  /** Highest accepted writes/s of any step, latency regardless. */
  readonly peakAcceptedPerS: number;
  /** The first offered rate that failed, used to drive the profile. */
  readonly firstFailRate: number | null;
  readonly generatorCpuUsPerWrite: number | null;
  readonly steps: SaturationStep[];
}

function verdict(m: MeasuredRun, limitMs: number): { pass: boolean; why: string } {
  const r = m.run;
  if (r.accepted === 0) return { pass: false, why: 'nothing accepted' };
  if (r.ack.p99Ms >= limitMs) return { pass: false, why: `p99 ack ${r.ack.p99Ms} ms ≥ ${limitMs} ms` };
  if (r.accepted < 0.95 * r.offered)
    return { pass: false, why: `accepted ${r.accepted} < 95% of offered ${r.offered}` };
  if (r.errorCount > 0.01 * r.offered) return { pass: false, why: `${r.errorCount} errors` };
  return { pass: true, why: 'ok' };
}

async function stepUp(
  ctx: BenchContext,
  pool: GeneratorPool,
  server: ServerHandle,
  spec: SaturationTarget,
): Promise<SaturationStep[]> {
  const p = ctx.plan.saturation;
  const steps: SaturationStep[] = [];
  const runStep = async (rate: number) => {
    const measured = await measuredRun(pool, server, rate, p.stepMs, p.mix, 1500);
    const v = verdict(measured, p.p99LimitMs);
    steps.push({ offeredRate: rate, pass: v.pass, why: v.why, measured });
    ctx.log(
      `  ${spec.target}/${spec.encoding} @${rate}/s: accepted ${measured.run.acceptedPerS}/s, ack p50 ${measured.run.ack.p50Ms} p99 ${measured.run.ack.p99Ms} ms, ${measured.server.cpuUsPerWrite} µs CPU/write → ${v.why}`,
    );
    return v.pass;
  };
  let rate = p.startRate;
  let lastPass: number | null = null;
  let firstFail: number | null = null;
  for (let i = 0; i < p.maxSteps && rate <= p.maxRate; i += 1) {
    if (await runStep(rate)) lastPass = rate;
    else {
      firstFail = rate;
      break;
    }
    rate *= 2;
  }
  if (lastPass !== null && firstFail !== null && steps.length < p.maxSteps)
    await runStep(Math.round(Math.sqrt(lastPass * firstFail)));
  return steps;
}

export async function runSaturationFor(ctx: BenchContext, spec: SaturationTarget): Promise<SaturationResult> {
  const p = ctx.plan.saturation;
  const server = await startTarget(ctx, spec.target);
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
      runId: `${ctx.runTag}s${spec.target}${spec.encoding}`,
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
      const steps = await stepUp(ctx, pool, server, spec);
      const passing = steps
        .filter((s) => s.pass)
        .sort((a, b) => b.measured.run.acceptedPerS - a.measured.run.acceptedPerS);
      const best = passing[0];
      const failed = steps.find((s) => !s.pass);
      return {
        ...spec,
        sustainedPerS: best?.measured.run.acceptedPerS ?? 0,
        sustainedAck: best?.measured.run.ack ?? null,
        sustainedPropagation: best?.measured.run.propagation ?? null,
        cpuUsPerWrite: best?.measured.server.cpuUsPerWrite ?? null,
        peakRssMB: Math.max(...steps.map((s) => s.measured.server.peakRssMB)),
        peakAcceptedPerS: Math.max(...steps.map((s) => s.measured.run.acceptedPerS)),
        firstFailRate: failed?.offeredRate ?? null,
        generatorCpuUsPerWrite:
          best !== undefined && best.measured.run.accepted > 0
            ? Math.round((best.measured.run.generatorCpuMs * 1000) / best.measured.run.accepted)
            : null,
        steps,
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
    'The ceilings (uws-ceiling, socketio-peer) decode and re-encode each frame but validate nothing and store nothing.',
  ]);
  return results;
}
