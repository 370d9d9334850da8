/**
 * Where the mean ack of a measured phase went: the hub's own stages (decode → fan_out, which include the
 * shard's, the writer's and the front's waits for a core after each hand-off), the rest outside them
 * (generator send → the front's message callback, fan-out → the generator's receive callback), and how
 * much of the path is run-queue wait — each wake-up's mean wait times the wake-ups one write needs.
 */
import type { LatencySummary } from '../lib/histogram.js';
import type { ThreadGroupFigure } from '../lib/threads.js';
import type { StageFigure } from './stages.js';

export interface AckBudget {
  readonly ackMeanMs: number;
  readonly ackP50Ms: number;
  /** Σ of the stage means, decode → fan_out: the hub's span of a write. */
  readonly stagesMs: number;
  /** ackMean − stagesMs: outside the hub's stages (kernel, uWS before the JS callback, the generator). */
  readonly outsideMs: number;
  /** Mean wait for a core per wake-up, µs: the front, the shards, the writer, the generator's JS threads. */
  readonly wakeWaitUs: {
    readonly front: number;
    readonly shard: number;
    readonly writer: number;
    readonly generator: number;
  };
  /**
   * Estimated run-queue wait on one write's path, ms: inside the stages the shard wakes once (to_shard), the
   * writer twice (to_writer, after its fsync), the front once (to_front); outside, the front once (the frame)
   * and the generator once (the ack).
   */
  readonly waitInsideMs: number;
  readonly waitOutsideMs: number;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

function perWake(threads: readonly ThreadGroupFigure[], match: (group: string) => boolean): number {
  let wait = 0;
  let slices = 0;
  for (const t of threads)
    if (match(t.group)) {
      wait += t.waitMs * 1000;
      slices += t.slices;
    }
  return slices === 0 ? 0 : Math.round(wait / slices);
}

export function ackBudget(
  ack: LatencySummary,
  stages: readonly StageFigure[],
  threads: readonly ThreadGroupFigure[],
): AckBudget {
  const stagesMs = stages.reduce((sum, s) => sum + (s.meanMs ?? 0), 0);
  const wake = {
    front: perWake(threads, (g) => g === 'main'),
    shard: perWake(threads, (g) => g.startsWith('shard')),
    writer: perWake(threads, (g) => g === 'writer'),
    generator: perWake(threads, (g) => g === 'generator'),
  };
  return {
    ackMeanMs: ack.meanMs,
    ackP50Ms: ack.p50Ms,
    stagesMs: r2(stagesMs),
    outsideMs: r2(ack.meanMs - stagesMs),
    wakeWaitUs: wake,
    waitInsideMs: r2((wake.shard + 2 * wake.writer + wake.front) / 1000),
    waitOutsideMs: r2((wake.front + wake.generator) / 1000),
  };
}

/** One log line for a phase: the budget, then each thread group's CPU and wait per write. */
export function budgetLine(budget: AckBudget | undefined, threads: readonly ThreadGroupFigure[]): string {
  const groups = threads
    .map((t) => `${t.group} ${t.cpuUsPerWrite ?? '—'}/${t.waitUsPerWrite ?? '—'}/${t.waitUsPerSlice ?? '—'}`)
    .join(', ');
  const head =
    budget === undefined
      ? ''
      : `ack mean ${budget.ackMeanMs} = stages ${budget.stagesMs} + outside ${budget.outsideMs} ms; run-queue wait on the path ≈ ${budget.waitInsideMs} inside + ${budget.waitOutsideMs} outside ms; `;
  return `${head}threads CPU/wait per write/wait per wake µs: ${groups}`;
}
