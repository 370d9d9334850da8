/**
 * Per-stage latency of the write path (issue 16): stageTimer records into
 * pos_hub_write_stage_seconds{stage} of the thread's registry, one series per stage, in seconds, never
 * negative when a mark comes from a thread whose clock reads slightly ahead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildThreadMetrics, renderMetrics, type ThreadMetrics } from '../../../src/adapters/metrics/index.js';
import {
  noopMetrics,
  noopStageTimer,
  stageTimer,
  WRITE_STAGES,
  type HubMetrics,
  type WriteStage,
} from '../../../src/ports/metrics.js';

const built: ThreadMetrics[] = [];
afterEach(() => {
  for (const t of built.splice(0)) t.stop();
});

describe('stageTimer', () => {
  it('records the time since a mark under its stage and returns its reading for the next stage', () => {
    let now = 1000;
    const seen: Array<[WriteStage, number]> = [];
    const metrics: HubMetrics = { ...noopMetrics, writeStage: (stage, s) => seen.push([stage, s]) };
    const timer = stageTimer(metrics, () => now);
    const start = timer.mark();
    now = 1000.25;
    const decoded = timer.end('decode', start);
    now = 1002.25;
    timer.end('to_shard', decoded);
    timer.end('actor_step', 1002.5); // a mark from a clock a quarter ms ahead
    expect(seen).toEqual([
      ['decode', 0.00025],
      ['to_shard', 0.002],
      ['actor_step', 0],
    ]);
  });

  it('the no-op timer records nothing', () => {
    expect(noopStageTimer.end('commit', noopStageTimer.mark())).toBe(0);
  });

  it('fills pos_hub_write_stage_seconds with one series per stage, in seconds', async () => {
    const t = buildThreadMetrics('shard-0', { processMetrics: false });
    built.push(t);
    let now = 0;
    const timer = stageTimer(t.metrics, () => now);
    for (const stage of WRITE_STAGES) {
      const from = now;
      now += 0.5; // half a millisecond each
      timer.end(stage, from);
    }
    const body = renderMetrics(await t.snapshot(), []).body;
    expect(body).toContain('# TYPE pos_hub_write_stage_seconds histogram');
    for (const stage of WRITE_STAGES) {
      expect(body).toContain(`pos_hub_write_stage_seconds_count{stage="${stage}",thread="shard-0"} 1`);
      expect(body).toContain(`pos_hub_write_stage_seconds_sum{stage="${stage}",thread="shard-0"} 0.0005`);
      expect(body).toContain(`pos_hub_write_stage_seconds_bucket{le="0.0005",stage="${stage}",thread="shard-0"} 1`);
      expect(body).toContain(`pos_hub_write_stage_seconds_bucket{le="0.00025",stage="${stage}",thread="shard-0"} 0`);
    }
  });
});
