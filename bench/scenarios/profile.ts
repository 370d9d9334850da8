/**
 * Where the hub's time goes at saturation: a fresh hub run with `--cpu-prof` (one profile per
 * thread), driven at its first failing rate, then the top self-time functions of each thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monoUs } from '../lib/clock.js';
import { summarizeDir, type ProfileSummary, type SampleWindow } from '../profile/summarize-cpuprofile.js';
import { GeneratorPool } from '../venue/pool.js';
import { type BenchContext, save, startTarget } from './context.js';
import { measuredRun } from './measure.js';
import type { SaturationResult } from './saturation.js';

export interface ProfileResult {
  readonly rate: number;
  readonly acceptedPerS: number;
  readonly threads: ProfileSummary[];
}

export async function runProfile(ctx: BenchContext, hub: SaturationResult): Promise<ProfileResult | null> {
  const p = ctx.plan.saturation;
  const rate = hub.firstFailRate ?? Math.max(p.startRate, Math.round(hub.keepsUpPerS * 1.5));
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-bench-prof-'));
  ctx.log(`profile: pos-hub/${hub.encoding} at ${rate}/s for ${ctx.plan.profile.durationMs} ms with --cpu-prof`);
  try {
    const server = await startTarget(ctx, 'pos-hub', { cpuProfDir: dir });
    let acceptedPerS = 0;
    let window: SampleWindow | undefined;
    try {
      const pool = GeneratorPool.start({
        script: ctx.scripts.generator,
        processes: ctx.plan.processes,
        terminals: p.terminals,
        tables: p.tables,
        target: { kind: 'ws', url: server.url, encoding: hub.encoding },
        runId: `${ctx.runTag}p`,
        sampleEvery: p.sampleEvery,
      });
      try {
        await pool.connect();
        // A short warm-up so the window sees the steady state, not module loading and the first JIT.
        await pool.run(Math.min(rate, p.startRate), 1000, p.mix, 1000);
        const fromUs = monoUs();
        const measured = await measuredRun(pool, server, rate, ctx.plan.profile.durationMs, p.mix, 1500);
        window = { fromUs, toUs: monoUs() };
        acceptedPerS = measured.run.acceptedPerS;
      } finally {
        await pool.close();
      }
    } finally {
      await server.stop();
    }
    const threads = summarizeDir(dir, 15, window);
    if (threads.length === 0) ctx.log('profile: no .cpuprofile written (does src/main.ts exit cleanly on SIGTERM?)');
    const result = { rate, acceptedPerS, threads };
    save(ctx, 'profile', { rate, durationMs: ctx.plan.profile.durationMs, encoding: hub.encoding }, result, [
      "Self time per function, percent of the thread's busy (non-idle) samples.",
    ]);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
