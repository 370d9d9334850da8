/**
 * The bench reads the hub's per-stage histograms out of /metrics text: series of several threads are
 * summed per stage, other families ignored, and quantiles follow Prometheus's histogram_quantile
 * (linear inside a bucket, 0 below the first bound, the highest finite bound in +Inf).
 */
import { describe, expect, it } from 'vitest';
import { histogramsBy, quantile } from '../../../bench/lib/prom-histogram.js';
import { stageFigures, stagesLine } from '../../../bench/scenarios/stages.js';
import { WRITE_STAGES } from '../../../src/ports/metrics.js';

const EXPOSITION = `# HELP pos_hub_write_stage_seconds Time a write spends in each stage.
# TYPE pos_hub_write_stage_seconds histogram
pos_hub_write_stage_seconds_bucket{le="0.001",stage="commit",thread="writer"} 10
pos_hub_write_stage_seconds_bucket{le="0.002",stage="commit",thread="writer"} 30
pos_hub_write_stage_seconds_bucket{le="+Inf",stage="commit",thread="writer"} 40
pos_hub_write_stage_seconds_sum{stage="commit",thread="writer"} 0.07
pos_hub_write_stage_seconds_count{stage="commit",thread="writer"} 40
pos_hub_write_stage_seconds_bucket{le="0.001",stage="decode",thread="front"} 5
pos_hub_write_stage_seconds_bucket{le="0.002",stage="decode",thread="front"} 5
pos_hub_write_stage_seconds_bucket{le="+Inf",stage="decode",thread="front"} 5
pos_hub_write_stage_seconds_sum{stage="decode",thread="front"} 0.0025
pos_hub_write_stage_seconds_count{stage="decode",thread="front"} 5
pos_hub_write_stage_seconds_bucket{le="0.001",stage="decode",thread="shard-0"} 5
pos_hub_write_stage_seconds_bucket{le="0.002",stage="decode",thread="shard-0"} 15
pos_hub_write_stage_seconds_bucket{le="+Inf",stage="decode",thread="shard-0"} 15
pos_hub_write_stage_seconds_sum{stage="decode",thread="shard-0"} 0.0175
pos_hub_write_stage_seconds_count{stage="decode",thread="shard-0"} 15
# HELP pos_hub_write_stage_seconds_other A family whose name starts like it.
# TYPE pos_hub_ack_latency_seconds histogram
pos_hub_ack_latency_seconds_bucket{le="0.001",thread="front"} 99
pos_hub_ack_latency_seconds_count{thread="front"} 99
`;

describe('histogramsBy', () => {
  it('sums every thread per stage and ignores other families', () => {
    const byStage = histogramsBy(EXPOSITION, 'pos_hub_write_stage_seconds', 'stage');
    expect([...byStage.keys()].sort()).toEqual(['commit', 'decode']);
    expect(byStage.get('decode')).toEqual({
      buckets: [
        { le: 0.001, count: 10 },
        { le: 0.002, count: 20 },
        { le: Infinity, count: 20 },
      ],
      count: 20,
      sum: 0.02,
    });
  });
});

describe('quantile', () => {
  const h = histogramsBy(EXPOSITION, 'pos_hub_write_stage_seconds', 'stage').get('commit')!;
  it('interpolates inside the bucket that holds the rank', () => {
    expect(quantile(h, 0.25)).toBeCloseTo(0.001, 9); // rank 10: the top of the first bucket
    expect(quantile(h, 0.5)).toBeCloseTo(0.0015, 9); // rank 20: half-way through 1–2 ms
    expect(quantile(h, 0.125)).toBeCloseTo(0.0005, 9); // rank 5: below the first bound, from 0
  });
  it('reads the highest finite bound in +Inf, and null for an empty histogram', () => {
    expect(quantile(h, 0.99)).toBe(0.002);
    expect(quantile({ buckets: [{ le: Infinity, count: 0 }], count: 0, sum: 0 }, 0.5)).toBeNull();
  });
});

describe('stageFigures', () => {
  it('gives every stage in path order, in ms, and marks the ones without samples', () => {
    const figures = stageFigures(EXPOSITION);
    expect(figures.map((f) => f.stage)).toEqual([...WRITE_STAGES]);
    const decode = figures.find((f) => f.stage === 'decode')!;
    expect(decode).toEqual({ stage: 'decode', count: 20, p50Ms: 1, p99Ms: 1.98, meanMs: 1 });
    const commit = figures.find((f) => f.stage === 'commit')!;
    expect(commit.p50Ms).toBe(1.5);
    expect(commit.meanMs).toBe(1.75);
    const missing = figures.filter((f) => f.count === 0).map((f) => f.stage);
    expect(missing).toEqual(['to_shard', 'actor_step', 'to_writer', 'commit_wait', 'to_front', 'fan_out']);
    expect(figures.find((f) => f.stage === 'fan_out')).toEqual({
      stage: 'fan_out',
      count: 0,
      p50Ms: null,
      p99Ms: null,
      meanMs: null,
    });
  });

  it('prints all eight stages on one line, p50/p99 in ms, a dash for a stage without samples', () => {
    expect(stagesLine(stageFigures(EXPOSITION))).toBe(
      'decode 1/1.98, to_shard —, actor_step —, to_writer —, commit_wait —, commit 1.5/2, to_front —, fan_out —',
    );
  });
});
