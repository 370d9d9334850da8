/**
 * Scenario (a): a busy multi-floor venue at dinner rush against the hub — 60 terminals, 120 tables,
 * the full message mix (leases, snapshots, table locks, heartbeats, finalize through the Odoo
 * simulator when it is available) — and `venue-large`, the same rush in a venue four times larger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monoUs } from '../lib/clock.js';
import { summarizeDir, type ProfileSummary, type SampleWindow } from '../profile/summarize-cpuprofile.js';
import { GeneratorPool } from '../venue/pool.js';
import { type BenchContext, save, startTarget, withServer } from './context.js';
import { measuredRun, type MeasuredRun } from './measure.js';
import type { VenuePlan } from './plan.js';
import { budgetLine } from './ack-budget.js';
import { scrapeStages, stagesLine, StageWindow, type StageFigure } from './stages.js';

export interface VenueResult {
  readonly connect: Awaited<ReturnType<GeneratorPool['connect']>>;
  readonly measured: MeasuredRun;
  readonly uwsNative: boolean | null;
  /** The hub's per-stage latencies (pos_hub_write_stage_seconds) over the whole run; null when unreadable. */
  readonly stages: StageFigure[] | null;
}

/** The hub's stage histograms after a run, logged as one line; a failed scrape is logged, not fatal. */
async function venueStages(ctx: BenchContext, which: string, httpUrl: string): Promise<StageFigure[] | null> {
  try {
    const figures = await scrapeStages(httpUrl);
    ctx.log(`${which}: stages p50/p99 ms: ${stagesLine(figures)}`);
    return figures;
  } catch (error) {
    ctx.log(`${which}: stages: /metrics not readable: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

export async function runVenue(ctx: BenchContext, which: 'venue' | 'venue-large' = 'venue'): Promise<VenueResult> {
  const p: VenuePlan = which === 'venue' ? ctx.plan.venue : ctx.plan.venueLarge;
  const mix = ctx.odooUrl === null ? { ...p.mix, finalizeAfter: 0 } : p.mix;
  const notes = [
    `Dinner rush: ${p.terminals} terminals × 1 write / ${((p.terminals / p.rate) * 1000).toFixed(0)} ms = ${p.rate} writes/s offered; ${mix.lockFraction * 100}% of writes under a table lock; heartbeats every ${mix.heartbeatMs} ms.`,
    ctx.odooUrl === null
      ? 'The Odoo simulator was not available: ORDER_FINALIZE was left out of the mix.'
      : `Orders go checkout → paid → ORDER_FINALIZE after ${mix.finalizeAfter} snapshots (Odoo simulator).`,
  ];
  ctx.log(`${which}: ${p.terminals} terminals, ${p.tables} tables, ${p.rate} writes/s for ${p.durationMs} ms`);
  const server = await startTarget(ctx, 'pos-hub');
  return withServer(server, async () => {
    const pool = GeneratorPool.start({
      script: ctx.scripts.generator,
      processes: ctx.plan.processes,
      terminals: p.terminals,
      tables: p.tables,
      target: { kind: 'ws', url: server.url, encoding: 'json' },
      runId: `${ctx.runTag}${which === 'venue' ? 'v' : 'V'}`,
    });
    try {
      const connect = await pool.connect();
      if (p.warmupMs > 0) await pool.run(p.rate, p.warmupMs, mix, 1000);
      const window = await StageWindow.open(server.httpUrl).catch(() => undefined);
      const measured = await measuredRun(pool, server, p.rate, p.durationMs, mix, 3000, window);
      const stages = await venueStages(ctx, which, server.httpUrl);
      ctx.log(`${which}: ${budgetLine(measured.ackBudget, measured.threads)}; CPU pressure ${measured.cpuPressurePercent ?? '—'}%`);
      const result = { connect, measured, uwsNative: server.uwsNative, stages };
      save(ctx, which, { ...p, mix, encoding: 'json', processes: ctx.plan.processes }, result, notes);
      const r = measured.run;
      ctx.log(
        `${which}: ${r.acceptedPerS} writes/s accepted, ack p50 ${r.ack.p50Ms} p99 ${r.ack.p99Ms} ms, propagation p99 ${r.propagation.p99Ms} ms, hub ${measured.server.cpuUsPerWrite} µs CPU/write, peak RSS ${measured.server.peakRssMB} MB, errors ${r.errorCount}`,
      );
      return result;
    } finally {
      await pool.close();
    }
  });
}

export interface VenueProfileResult {
  readonly measured: MeasuredRun;
  readonly threads: ProfileSummary[];
}

/**
 * Opt-in (`--only venue-profile` or `venue-large-profile`): the dinner rush against a hub run with
 * `--cpu-prof`, summarised over the measured window — where a busy venue's server time goes, thread by thread.
 */
export async function runVenueProfile(
  ctx: BenchContext,
  which: 'venue' | 'venue-large' = 'venue',
): Promise<VenueProfileResult> {
  const p: VenuePlan = which === 'venue' ? ctx.plan.venue : ctx.plan.venueLarge;
  const mix = ctx.odooUrl === null ? { ...p.mix, finalizeAfter: 0 } : p.mix;
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-bench-venueprof-'));
  try {
    ctx.log(`${which}-profile: ${p.terminals} terminals, ${p.rate} writes/s against a hub with --cpu-prof`);
    const server = await startTarget(ctx, 'pos-hub', { cpuProfDir: dir });
    let window: SampleWindow | undefined;
    let measured: MeasuredRun;
    try {
      const pool = GeneratorPool.start({
        script: ctx.scripts.generator,
        processes: ctx.plan.processes,
        terminals: p.terminals,
        tables: p.tables,
        target: { kind: 'ws', url: server.url, encoding: 'json' },
        runId: `${ctx.runTag}${which === 'venue' ? 'vp' : 'Vp'}`,
      });
      try {
        await pool.connect();
        if (p.warmupMs > 0) await pool.run(p.rate, p.warmupMs, mix, 1000);
        const fromUs = monoUs();
        measured = await measuredRun(pool, server, p.rate, p.durationMs, mix, 3000);
        window = { fromUs, toUs: monoUs() };
      } finally {
        await pool.close();
      }
    } finally {
      await server.stop();
    }
    const result = { measured, threads: summarizeDir(dir, 15, window) };
    const r = measured.run;
    ctx.log(
      `${which}-profile: ack p50 ${r.ack.p50Ms} p99 ${r.ack.p99Ms} ms, hub ${measured.server.cpuUsPerWrite} µs CPU/write (profiler on)`,
    );
    for (const t of result.threads.slice(0, 4)) {
      ctx.log(
        `  ${t.thread}: ${t.busyPercent}% busy; ${t.top
          .slice(0, 6)
          .map((e) => `${e.function} ${e.percent}%`)
          .join(', ')}`,
      );
    }
    save(ctx, `${which}-profile`, { ...p, mix }, result, [
      "Self time per function, percent of the thread's busy samples during the measured window.",
    ]);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
