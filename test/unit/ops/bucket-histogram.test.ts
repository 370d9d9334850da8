/**
 * The per-write histograms are counted in plain arrays (issue 16) but must read exactly as prom-client's
 * Histogram would: the same exposition for the same observations, labelled or not, and nothing after reset.
 * The per-frame counters are summed between reads: each frame counted once, however often the registry is read.
 */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketHistogram } from '../../../src/adapters/metrics/bucket-histogram.js';
import { buildThreadMetrics, renderMetrics } from '../../../src/adapters/metrics/index.js';
import { METRICS } from '../../../src/adapters/metrics/names.js';

const VALUES = [0, 0.00001, 0.0001, 0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.005, 0.01, 0.03, 0.1, 0.5, 1, 2.5, 10, 1e6, NaN, 0.004];

async function both(feed: (observe: (labels: Record<string, string>, v: number) => void) => void) {
  const spec = METRICS.writeStage;
  const ours = new Registry();
  ours.setDefaultLabels({ thread: 'front' });
  const theirs = new Registry();
  theirs.setDefaultLabels({ thread: 'front' });
  const bucket = new BucketHistogram(spec, ours);
  const bound = new Map<string, (v: number) => void>();
  const reference = new Histogram({ name: spec.name, help: spec.help, labelNames: [...spec.labels], buckets: [...(spec.buckets ?? [])], registers: [theirs] });
  feed((labels, v) => {
    const key = JSON.stringify(labels);
    if (!bound.has(key)) bound.set(key, bucket.bind(labels));
    bound.get(key)!(v);
    if (Number.isFinite(v)) reference.observe(labels, v);
  });
  return {
    ours: renderMetrics(await ours.getMetricsAsJSON(), []).body,
    theirs: renderMetrics(await theirs.getMetricsAsJSON(), []).body,
    bucket,
  };
}

describe('BucketHistogram', () => {
  it('renders as prom-client renders the same observations, per label set', async () => {
    const { ours, theirs } = await both((observe) => {
      for (const v of VALUES) observe({ stage: 'decode' }, v);
      for (const v of VALUES.slice(3)) observe({ stage: 'commit' }, v * 2);
    });
    expect(ours).toContain('pos_hub_write_stage_seconds_bucket{');
    expect(ours).toBe(theirs);
  });

  it('exports no series before the first observe and none after a reset, then counts afresh', async () => {
    const { ours, bucket } = await both(() => undefined);
    expect(ours).not.toContain('_bucket');
    const observe = bucket.bind({ stage: 'decode' });
    observe(0.001);
    bucket.reset();
    expect((await bucket.get()).values).toEqual([]);
    observe(0.002);
    const values = (await bucket.get()).values;
    expect(values.find((v) => v.metricName.endsWith('_count'))?.value).toBe(1);
    expect(values.find((v) => v.metricName.endsWith('_sum'))?.value).toBe(0.002);
  });
});

describe('the per-frame counters', () => {
  it('add what was summed since the last read once, and keep counting after it', async () => {
    const t = buildThreadMetrics('front', { processMetrics: false });
    try {
      const line = async () =>
        renderMetrics(await t.registry.getMetricsAsJSON(), []).body.split('\n').filter((l) => l.startsWith('pos_hub_frames_out_total{'));
      t.metrics.frameOut('ORDER_UPDATED', 'json', 5);
      t.metrics.frameOut('ORDER_UPDATED', 'json', 2);
      t.metrics.frameIn('ORDER_SNAPSHOT', 'msgpack');
      expect(await line()).toEqual(['pos_hub_frames_out_total{type="ORDER_UPDATED",encoding="json",thread="front"} 7']);
      expect(await line()).toEqual(['pos_hub_frames_out_total{type="ORDER_UPDATED",encoding="json",thread="front"} 7']);
      t.metrics.frameOut('ORDER_UPDATED', 'json', 1);
      expect(await line()).toEqual(['pos_hub_frames_out_total{type="ORDER_UPDATED",encoding="json",thread="front"} 8']);
    } finally {
      t.stop();
    }
  });
});
