/**
 * The Grafana dashboard queries only what the hub exports: every PromQL expression in
 * grafana/dashboards/pos-hub.json is parsed for metric names, each checked against
 * src/adapters/metrics/names.ts (histogram _bucket/_sum/_count included); every hub metric has a panel.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRICS, exportedSeriesNames } from '../../../src/adapters/metrics/names.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DASHBOARD = join(ROOT, 'grafana', 'dashboards', 'pos-hub.json');

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** Metric names referenced by one PromQL expression (or a Grafana `label_values(...)` query). */
function metricNamesIn(expr: string): string[] {
  const labelValues = /^\s*label_values\(\s*(?:(.*),\s*)?[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/s.exec(expr);
  if (labelValues) return labelValues[1] === undefined ? [] : metricNamesIn(labelValues[1]);
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const token = match[0];
    const before = stripped[match.index - 1] ?? ' ';
    const after = stripped.slice(match.index + token.length).trimStart()[0];
    if (/[0-9.$]/.test(before)) continue; // 1e9, 5m, $variable
    if (after === '(') continue; // function or aggregation
    if (KEYWORDS.has(token.toLowerCase())) continue;
    names.push(token);
  }
  return names;
}

interface Query {
  readonly where: string;
  readonly expr: string;
}

/** Every query in the dashboard: panel targets (rows included) and templating queries. */
function queriesOf(dashboard: Record<string, unknown>): Query[] {
  const queries: Query[] = [];
  const visitPanels = (panels: unknown): void => {
    if (!Array.isArray(panels)) return;
    for (const panel of panels as Record<string, unknown>[]) {
      for (const t of (panel.targets as Record<string, unknown>[] | undefined) ?? []) {
        if (typeof t.expr === 'string')
          queries.push({ where: `panel "${String(panel.title)}" ${String(t.refId)}`, expr: t.expr });
      }
      visitPanels(panel.panels);
    }
  };
  visitPanels(dashboard.panels);
  const templating = (dashboard.templating as { list?: Record<string, unknown>[] } | undefined)?.list ?? [];
  for (const variable of templating) {
    if (variable.type !== 'query') continue;
    const q = variable.query;
    const expr = typeof q === 'string' ? q : (q as { query?: unknown } | undefined)?.query;
    if (typeof expr === 'string') queries.push({ where: `variable $${String(variable.name)}`, expr });
  }
  return queries;
}

function unknownMetrics(queries: readonly Query[]): string[] {
  const exported = exportedSeriesNames();
  return queries.flatMap((q) =>
    metricNamesIn(q.expr)
      .filter((n) => !exported.has(n))
      .map((n) => `${q.where}: ${n}`),
  );
}

describe('metricNamesIn', () => {
  it('finds metric names and ignores functions, labels, ranges, numbers, strings and variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, method) (rate(pos_hub_odoo_rpc_duration_seconds_bucket{outcome="error", thread=~"$thread"}[$__rate_interval]))) / 1e9',
      ),
    ).toEqual(['pos_hub_odoo_rpc_duration_seconds_bucket']);
    expect(
      metricNamesIn('sum(rate(a_sum[5m])) / ignoring(x) sum(rate(a_count[5m] offset 1h)) > bool 0 and on(thread) b'),
    ).toEqual(['a_sum', 'a_count', 'b']);
    expect(metricNamesIn('time() - max(pos_hub_process_start_time_seconds)')).toEqual([
      'pos_hub_process_start_time_seconds',
    ]);
    expect(metricNamesIn('label_values(pos_hub_event_loop_lag_seconds{stat="p99"}, thread)')).toEqual([
      'pos_hub_event_loop_lag_seconds',
    ]);
    expect(metricNamesIn('label_values(thread)')).toEqual([]);
  });
});

describe('grafana/dashboards/pos-hub.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Record<string, unknown>;
  const queries = queriesOf(dashboard);

  it('queries only metrics the hub exports', () => {
    expect(queries.length).toBeGreaterThan(20);
    expect(unknownMetrics(queries)).toEqual([]);
  });

  it('would fail on a metric the hub does not export', () => {
    const broken = [...queries, { where: 'panel "typo"', expr: 'sum(rate(pos_hub_frames_inn_total[5m]))' }];
    expect(unknownMetrics(broken)).toEqual(['panel "typo": pos_hub_frames_inn_total']);
    // A histogram suffix on a non-histogram is not exported either.
    expect(unknownMetrics([{ where: 'x', expr: 'pos_hub_connected_terminals_bucket' }])).toHaveLength(1);
  });

  it('has a panel for every hub metric', () => {
    const used = new Set(
      queries.flatMap((q) => metricNamesIn(q.expr)).map((n) => n.replace(/_(bucket|sum|count)$/, '')),
    );
    const missing = Object.values(METRICS)
      .map((m) => m.name)
      .filter((name) => !used.has(name));
    expect(missing).toEqual([]);
  });

  it('is provisionable: unique panel ids, a stable uid, datasource from a variable', () => {
    expect(dashboard.uid).toBe('pos-hub');
    const ids: number[] = [];
    const collect = (panels: unknown): void => {
      for (const p of (panels as Record<string, unknown>[] | undefined) ?? []) {
        ids.push(p.id as number);
        collect(p.panels);
      }
    };
    collect(dashboard.panels);
    expect(new Set(ids).size).toBe(ids.length);
    const provider = readFileSync(join(ROOT, 'grafana', 'provisioning', 'dashboards', 'provider.yml'), 'utf8');
    expect(provider).toMatch(/path: \/var\/lib\/grafana\/dashboards/);
    const datasource = readFileSync(join(ROOT, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8');
    expect(datasource).toMatch(/type: prometheus/);
    expect(datasource).toMatch(/url: http:\/\/prometheus:9090/);
  });
});
