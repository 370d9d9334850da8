/**
 * renderMetrics merges several threads' registries into one valid exposition: one HELP/TYPE per
 * family, every thread's series under it, histograms intact, malformed snapshots skipped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildThreadMetrics, renderMetrics, type ThreadMetrics } from '../../../src/adapters/metrics/index.js';
import { METRICS, PROCESS_METRIC_NAMES, exportedSeriesNames } from '../../../src/adapters/metrics/names.js';

const built: ThreadMetrics[] = [];
function thread(name: string): ThreadMetrics {
  const t = buildThreadMetrics(name);
  built.push(t);
  return t;
}
afterEach(() => {
  for (const t of built.splice(0)) t.stop();
});

/** Parses an exposition into families → sample lines, failing on anything Prometheus would reject. */
function parseExposition(body: string): Map<string, { help: number; type: string[]; samples: string[] }> {
  const families = new Map<string, { help: number; type: string[]; samples: string[] }>();
  let currentFamily = '';
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { help: 0, type: [], samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const closed = new Set<string>();
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name] = meta;
      if (name !== currentFamily) {
        expect(closed.has(name!), `family ${name} appears twice`).toBe(false);
        if (currentFamily) closed.add(currentFamily);
        currentFamily = name!;
      }
      if (kind === 'HELP') family(name!).help += 1;
      else family(name!).type.push(meta[3]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    expect(sample, `bad line: ${line}`).not.toBeNull();
    expect(sample![1]!.startsWith(currentFamily), `${sample![1]} outside its family ${currentFamily}`).toBe(true);
    family(currentFamily).samples.push(line);
  }
  return families;
}

