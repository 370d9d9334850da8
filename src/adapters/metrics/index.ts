/**
 * The metrics adapter's surface for the runtime: each thread calls createThreadMetrics(thread) once,
 * workers answer `collect_metrics` with snapshotThreadMetrics(), and the front serves GET /metrics with
 * renderMetrics(front snapshot, worker snapshots) — or with createMetricsRenderer(), which does both.
 *
 * The per-thread holder: `current` below is module state, which is the one exception to "no module-level
 * mutable singletons" and is deliberate. A module instance is per thread (worker_threads load modules
 * afresh), so this holds exactly the calling thread's registry and snapshotThreadMetrics() needs no handle
 * passed through the worker's message loop. createThreadMetrics replaces (and stops) any earlier one.
 */
import type { HubMetrics } from '../../ports/metrics.js';
import { cachedRenderer, type CachedRenderer, type CachedRendererOptions } from './cached-renderer.js';
import { renderMetrics } from './render.js';
import { buildThreadMetrics, type ThreadMetrics } from './thread-registry.js';

export { renderMetrics, METRICS_CONTENT_TYPE } from './render.js';
export {
  cachedRenderer,
  type CachedRenderer,
  type CachedRendererOptions,
  type MetricsText,
} from './cached-renderer.js';
export { buildThreadMetrics, type ThreadMetrics, type ThreadMetricsOptions } from './thread-registry.js';

let current: ThreadMetrics | undefined;

/** The HubMetrics of the calling thread, registered so snapshotThreadMetrics() can read it. */
export function createThreadMetrics(thread: string): HubMetrics {
  current?.stop();
  current = buildThreadMetrics(thread);
  return current.metrics;
}

/** The calling thread's registry as prom-client JSON (an empty list before createThreadMetrics). */
export async function snapshotThreadMetrics(): Promise<unknown> {
  return current === undefined ? [] : current.snapshot();
}

/**
 * The GET /metrics renderer for the front thread: give it a way to ask every worker for its snapshot
 * (the runtime's `collect_metrics` round trip) and it returns the merged exposition — rendered on the
 * schedule of `options.refreshMs` (HUB_METRICS_REFRESH_MS) and served from that cache, or on every
 * scrape when refreshMs is 0 or no options are given.
 */
export function createMetricsRenderer(
  collectWorkers: () => Promise<readonly unknown[]>,
  options: CachedRendererOptions = { refreshMs: 0 },
): CachedRenderer {
  return cachedRenderer(async () => {
    const [front, workers] = await Promise.all([snapshotThreadMetrics(), collectWorkers()]);
    return renderMetrics(front, workers);
  }, options);
}
