/**
 * Where a write's time goes, from the hub's own histograms: after a run against pos-hub the bench
 * scrapes /metrics and reports p50 / p99 of pos_hub_write_stage_seconds per stage, in path order. A
 * stage with no samples is reported as not instrumented (issue 16 instruments the seams after issue 15).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WRITE_STAGES, type WriteStage } from '../../src/ports/metrics.js';
import { histogramsBy, quantile } from '../lib/prom-histogram.js';

export const STAGE_FAMILY = 'pos_hub_write_stage_seconds';

export interface StageFigure {
  readonly stage: WriteStage;
  /** Samples over the hub's life in that scenario; 0 = not instrumented. */
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly meanMs: number | null;
}

const ms = (seconds: number | null): number | null => (seconds === null ? null : Math.round(seconds * 1e6) / 1e3);

/** The per-stage figures of one exposition, one per stage in WRITE_STAGES order. */
export function stageFigures(exposition: string): StageFigure[] {
  const byStage = histogramsBy(exposition, STAGE_FAMILY, 'stage');
  return WRITE_STAGES.map((stage) => {
    const h = byStage.get(stage);
    const count = h?.count ?? 0;
    return {
      stage,
      count,
      p50Ms: h === undefined || count === 0 ? null : ms(quantile(h, 0.5)),
      p99Ms: h === undefined || count === 0 ? null : ms(quantile(h, 0.99)),
      meanMs: h === undefined || count === 0 ? null : ms(h.sum / count),
    };
  });
}

/**
 * Scrapes a running hub. /metrics is served from a cache re-rendered every HUB_METRICS_REFRESH_MS
 * (1 s by default), so the scrape waits one refresh after the traffic to see all of it.
 */
export async function scrapeStages(httpUrl: string, refreshMs = 1000): Promise<StageFigure[]> {
  await sleep(refreshMs + 250);
  const response = await fetch(`${httpUrl}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics: HTTP ${response.status}`);
  return stageFigures(await response.text());
}

/** One log line: p50 / p99 in ms per stage, in path order ("—" for a stage with no samples). */
export function stagesLine(figures: readonly StageFigure[]): string {
  return figures
    .map((f) => (f.count === 0 ? `${f.stage} —` : `${f.stage} ${f.p50Ms ?? '—'}/${f.p99Ms ?? '—'}`))
    .join(', ');
}
