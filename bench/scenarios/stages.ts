/**
 * Where a write's time goes, from the hub's own histograms: after a run against pos-hub the bench
 * scrapes /metrics and reports p50 / p99 of pos_hub_write_stage_seconds per stage, in path order. A
 * stage with no samples is reported as not instrumented (issue 16 instruments the seams after issue 15).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WRITE_STAGES, type WriteStage } from '../../src/ports/metrics.js';
import { histogramsBy, quantile, type PromHistogram } from '../lib/prom-histogram.js';

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
  return figuresOf(histogramsBy(exposition, STAGE_FAMILY, 'stage'));
}

function figuresOf(byStage: ReadonlyMap<string, PromHistogram>): StageFigure[] {
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
  return stageFigures(await scrapeText(httpUrl, refreshMs));
}

/** One log line: p50 / p99 in ms per stage, in path order ("—" for a stage with no samples). */
export function stagesLine(figures: readonly StageFigure[]): string {
  return figures
    .map((f) => (f.count === 0 ? `${f.stage} —` : `${f.stage} ${f.p50Ms ?? '—'}/${f.p99Ms ?? '—'}`))
    .join(', ');
}

/** `after − before` of one cumulative histogram: exactly the samples recorded in between. */
export function histogramDelta(before: PromHistogram | undefined, after: PromHistogram): PromHistogram {
  if (before === undefined) return after;
  const earlier = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/** The stage figures of two expositions' difference: the stages of the writes in between only. */
export function stageFiguresBetween(before: string, after: string): StageFigure[] {
  const earlier = histogramsBy(before, STAGE_FAMILY, 'stage');
  const later = histogramsBy(after, STAGE_FAMILY, 'stage');
  const delta = new Map<string, PromHistogram>();
  for (const [stage, h] of later) delta.set(stage, histogramDelta(earlier.get(stage), h));
  return figuresOf(delta);
}

/**
 * The hub's stage histograms over consecutive measured phases: `open` reads them once, each `next()` reads
 * them again (one /metrics refresh after the phase) and returns the stages of that phase alone.
 */
export class StageWindow {
  private constructor(
    private readonly httpUrl: string,
    private last: string,
  ) {}

  static async open(httpUrl: string): Promise<StageWindow> {
    return new StageWindow(httpUrl, await scrapeText(httpUrl));
  }

  async next(): Promise<StageFigure[]> {
    const now = await scrapeText(this.httpUrl);
    const figures = stageFiguresBetween(this.last, now);
    this.last = now;
    return figures;
  }
}

async function scrapeText(httpUrl: string, refreshMs = 1000): Promise<string> {
  await sleep(refreshMs + 250);
  const response = await fetch(`${httpUrl}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics: HTTP ${response.status}`);
  return response.text();
}
