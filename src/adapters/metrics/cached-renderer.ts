/**
 * GET /metrics from a cache. Rendering merges every thread's registry (a postMessage round trip to each
 * worker and a text build of a few hundred series), about 2.5 ms of CPU: paid per scrape, a scraper or a
 * curl loop could take a share of the front thread from the terminals. Here the exposition is rendered
 * on a schedule (HUB_METRICS_REFRESH_MS) and a scrape returns the last text; refreshMs 0 keeps the old
 * render-per-scrape behaviour (tests that read a counter right after the traffic that moved it).
 */
import { systemClock, type Clock, type TimerHandle } from '../../ports/clock.js';

export interface MetricsText {
  readonly contentType: string;
  readonly body: string;
}

export interface CachedRendererOptions {
  /** How often the cached exposition is re-rendered, ms; 0 renders on every scrape. */
  readonly refreshMs: number;
  /** Timers for the schedule (tests pass a hand-driven one). */
  readonly clock?: Clock;
}

/** The function the front calls, plus stop() for a clean shutdown (its timer is also unref'd). */
export interface CachedRenderer {
  (): Promise<MetricsText>;
  stop(): void;
}

/**
 * Wraps `render` in a cache refreshed every `refreshMs`. The schedule starts at the first scrape (at
 * construction the workers are not up yet, and a hub nobody scrapes renders nothing); that scrape waits
 * for the first render. Each refresh is scheduled when the previous one has finished, so a slow worker
 * never stacks renders. A refresh that fails drops the cache: the next scrape renders on demand and
 * reports the failure as before, rather than serving frozen numbers as if they were current.
 */
export function cachedRenderer(render: () => Promise<MetricsText>, options: CachedRendererOptions): CachedRenderer {
  const clock = options.clock ?? systemClock;
  let cached: Promise<MetricsText> | null = null;
  let timer: TimerHandle | null = null;
  let stopped = false;

  const schedule = (): void => {
    if (stopped || options.refreshMs === 0) return;
    timer = clock.setTimeout(() => {
      timer = null;
      const next = render();
      next.then(
        () => {
          cached = next;
          schedule();
        },
        () => {
          cached = null;
        },
      );
    }, options.refreshMs);
  };

  const scrape = async (): Promise<MetricsText> => {
    if (options.refreshMs === 0 || stopped) return render();
    if (cached !== null) return cached;
    const first = render();
    cached = first;
    try {
      await first;
    } catch (error) {
      cached = null;
      throw error;
    }
    if (timer === null) schedule();
    return first;
  };

  return Object.assign(scrape, {
    stop: () => {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  });
}
