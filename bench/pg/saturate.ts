/**
 * The saturation scenario's rules applied to the store-level write path, so the pg bench reports the
 * same three figures for both stores as `saturation` does for the hub: ack p50/p99 at the first step
 * (125 writes/s offered), the highest acked rate whose p99 ack stays under the limit, and CPU per write
 * at the busiest step that kept up. Doubling steps until the store stops keeping up, then one refining
 * step between the last pass and the first miss. The verdict and the pick are pure (unit-tested).
 */
import type { LatencySummary } from '../lib/histogram.js';
import type { StoreStep } from './store-load.js';

/** The saturation scenario's thresholds (bench/scenarios/saturation.ts). */
const KEEP_UP_SHARE = 0.9;
const PASS_SHARE = 0.95;
const HARD_P99_MS = 1000;

export interface Verdict {
  /** p99 ack under the limit, ≥ 95 % acked, errors ≤ 1 % of offered. */
  readonly pass: boolean;
  /** ≥ 90 % acked and p99 under 1 s: not saturated. */
  readonly keepsUp: boolean;
  readonly why: string;
}

export function stepVerdict(step: Pick<StoreStep, 'offered' | 'acked' | 'errors' | 'ack'>, limitMs: number): Verdict {
  if (step.acked === 0) return { pass: false, keepsUp: false, why: 'nothing acked' };
  if (step.errors > 0.01 * step.offered) return { pass: false, keepsUp: false, why: `${step.errors} errors` };
  if (step.acked < KEEP_UP_SHARE * step.offered)
    return { pass: false, keepsUp: false, why: `saturated: acked ${step.acked} < 90% of offered ${step.offered}` };
  if (step.ack.p99Ms >= HARD_P99_MS)
    return { pass: false, keepsUp: false, why: `saturated: p99 ack ${step.ack.p99Ms} ms` };
  if (step.ack.p99Ms >= limitMs)
    return { pass: false, keepsUp: true, why: `p99 ack ${step.ack.p99Ms} ms ≥ ${limitMs} ms` };
  if (step.acked < PASS_SHARE * step.offered)
    return { pass: false, keepsUp: true, why: `acked ${step.acked} < 95% of offered ${step.offered}` };
  return { pass: true, keepsUp: true, why: 'ok' };
}

export interface JudgedStep extends StoreStep {
  readonly pass: boolean;
  readonly keepsUp: boolean;
  readonly why: string;
}

export interface StepPlan {
  readonly startRate: number;
  readonly maxRate: number;
  readonly maxSteps: number;
  readonly p99LimitMs: number;
}

/** Double from startRate until the store stops keeping up; refine once between the last pass and the miss above it. */
export async function stepUp(
  plan: StepPlan,
  run: (rate: number) => Promise<StoreStep>,
  log: (step: JudgedStep) => void,
): Promise<JudgedStep[]> {
  const steps: JudgedStep[] = [];
  const runStep = async (rate: number): Promise<JudgedStep> => {
    const step = await run(rate);
    const judged = { ...step, ...stepVerdict(step, plan.p99LimitMs) };
    steps.push(judged);
    log(judged);
    return judged;
  };
  let rate = plan.startRate;
  let lastPass: number | null = null;
  let firstMiss: number | null = null;
  for (let i = 0; i < plan.maxSteps && rate <= plan.maxRate; i++) {
    const v = await runStep(rate);
    if (v.pass) {
      lastPass = rate;
      firstMiss = null;
    } else firstMiss ??= rate;
    if (!v.keepsUp) break;
    rate *= 2;
  }
  if (lastPass !== null && firstMiss !== null && firstMiss > lastPass && steps.length < plan.maxSteps)
    await runStep(Math.round(Math.sqrt(lastPass * firstMiss)));
  return steps;
}

/** The three figures of one store, read from its steps the way the saturation scenario reads them. */
export interface StoreFigures {
  /** The first step (startRate offered): ack latency. */
  readonly firstStep: {
    readonly offeredRate: number;
    readonly ack: LatencySummary;
    readonly cpuUsPerWrite: number | null;
  } | null;
  /** Highest acked writes/s of a passing step (0 when none passed). */
  readonly sustainedPerS: number;
  readonly sustainedAck: LatencySummary | null;
  /** Highest acked writes/s of a step that kept up, p99 limit or not. */
  readonly keepsUpPerS: number;
  /** At the busiest step kept up with: (this process + Postgres) µs per write, and its parts. */
  readonly cpuUsPerWrite: number | null;
  readonly cpuAtTop: StoreStep['cpuMs'] | null;
  readonly ackedAtTop: number;
  readonly elapsedAtTopMs: number | null;
}

export function figuresOf(steps: readonly JudgedStep[]): StoreFigures {
  const first = steps[0];
  const best = steps.filter((s) => s.pass).sort((a, b) => b.ackedPerS - a.ackedPerS)[0];
  const top = steps.filter((s) => s.keepsUp).sort((a, b) => b.ackedPerS - a.ackedPerS)[0];
  return {
    firstStep:
      first === undefined
        ? null
        : { offeredRate: first.offeredRate, ack: first.ack, cpuUsPerWrite: first.cpuUsPerWrite },
    sustainedPerS: best?.ackedPerS ?? 0,
    sustainedAck: best?.ack ?? null,
    keepsUpPerS: top?.ackedPerS ?? 0,
    cpuUsPerWrite: top?.cpuUsPerWrite ?? null,
    cpuAtTop: top?.cpuMs ?? null,
    ackedAtTop: top?.acked ?? 0,
    elapsedAtTopMs: top?.elapsedMs ?? null,
  };
}
