/**
 * Merges the front thread's and every worker's registry snapshots (prom-client JSON) into one
 * Prometheus text exposition: one HELP/TYPE per family, every thread's series under it. Snapshots
 * cross postMessage, so they are treated as untrusted data: malformed parts are skipped, never thrown on.
 */

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type LabelValue = string | number;

interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, LabelValue>>;
  readonly value: number;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly samples: Sample[];
  readonly seen: Set<string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(value: LabelValue): string {
  return String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function readLabels(raw: unknown): Record<string, LabelValue> | undefined {
  if (raw === undefined) return {};
  if (!isRecord(raw)) return undefined;
  const labels: Record<string, LabelValue> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!LABEL_NAME.test(name) || (typeof value !== 'string' && typeof value !== 'number')) return undefined;
    labels[name] = value;
  }
  return labels;
}

function readSample(raw: unknown, familyName: string): Sample | undefined {
  if (!isRecord(raw) || typeof raw.value !== 'number') return undefined;
  const metricName = raw.metricName === undefined ? familyName : raw.metricName;
  if (typeof metricName !== 'string' || !NAME.test(metricName) || !metricName.startsWith(familyName)) return undefined;
  const labels = readLabels(raw.labels);
  return labels === undefined ? undefined : { metricName, labels, value: raw.value };
}

function sampleKey(sample: Sample): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((name) => `${name}=${String(sample.labels[name])}`);
  return `${sample.metricName}{${labels.join(',')}}`;
}

/** Adds one snapshot's families to the merge; the first thread to declare a family fixes its HELP and TYPE. */
function addSnapshot(families: Map<string, Family>, snapshot: unknown): void {
  if (!Array.isArray(snapshot)) return;
  for (const raw of snapshot) {
    if (!isRecord(raw) || typeof raw.name !== 'string' || !NAME.test(raw.name) || !Array.isArray(raw.values)) continue;
    const type = typeof raw.type === 'string' && TYPES.has(raw.type) ? raw.type : 'untyped';
    let family = families.get(raw.name);
    if (family === undefined) {
      family = {
        name: raw.name,
        help: typeof raw.help === 'string' ? raw.help : '',
        type,
        samples: [],
        seen: new Set(),
      };
      families.set(raw.name, family);
    } else if (family.type !== type) {
      continue; // A family cannot change type mid-exposition; the scrape would be rejected.
    }
    for (const rawSample of raw.values) {
      const sample = readSample(rawSample, raw.name);
      if (sample === undefined) continue;
      const key = sampleKey(sample);
      if (family.seen.has(key)) continue; // Two threads claiming one name: duplicates break the scrape.
      family.seen.add(key);
      family.samples.push(sample);
    }
  }
}

function formatSample(sample: Sample): string {
  const labels = Object.entries(sample.labels).map(([name, value]) => `${name}="${escapeLabel(value)}"`);
  const labelText = labels.length === 0 ? '' : `{${labels.join(',')}}`;
  return `${sample.metricName}${labelText} ${formatValue(sample.value)}`;
}

/**
 * One scrape for the whole hub. `front` is the front thread's snapshot and `workers` the snapshots
 * each worker answered to `collect_metrics`; the same metric from several threads becomes one family
 * whose series differ by their `thread` label.
 */
export function renderMetrics(front: unknown, workers: readonly unknown[]): { contentType: string; body: string } {
  const families = new Map<string, Family>();
  addSnapshot(families, front);
  for (const worker of workers) addSnapshot(families, worker);
  const lines: string[] = [];
  for (const family of families.values()) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(formatSample(sample));
  }
  return { contentType: METRICS_CONTENT_TYPE, body: lines.length === 0 ? '' : `${lines.join('\n')}\n` };
}
