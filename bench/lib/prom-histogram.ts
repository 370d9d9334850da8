/**
 * Reads a Prometheus histogram family out of a /metrics text exposition and estimates its quantiles
 * the way Prometheus's histogram_quantile does (linear inside a bucket), summed over every thread —
 * so the bench can print the hub's own per-stage latencies (pos_hub_write_stage_seconds) after a run.
 */

export interface PromHistogram {
  /** Cumulative counts by upper bound, ascending; the last bound is +Inf. */
  readonly buckets: ReadonlyArray<{ readonly le: number; readonly count: number }>;
  readonly count: number;
  readonly sum: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function labelsOf(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of (text ?? '').matchAll(PAIR)) labels[m[1]!] = m[2]!;
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/**
 * The histogram `family` split by the value of label `by` (e.g. stage), every other label (thread)
 * summed away. Series of other families are ignored; a family absent from the text gives an empty map.
 */
export function histogramsBy(exposition: string, family: string, by: string): Map<string, PromHistogram> {
  const acc = new Map<string, { le: Map<number, number>; count: number; sum: number }>();
  const entry = (key: string) => {
    let e = acc.get(key);
    if (e === undefined) {
      e = { le: new Map(), count: 0, sum: 0 };
      acc.set(key, e);
    }
    return e;
  };
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(family)) continue;
    const m = SAMPLE.exec(line);
    if (m === null) continue;
    const labels = labelsOf(m[2]);
    const key = labels[by];
    const value = parseValue(m[3]!);
    if (key === undefined || !Number.isFinite(value)) continue;
    if (m[1] === `${family}_bucket` && labels.le !== undefined) {
      const le = parseValue(labels.le);
      const e = entry(key);
      e.le.set(le, (e.le.get(le) ?? 0) + value);
    } else if (m[1] === `${family}_count`) entry(key).count += value;
    else if (m[1] === `${family}_sum`) entry(key).sum += value;
  }
  const out = new Map<string, PromHistogram>();
  for (const [key, e] of acc) {
    const buckets = [...e.le.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
    out.set(key, { buckets, count: e.count, sum: e.sum });
  }
  return out;
}

/**
 * histogram_quantile(q): the rank q·count located in its bucket and interpolated linearly between the
 * bucket's bounds (0 below the first); in the +Inf bucket the highest finite bound is returned. null
 * when the histogram is empty.
 */
export function quantile(h: PromHistogram, q: number): number | null {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerBound;
      const inBucket = b.count - lowerCount;
      return inBucket === 0 ? b.le : lowerBound + ((b.le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = b.le;
    lowerCount = b.count;
  }
  return lowerBound;
}