describe('renderMetrics', () => {
  it('merges front, shards and writer into one family per metric with distinct thread labels', async () => {
    const front = thread('front');
    const shard0 = thread('shard-0');
    const shard1 = thread('shard-1');
    const writer = thread('writer');
    front.metrics.connectedTerminals(3);
    front.metrics.frameIn('LEASE_ACQUIRE', 'json');
    front.metrics.frameIn('LEASE_ACQUIRE', 'msgpack');
    front.metrics.frameOut('ORDER_UPDATED', 'json', 5);
    front.metrics.ackLatency(0.002);
    shard0.metrics.actors(0, 4);
    shard0.metrics.leaseDecision('granted');
    shard1.metrics.actors(1, 2);
    shard1.metrics.leaseDecision('denied');
    writer.metrics.writerBatch(12, 0.0009);
    writer.metrics.forwardAttempt('retry');
    writer.metrics.odooRpc('create_from_ui', 'ok', 0.12);

    const [f, s0, s1, w] = await Promise.all([front, shard0, shard1, writer].map((t) => t.snapshot()));
    // Snapshots cross postMessage in production: the structured clone must not change the result.
    const { contentType, body } = renderMetrics(
      structuredClone(f),
      [s0, s1, w].map((s) => structuredClone(s)),
    );
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parseExposition(body);

    for (const [name, fam] of families) {
      expect(fam.help, `HELP lines for ${name}`).toBe(1);
      expect(fam.type, `TYPE lines for ${name}`).toHaveLength(1);
    }
    const actors = families.get(METRICS.actors.name)!;
    expect(actors.samples).toEqual([
      'pos_hub_actors{shard="0",thread="shard-0"} 4',
      'pos_hub_actors{shard="1",thread="shard-1"} 2',
    ]);
    const lag = families.get(METRICS.eventLoopLag.name)!;
    for (const t of ['front', 'shard-0', 'shard-1', 'writer']) {
      expect(
        lag.samples.some((l) => l.includes(`stat="p99"`) && l.includes(`thread="${t}"`)),
        t,
      ).toBe(true);
    }
    expect(families.get(METRICS.leaseDecisions.name)!.samples).toEqual([
      'pos_hub_lease_decisions_total{decision="granted",thread="shard-0"} 1',
      'pos_hub_lease_decisions_total{decision="denied",thread="shard-1"} 1',
    ]);
    expect(families.get(METRICS.framesIn.name)!.samples).toHaveLength(2);
    expect(body).toContain('pos_hub_frames_out_total{type="ORDER_UPDATED",encoding="json",thread="front"} 5');
    expect(body).toContain('pos_hub_writer_batch_size_bucket{le="16.5",thread="writer"} 1');
    expect(body).toContain('pos_hub_writer_batch_size_bucket{le="+Inf",thread="writer"} 1');
    expect(body).toContain('pos_hub_writer_commit_duration_seconds_count{thread="writer"} 1');
    expect(body).toContain('pos_hub_forward_failures_total{thread="writer"} 1');
    expect(body).toContain(
      'pos_hub_odoo_rpc_duration_seconds_bucket{le="0.25",method="create_from_ui",outcome="ok",thread="writer"} 1',
    );
    // A gauge appears only under the threads that set it: no false zero from the workers.
    expect(families.get(METRICS.connectedTerminals.name)!.samples).toEqual([
      'pos_hub_connected_terminals{thread="front"} 3',
    ]);
  });

  it('registers the process metrics once, on the front thread, under the names the dashboards use', async () => {
    const front = thread('front');
    const shard = thread('shard-0');
    const body = renderMetrics(await front.snapshot(), [await shard.snapshot()]).body;
    for (const name of PROCESS_METRIC_NAMES) {
      expect(body).toMatch(new RegExp(`^${name}(\\{[^}]*thread="front"[^}]*\\})? `, 'm'));
      expect(body).not.toMatch(new RegExp(`^${name}\\{[^}]*thread="shard-0"`, 'm'));
    }
  });

  it('exports every name in names.ts and nothing else under pos_hub_ except process metrics', async () => {
    const t = thread('shard-0');
    // Unlabelled gauges and histograms register on first use.
    t.metrics.connectedTerminals(0);
    t.metrics.forwardQueueDepth(0);
    t.metrics.deadLetters(0);
    t.metrics.ackLatency(0.001);
    t.metrics.broadcastLatency(0.001);
    t.metrics.writerBatch(1, 0.001);
    const body = renderMetrics(await t.snapshot(), []).body;
    const families = [...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    const expected = Object.values(METRICS).map((m) => m.name);
    expect(families.sort()).toEqual([...expected].sort());
    for (const name of expected) expect(exportedSeriesNames().has(name)).toBe(true);
  });

  it('drops duplicate series and type conflicts, skips malformed snapshots and escapes label values', () => {
    const family = (type: string, value: number, labels: Record<string, unknown>) => ({
      name: 'pos_hub_x',
      help: 'line one\nline two \\ end',
      type,
      values: [{ value, labels }],
    });
    const { body } = renderMetrics(
      [family('gauge', 1, { thread: 'front', note: 'say "hi"\n' })],
      [
        [family('gauge', 2, { thread: 'front', note: 'say "hi"\n' })], // same series again: dropped
        [family('counter', 3, { thread: 'shard-0' })], // type conflict: dropped
        'not a snapshot',
        [
          { name: 'bad name!', values: [] },
          { name: 'pos_hub_y', values: [{ value: 'x' }] },
        ],
        [family('gauge', Number.POSITIVE_INFINITY, { thread: 'shard-1' })],
      ],
    );
    expect(body).toBe(
      [
        '# HELP pos_hub_x line one\\nline two \\\\ end',
        '# TYPE pos_hub_x gauge',
        'pos_hub_x{thread="front",note="say \\"hi\\"\\n"} 1',
        'pos_hub_x{thread="shard-1"} +Inf',
        '# HELP pos_hub_y ',
        '# TYPE pos_hub_y untyped',
        '',
      ].join('\n'),
    );
  });

  it('caps free-form label values so network input cannot grow the registry without bound', async () => {
    const t = buildThreadMetrics('front', { processMetrics: false, maxLabelValues: 3 });
    built.push(t);
    for (let i = 0; i < 50; i += 1) t.metrics.frameError(`MADE_UP_${i}`);
    const body = renderMetrics(await t.snapshot(), []).body;
    const lines = body.split('\n').filter((l) => l.startsWith('pos_hub_frame_errors_total'));
    expect(lines).toHaveLength(4);
    expect(lines).toContain('pos_hub_frame_errors_total{code="other",thread="front"} 47');
  });

  it("reports a blocked event loop in its thread's lag gauge, net of the monitor's resolution", async () => {
    const t = buildThreadMetrics('writer');
    built.push(t);
    // The monitor records the gap between two of its 20 ms ticks, so it needs one tick before the block.
    await new Promise((resolve) => setTimeout(resolve, 45));
    const until = performance.now() + 150;
    while (performance.now() < until) {
      // Busy: the loop cannot run the monitor's timer, as a long synchronous SQLite call would.
    }
    const blockEnd = performance.now();
    // One trip through the timers phase: the monitor's overdue tick is recorded before this one.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const body = renderMetrics(await t.snapshot(), []).body;
    const max = Number(/^pos_hub_event_loop_lag_seconds\{stat="max",thread="writer"\} (\S+)$/m.exec(body)![1]);
    expect(max).toBeGreaterThan(0.1);
    // The window was reset by that scrape: an idle loop now reads (almost) no lag, not the resolution.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const idle = renderMetrics(await t.snapshot(), []).body;
    const sinceBlock = (performance.now() - blockEnd) / 1000;
    const p50 = Number(/^pos_hub_event_loop_lag_seconds\{stat="p50",thread="writer"\} (\S+)$/m.exec(idle)![1]);
    // Every gap in the new window lies between two ticks after the block ended, so none can exceed the
    // time since then, however slow this machine is; the block's own gap (over 0.1 s) would.
    expect(p50).toBeLessThanOrEqual(sinceBlock);
    // …but the max still shows the stall: /metrics renders every second, Prometheus scrapes every 15 s,
    // and a stall in between must reach the next scrape (max covers the last 60 s).
    const idleMax = Number(/^pos_hub_event_loop_lag_seconds\{stat="max",thread="writer"\} (\S+)$/m.exec(idle)![1]);
    expect(idleMax).toBeGreaterThan(0.1);
  });
});
