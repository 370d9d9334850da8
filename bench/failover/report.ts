/**
 * The failover suite's figures per fault over its runs: writes acked, lost, duplicated, two nodes acking at once,
 * samples with two nodes writable,
 * write gap p50/p99 (and the longest stall), failed runs — what `npm run failover` prints and writes to
 * bench/results/failover-*.json. Pure, so the summary is tested apart from any cluster.
 */
import type { RunVerdict } from './invariants.js';

export interface FaultSummary {
  readonly fault: string;
  readonly how: string;
  readonly runs: number;
  /** Runs that could not finish (an error, not a verdict). */
  readonly errors: readonly string[];
  readonly failedRuns: number;
  readonly acked: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Samples with both nodes writable at the database level (reported; what pg_auto_failover allows). */
  readonly twoWritableSamples: number;
  readonly bothOutOfRecoverySamples: number;
  /** Pairs of acks from two nodes acknowledging in overlapping time (a violation), and acks tied to a node. */
  readonly twoAckingPairs: number;
  readonly acksAttributed: number;
  /** n: the runs with a gap (a run that failed or saw no ack after the fault has none); p99 of n < 100 is the max. */
  readonly gapMs: { readonly n: number; readonly p50: number | null; readonly p99: number | null; readonly all: readonly (number | null)[] };
  readonly longestStallMs: { readonly n: number; readonly p50: number | null; readonly p99: number | null };
  readonly primaryChanged: number;
  readonly violations: readonly string[];
}

/** Nearest-rank percentile; with a handful of runs p99 is the worst run, which is what it should say. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

export function summarize(fault: string, how: string, verdicts: readonly RunVerdict[], errors: readonly string[]): FaultSummary {
  const gaps = verdicts.map((v) => v.gapMs);
  const present = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null);
  const stalls = present(verdicts.map((v) => v.longestStallMs));
  return {
    fault,
    how,
    runs: verdicts.length + errors.length,
    errors,
    failedRuns: verdicts.filter((v) => !v.ok).length + errors.length,
    acked: verdicts.reduce((n, v) => n + v.acked, 0),
    lost: verdicts.reduce((n, v) => n + v.lost, 0),
    duplicated: verdicts.reduce((n, v) => n + v.duplicated, 0),
    twoWritableSamples: verdicts.reduce((n, v) => n + v.twoWritableSamples, 0),
    bothOutOfRecoverySamples: verdicts.reduce((n, v) => n + v.bothOutOfRecoverySamples, 0),
    twoAckingPairs: verdicts.reduce((n, v) => n + v.twoAckingPairs, 0),
    acksAttributed: verdicts.reduce((n, v) => n + v.acksAttributed, 0),
    gapMs: { n: present(gaps).length, p50: percentile(present(gaps), 50), p99: percentile(present(gaps), 99), all: gaps },
    longestStallMs: { n: stalls.length, p50: percentile(stalls, 50), p99: percentile(stalls, 99) },
    primaryChanged: verdicts.filter((v) => v.primaryAfter !== v.primaryBefore).length,
    violations: verdicts.flatMap((v) => v.violations.map((x) => `${x.rule}: ${x.detail}`)),
  };
}

const ms = (v: number | null): string => (v === null ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${(v / 1000).toFixed(2)} s`);

/** "p99 (n)", saying when the nearest rank is simply the worst run, so a handful of runs is not read as a tail. */
const p99 = (v: number | null, n: number): string => (v === null ? '—' : `${ms(v)} (${n < 100 ? 'max of ' : 'n = '}${n})`);

/** One line per fault, a table for the terminal and docs/ha.md. */
export function table(summaries: readonly FaultSummary[]): string {
  const head =
    '| fault | runs (failed) | acked (tied to a node) | lost | duplicated | two nodes acking at once | two nodes writable, samples (both out of recovery) | failovers | gap p50 | gap p99 | longest stall p99 |';
  const rule = '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';
  const rows = summaries.map(
    (s) =>
      `| ${s.fault} | ${s.runs} (${s.failedRuns}) | ${s.acked} (${s.acksAttributed}) | ${s.lost} | ${s.duplicated} | ${s.twoAckingPairs} | ${s.twoWritableSamples} (${s.bothOutOfRecoverySamples}) | ${s.primaryChanged} | ${ms(s.gapMs.p50)} | ${p99(s.gapMs.p99, s.gapMs.n)} | ${p99(s.longestStallMs.p99, s.longestStallMs.n)} |`,
  );
  return [head, rule, ...rows].join('\n');
}
