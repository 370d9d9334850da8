/**
 * A small HDR-like latency histogram: log2 buckets split into 32 linear sub-buckets (≤3% error),
 * sparse, mergeable and plain-data so generator processes can ship it to the parent over IPC.
 * Values are microseconds; min, max, count and sum are kept exactly.
 */

const SUB_BUCKETS = 32;

export interface HistogramData {
  readonly counts: ReadonlyArray<readonly [index: number, count: number]>;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Bucket index of a value: values below SUB_BUCKETS are exact, above that the precision is 1/32 of the octave. */
function indexOf(value: number): number {
  const v = Math.max(0, Math.floor(value));
  if (v < SUB_BUCKETS) return v;
  const octave = Math.floor(Math.log2(v)) - Math.log2(SUB_BUCKETS);
  const sub = Math.floor(v / 2 ** octave) - SUB_BUCKETS;
  return SUB_BUCKETS + octave * SUB_BUCKETS + sub;
}

/** The middle of a bucket, the value reported for every sample that fell into it. */
function valueOf(index: number): number {
  if (index < SUB_BUCKETS) return index;
  const octave = Math.floor((index - SUB_BUCKETS) / SUB_BUCKETS);
  const sub = (index - SUB_BUCKETS) % SUB_BUCKETS;
  const low = (SUB_BUCKETS + sub) * 2 ** octave;
  return low + (2 ** octave - 1) / 2;
}

export class Histogram {
  private readonly buckets = new Map<number, number>();
  private n = 0;
  private total = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = 0;

  record(valueUs: number): void {
    const i = indexOf(valueUs);
    this.buckets.set(i, (this.buckets.get(i) ?? 0) + 1);
    this.n += 1;
    this.total += valueUs;
    if (valueUs < this.lo) this.lo = valueUs;
    if (valueUs > this.hi) this.hi = valueUs;
  }

  get count(): number {
    return this.n;
  }

  merge(data: HistogramData): void {
    for (const [i, c] of data.counts) this.buckets.set(i, (this.buckets.get(i) ?? 0) + c);
    this.n += data.count;
    this.total += data.sum;
    if (data.count > 0) {
      this.lo = Math.min(this.lo, data.min);
      this.hi = Math.max(this.hi, data.max);
    }
  }

  /** The value at quantile q (0..1); the exact max for q = 1. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    if (q >= 1) return this.hi;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (const i of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(i) ?? 0;
      if (seen >= rank) return Math.min(this.hi, Math.max(this.lo, valueOf(i)));
    }
    return this.hi;
  }

  toData(): HistogramData {
    return {
      counts: [...this.buckets.entries()],
      count: this.n,
      sum: this.total,
      min: this.n === 0 ? 0 : this.lo,
      max: this.hi,
    };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }

  summary(): LatencySummary {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: this.n,
      meanMs: this.n === 0 ? 0 : ms(this.total / this.n),
      p50Ms: ms(this.quantile(0.5)),
      p95Ms: ms(this.quantile(0.95)),
      p99Ms: ms(this.quantile(0.99)),
      maxMs: ms(this.quantile(1)),
    };
  }
}
