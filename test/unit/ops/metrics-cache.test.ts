/**
 * GET /metrics from a cache (HUB_METRICS_REFRESH_MS): a scrape returns the text rendered on the
 * schedule and never renders itself, the schedule refreshes it, a failed refresh is not served as
 * current, and refreshMs 0 keeps render-per-scrape. Timers are driven by hand, so no test waits.
 */
import { describe, expect, it } from 'vitest';
import { cachedRenderer, type MetricsText } from '../../../src/adapters/metrics/index.js';
import { TestClock } from '../../helpers/clocks.js';

/** A render that counts its calls and can be told to fail. */
function counting(): { render: () => Promise<MetricsText>; calls: () => number; failNext: () => void } {
  let calls = 0;
  let fail = false;
  return {
    render: async () => {
      calls += 1;
      if (fail) {
        fail = false;
        throw new Error('worker gone');
      }
      return { contentType: 'text/plain', body: `render ${calls}\n` };
    },
    calls: () => calls,
    failNext: () => {
      fail = true;
    },
  };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('cached /metrics renderer', () => {
  it('renders once for the first scrape, then serves the cache until the schedule refreshes it', async () => {
    const clock = new TestClock();
    const r = counting();
    const scrape = cachedRenderer(r.render, { refreshMs: 1000, clock });
    expect(r.calls()).toBe(0); // nothing rendered before anyone scrapes
    expect((await scrape()).body).toBe('render 1\n');
    for (let i = 0; i < 50; i += 1) expect((await scrape()).body).toBe('render 1\n');
    expect(r.calls()).toBe(1);
    expect(clock.pending()).toBe(1);

    clock.advance(1000);
    await settle();
    expect(r.calls()).toBe(2);
    expect((await scrape()).body).toBe('render 2\n');
    expect(r.calls()).toBe(2);
    expect(clock.pending()).toBe(1); // the next refresh is scheduled after this one finished
    scrape.stop();
    expect(clock.pending()).toBe(0);
  });

  it('concurrent first scrapes share one render', async () => {
    const r = counting();
    const scrape = cachedRenderer(r.render, { refreshMs: 1000, clock: new TestClock() });
    const bodies = await Promise.all([scrape(), scrape(), scrape()]);
    expect(bodies.map((b) => b.body)).toEqual(['render 1\n', 'render 1\n', 'render 1\n']);
    expect(r.calls()).toBe(1);
  });

  it('a failed refresh drops the cache: the next scrape renders on demand and restarts the schedule', async () => {
    const clock = new TestClock();
    const r = counting();
    const scrape = cachedRenderer(r.render, { refreshMs: 1000, clock });
    await scrape();
    r.failNext();
    clock.advance(1000);
    await settle();
    expect(r.calls()).toBe(2);
    expect(clock.pending()).toBe(0);
    expect((await scrape()).body).toBe('render 3\n');
    expect(clock.pending()).toBe(1);
  });

  it('a failed first render reaches the scraper, as before the cache', async () => {
    const r = counting();
    r.failNext();
    const scrape = cachedRenderer(r.render, { refreshMs: 1000, clock: new TestClock() });
    await expect(scrape()).rejects.toThrow('worker gone');
    expect((await scrape()).body).toBe('render 2\n');
  });

  it('refreshMs 0 renders on every scrape and schedules nothing', async () => {
    const clock = new TestClock();
    const r = counting();
    const scrape = cachedRenderer(r.render, { refreshMs: 0, clock });
    await scrape();
    await scrape();
    expect(r.calls()).toBe(2);
    expect(clock.pending()).toBe(0);
  });
});
