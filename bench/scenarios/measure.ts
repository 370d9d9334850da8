/**
 * One measured phase against one server: read the server's /proc counters, let the generator pool
 * offer load, read them again — so every figure comes with the server's CPU time per accepted
 * write (all threads) and its peak RSS over exactly that phase.
 */
import { readProc, resetPeakRss } from '../lib/proc.js';
import type { MixSpec } from '../venue/ipc.js';
import type { GeneratorPool, RunResult } from '../venue/pool.js';
import type { ServerHandle } from '../venue/targets.js';

export interface ServerFigures {
  readonly cpuMs: number;
  /** Server CPU (user+system, all threads) per accepted write, µs. */
  readonly cpuUsPerWrite: number | null;
  /** Server CPU as a share of one core over the phase, %. */
  readonly cpuPercentOfCore: number;
  readonly peakRssMB: number;
  readonly rssMB: number;
}

export interface MeasuredRun {
  readonly run: RunResult;
  readonly server: ServerFigures;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

export async function measuredRun(
  pool: GeneratorPool,
  server: ServerHandle,
  rate: number,
  durationMs: number,
  mix: MixSpec,
  drainMs = 2000,
): Promise<MeasuredRun> {
  resetPeakRss(server.pid);
  const before = readProc(server.pid);
  const run = await pool.run(rate, durationMs, mix, drainMs);
  const after = readProc(server.pid);
  const cpuMs = after.cpuMs - before.cpuMs;
  return {
    run,
    server: {
      cpuMs,
      cpuUsPerWrite: run.accepted > 0 ? Math.round((cpuMs * 1000) / run.accepted) : null,
      cpuPercentOfCore: run.elapsedMs > 0 ? Math.round((cpuMs / run.elapsedMs) * 1000) / 10 : 0,
      peakRssMB: mb(after.peakRssBytes),
      rssMB: mb(after.rssBytes),
    },
  };
}
