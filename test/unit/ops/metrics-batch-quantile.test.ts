/**
 * Regression: with batch-size buckets at 1, 2, 4 … a hub committing one row per batch showed p50 ≈ 0.5
 * in Grafana (Prometheus interpolates from 0 inside the lowest bucket). The buckets a real thread
 * registry exports are fed to Prometheus's own evaluator (`promtool test rules`) with the dashboard's
 * query: steady batches of 1 read 1, of 2 read 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildThreadMetrics, renderMetrics, type ThreadMetrics } from '../../../src/adapters/metrics/index.js';

const BATCHES_PER_MINUTE = 600;
const started: ThreadMetrics[] = [];
afterEach(() => {
  for (const t of started.splice(0)) t.stop();
});

/** The writer's bucket counts after one minute of batches of `size` rows. */
async function bucketsFor(size: number): Promise<Map<string, number>> {
  const writer = buildThreadMetrics('writer', { processMetrics: false });
  started.push(writer);
  for (let i = 0; i < BATCHES_PER_MINUTE; i += 1) writer.metrics.writerBatch(size, 0.001);
  const body = renderMetrics(await writer.snapshot(), []).body;
  const buckets = new Map<string, number>();
  for (const m of body.matchAll(/^pos_hub_writer_batch_size_bucket\{le="([^"]+)",thread="writer"\} (\d+)$/gm)) {
    buckets.set(m[1]!, Number(m[2]));
  }
  return buckets;
}

function promtoolQuantile(
  buckets: Map<string, number>,
  quantile: number,
  expected: number,
): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-promtool-'));
  try {
    const series = [...buckets].map(
      ([le, count]) =>
        `      - series: 'pos_hub_writer_batch_size_bucket{le="${le}",thread="writer"}'\n        values: '0+${count}x10'`,
    );
    const file = join(dir, 'batch.test.yml');
    writeFileSync(
      file,
      [
        'rule_files: []',
        'evaluation_interval: 1m',
        'tests:',
        '  - interval: 1m',
        '    input_series:',
        ...series,
        '    promql_expr_test:',
        `      - expr: histogram_quantile(${quantile}, sum by (le) (rate(pos_hub_writer_batch_size_bucket[5m])))`,
        '        eval_time: 10m',
        '        exp_samples:',
        "          - labels: '{}'",
        `            value: ${expected}`,
        '',
      ].join('\n'),
    );
    const run = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('writer batch-size histogram', () => {
  it.each([1, 2])('reads p50 = %i for steady batches of that many rows', async (size) => {
    const buckets = await bucketsFor(size);
    expect(buckets.size).toBeGreaterThan(2);
    const run = promtoolQuantile(buckets, 0.5, size);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });
});
