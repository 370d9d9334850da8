/**
 * One measured phase against one server: read the server's /proc counters, let the generator pool
 * offer load, read them again — so every figure comes with the server's CPU time per accepted
 * write (all threads), its peak RSS over exactly that phase, each thread's CPU and run-queue wait
 * (and the generator's), and for the hub its own per-stage latencies of that phase: where the ack went.
 */
import { readProc, resetPeakRss } from '../lib/proc.js';
import { cpuPressureUs, readMainThreads, readThreads, threadDelta, type ThreadGroupFigure } from '../lib/threads.js';
import type { MixSpec } from '../venue/ipc.js';
import type { GeneratorPool, RunResult } from '../venue/pool.js';
import type { ServerHandle } from '../venue/targets.js';
import { ackBudget, type AckBudget } from './ack-budget.js';
import type { StageFigure, StageWindow } from './stages.js';

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
  /** Per thread group of the server (`main`, `shard-0`, `writer`, `helpers`) and the generator's JS threads. */
  readonly threads: ThreadGroupFigure[];
  /** Share of the phase during which some task on the machine waited for a core (PSI), %; null without PSI. */
  readonly cpuPressurePercent: number | null;
  /** The hub's stages over this phase alone (absent for the relays, null when /metrics was unreadable). */
  readonly stages?: StageFigure[] | null;
  /** Where the mean ack went (hub only, when its stages were read). */
  readonly ackBudget?: AckBudget;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

export async function measuredRun(
  pool: GeneratorPool,
  server: ServerHandle,
  rate: number,
  durationMs: number,
  mix: MixSpec,
  drainMs = 2000,
  stageWindow?: StageWindow,
): Promise<MeasuredRun> {
  resetPeakRss(server.pid);
  const sample = () => [...readThreads(server.pid), ...readMainThreads(pool.pids, 'generator')];
  const pressureBefore = cpuPressureUs();
  const threadsBefore = sample();
  const before = readProc(server.pid);
  const startedMs = performance.now();
  const run = await pool.run(rate, durationMs, mix, drainMs);
  const windowMs = performance.now() - startedMs;
  const after = readProc(server.pid);
  const threadsAfter = sample();
  const pressureAfter = cpuPressureUs();
  const cpuMs = after.cpuMs - before.cpuMs;
  const threads = threadDelta(threadsBefore, threadsAfter, run.accepted);
  const measured: MeasuredRun = {
    run,
    server: {
      cpuMs,
      cpuUsPerWrite: run.accepted > 0 ? Math.round((cpuMs * 1000) / run.accepted) : null,
      cpuPercentOfCore: run.elapsedMs > 0 ? Math.round((cpuMs / run.elapsedMs) * 1000) / 10 : 0,
      peakRssMB: mb(after.peakRssBytes),
      rssMB: mb(after.rssBytes),
    },
    threads,
    cpuPressurePercent:
      pressureBefore === null || pressureAfter === null || windowMs <= 0
        ? null
        : Math.round(((pressureAfter - pressureBefore) / 1000 / windowMs) * 1000) / 10,
  };
  if (stageWindow === undefined) return measured;
  let stages: StageFigure[] | null = null;
  try {
    stages = await stageWindow.next();
  } catch {
    stages = null; // the phase's figures stand without them; the scenario logs the scrape failure at its end
  }
  return stages === null
    ? { ...measured, stages }
    : { ...measured, stages, ackBudget: ackBudget(run.ack, stages, threads) };
}
