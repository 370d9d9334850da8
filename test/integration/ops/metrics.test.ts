/**
 * GET /metrics on a real hub (child process: main.ts, real shard and writer threads) after real
 * traffic: one scrape holds the front thread's series and every worker's (shard-0, shard-1, writer),
 * each family declared once, and the counters match what the terminals did.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf, tableKey } from '../../../src/threads/keys.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal, snapshotWithLines } from '../../helpers/terminal.js';

const SHARDS = 2;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the exposition strictly: one HELP and TYPE per family, families contiguous, samples well-formed. */
function parse(body: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const finished = new Set<string>();
  let family = '';
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const name = meta[2]!;
      if (name !== family) {
        if (family) finished.add(family);
        expect(finished.has(name), `family ${name} declared twice`).toBe(false);
        family = name;
      }
      if (meta[1] === 'HELP') {
        expect(helps.has(name), `HELP ${name} twice`).toBe(false);
        helps.add(name);
      } else {
        expect(types.has(name), `TYPE ${name} twice`).toBe(false);
        types.set(name, meta[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `malformed line: ${line}`).not.toBeNull();
    expect(m![1]!.startsWith(family), `${m![1]} outside its family ${family}`).toBe(true);
    const labels: Record<string, string> = {};
    for (const pair of (m![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]!] = pair[2]!;
    samples.push({ name: m![1]!, labels, value: Number(m![3]) });
  }
  return { samples, types };
}

function pick(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
const total = (samples: Sample[]) => samples.reduce((sum, s) => sum + s.value, 0);

/** Tables owned by each shard, found with the hub's own routing function. */
function tablesPerShard(perShard: number): number[] {
  const chosen: number[] = [];
  for (let shard = 0; shard < SHARDS; shard += 1) {
    let found = 0;
    for (let table = 1; found < perShard && table < 1000; table += 1) {
      if (shardOf(tableKey(table), SHARDS) === shard) {
        chosen.push(table);
        found += 1;
      }
    }
  }
  return chosen;
}

let hub: StartedHub;
const terminals: TestTerminal[] = [];
let scrape: { status: number; contentType: string | null; body: string };

beforeAll(async () => {
  hub = await startHub({ mode: 'child-process', env: { HUB_SHARDS: String(SHARDS) } });
  const cashier = await TestTerminal.connect(hub.wsUrl, { deviceId: 'metrics-json' });
  const waiter = await TestTerminal.connect(hub.wsUrl, { deviceId: 'metrics-msgpack', encoding: 'msgpack' });
  terminals.push(cashier, waiter);

  // Table locks on tables of both shards: lock decisions and actors on every shard.
  for (const tableId of tablesPerShard(2)) {
    cashier.send({ type: 'TABLE_LOCK_ACQUIRE', tableId });
    await cashier.awaitType('TABLE_LOCK_GRANTED', (m) => m.tableId === tableId);
  }
  // A lease granted, a lease denied, and a committed write that is acked and broadcast.
  const posReference = 'Order 00007-001-0001';
  const tableId = tablesPerShard(1)[0]!;
  cashier.send({ type: 'LEASE_ACQUIRE', posReference, baseVersion: 0, tableId });
  await cashier.awaitType('LEASE_GRANTED', (m) => m.posReference === posReference);
  cashier.send({
    type: 'ORDER_SNAPSHOT',
    posReference,
    baseVersion: 0,
    snapshot: snapshotWithLines(posReference, tableId, 2),
    mutationId: 'm-metrics-1',
  });
  await cashier.awaitType('ORDER_ACK', (m) => m.posReference === posReference);
  await waiter.awaitType('ORDER_UPDATED', (m) => m.posReference === posReference);
  waiter.send({ type: 'LEASE_ACQUIRE', posReference, baseVersion: 0, tableId });
  await waiter.awaitType('LEASE_DENIED', (m) => m.posReference === posReference);
  // Frames the front refuses before any shard sees them.
  cashier.sendRaw('this is not json');
  await cashier.awaitType('ERROR', (m) => m.code === 'BAD_JSON');

  const response = await fetch(`${hub.url}/metrics`);
  scrape = { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
});

afterAll(async () => {
  for (const t of terminals) await t.close();
  await hub?.close();
});

describe('GET /metrics after traffic', () => {
  it('is one valid Prometheus exposition', () => {
    expect(scrape.status).toBe(200);
    expect(scrape.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types } = parse(scrape.body);
    expect(types.get('pos_hub_frames_in_total')).toBe('counter');
    expect(types.get('pos_hub_ack_latency_seconds')).toBe('histogram');
  });

  it("passes Prometheus's own linter (promtool check metrics, Debian's prometheus package)", () => {
    const run = spawnSync('promtool', ['check', 'metrics'], { input: scrape.body, encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    expect(`${run.stdout}${run.stderr}`).toBe('');
    expect(run.status).toBe(0);
  });

  it('exports one event-loop-lag family, and histograms only from the threads that fill them', () => {
    const { samples, types } = parse(scrape.body);
    expect([...types.keys()].filter((name) => /event_?loop/.test(name))).toEqual(['pos_hub_event_loop_lag_seconds']);
    const threadsOf = (name: string) => [...new Set(pick(samples, name).map((s) => s.labels.thread))].sort();
    expect(threadsOf('pos_hub_writer_batch_size_count')).toEqual(['writer']);
    expect(threadsOf('pos_hub_writer_commit_duration_seconds_count')).toEqual(['writer']);
    expect(threadsOf('pos_hub_ack_latency_seconds_count')).toEqual(['front']);
  });

  it('has series from the front thread and from every worker', () => {
    const { samples } = parse(scrape.body);
    const threads = new Set(
      pick(samples, 'pos_hub_event_loop_lag_seconds', { stat: 'p99' }).map((s) => s.labels.thread),
    );
    expect([...threads].sort()).toEqual(['front', 'shard-0', 'shard-1', 'writer']);
    // Every thread's whole registry, not just the lag gauge: each counter family has one series per thread.
    for (const thread of ['front', 'shard-0', 'shard-1', 'writer']) {
      expect(pick(samples, 'pos_hub_backpressure_closes_total', { thread }), thread).toHaveLength(1);
    }
    // A gauge only one thread owns is reported by that thread alone.
    expect(pick(samples, 'pos_hub_connected_terminals').map((s) => s.labels.thread)).toEqual(['front']);
    // Process metrics are process-wide: reported once, by the front.
    const rss = pick(samples, 'pos_hub_process_resident_memory_bytes');
    expect(rss.map((s) => s.labels.thread)).toEqual(['front']);
    expect(rss[0]!.value).toBeGreaterThan(0);
  });

  it('front-thread series count what the terminals sent and received', () => {
    const { samples } = parse(scrape.body);
    const front = { thread: 'front' };
    expect(pick(samples, 'pos_hub_connected_terminals', front)[0]!.value).toBe(2);
    expect(total(pick(samples, 'pos_hub_frames_in_total', { ...front, type: 'AUTH', encoding: 'json' }))).toBe(1);
    expect(total(pick(samples, 'pos_hub_frames_in_total', { ...front, type: 'AUTH', encoding: 'msgpack' }))).toBe(1);
    expect(
      total(pick(samples, 'pos_hub_frames_in_total', { ...front, type: 'TABLE_LOCK_ACQUIRE', encoding: 'json' })),
    ).toBe(4);
    expect(
      total(pick(samples, 'pos_hub_frames_out_total', { ...front, type: 'ORDER_UPDATED', encoding: 'msgpack' })),
    ).toBeGreaterThanOrEqual(1);
    expect(total(pick(samples, 'pos_hub_frame_errors_total', { ...front, code: 'BAD_JSON' }))).toBe(1);
    expect(total(pick(samples, 'pos_hub_ack_latency_seconds_count', front))).toBeGreaterThanOrEqual(1);
    expect(total(pick(samples, 'pos_hub_broadcast_latency_seconds_count', front))).toBeGreaterThanOrEqual(1);
    expect(total(pick(samples, 'pos_hub_resyncs_total', { ...front, kind: 'full' }))).toBe(2);
  });

  it('shard series show the lease and lock decisions and the actors on both shards', () => {
    const { samples } = parse(scrape.body);
    const onShards = (s: Sample) => s.labels.thread?.startsWith('shard-') === true;
    expect(total(pick(samples, 'pos_hub_lease_decisions_total', { decision: 'granted' }).filter(onShards))).toBe(1);
    expect(total(pick(samples, 'pos_hub_lease_decisions_total', { decision: 'denied' }).filter(onShards))).toBe(1);
    expect(total(pick(samples, 'pos_hub_lock_decisions_total', { decision: 'granted' }).filter(onShards))).toBe(4);
    for (const shard of ['0', '1']) {
      const actors = pick(samples, 'pos_hub_actors', { thread: `shard-${shard}`, shard });
      expect(actors, `actors on shard ${shard}`).toHaveLength(1);
      expect(actors[0]!.value).toBeGreaterThanOrEqual(2);
    }
  });

  it('writer series show the group commits', () => {
    const { samples } = parse(scrape.body);
    const writer = { thread: 'writer' };
    expect(total(pick(samples, 'pos_hub_writer_batch_size_count', writer))).toBeGreaterThanOrEqual(1);
    expect(total(pick(samples, 'pos_hub_writer_batch_size_sum', writer))).toBeGreaterThanOrEqual(1);
    expect(total(pick(samples, 'pos_hub_writer_commit_duration_seconds_count', writer))).toBeGreaterThanOrEqual(1);
    expect(pick(samples, 'pos_hub_writer_commit_duration_seconds_bucket', { ...writer, le: '+Inf' })).toHaveLength(1);
  });
});
