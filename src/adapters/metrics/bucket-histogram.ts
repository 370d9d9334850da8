/**
 * A histogram for the per-write observations (issue 16: prom-client was ~7 % of the front's CPU per write,
 * hashing label objects on every observe). A series is bound once per label set; an observe is a bucket
 * search and three additions on plain numbers. The registry reads it as it reads any prom-client metric
 * (`get()` gives the same JSON shape as prom-client's Histogram; a test holds the two side by side).
 */
import type { Registry } from 'prom-client';
import type { MetricSpec } from './names.js';

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket (not cumulative); those above the last bound only in `count`. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, Series>();
  /** Bumped by reset(): a bound observe then looks its series up again. */
  private generation = 0;

  constructor(spec: MetricSpec, registry: Registry) {
    this.name = spec.name;
    this.help = spec.help;
    this.bounds = [...(spec.buckets ?? [])].sort((a, b) => a - b);
    // prom-client's Registry keeps any object with get(); the type asks for a full Metric.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** An observe bound to one label set (created on first use, so no empty series is exported). */
  bind(labels: Readonly<Record<string, string>> = {}): (value: number) => void {
    const key = JSON.stringify(labels);
    let bound: Series | undefined;
    let boundIn = -1;
    return (value) => {
      if (!Number.isFinite(value)) return;
      if (bound === undefined || boundIn !== this.generation) {
        boundIn = this.generation;
        bound = this.series.get(key);
        if (bound === undefined) {
          bound = { labels: { ...labels }, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
          this.series.set(key, bound);
        }
      }
      const { bounds } = this;
      for (let i = 0; i < bounds.length; i++)
        if (value <= bounds[i]!) {
          bound.counts[i]! += 1;
          break;
        }
      bound.sum += value;
      bound.count += 1;
    };
  }

  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ labels: { le: this.bounds[i]!, ...s.labels }, value: cumulative, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    this.series.clear();
    this.generation += 1;
  }
}
