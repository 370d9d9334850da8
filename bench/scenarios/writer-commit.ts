/**
 * The writer alone (`bench/write-path.ts --writer`): the units a real ShardHost makes of the saturation
 * mix (one lease per order, then ORDER_SNAPSHOTs of 5–15-line orders with mutation ids), committed one
 * unit per commit as at 125 writes/s, through the WriterCore and SQLite file the worker uses, its deliveries
 * posted on a real MessagePort, for several ways of running the store side by side. Gives the writer
 * thread's CPU per write, the `commit` stage's p50/p99/mean and the store's part of it; run it under
 * `strace -f -c -e trace=fsync,fdatasync,pwrite64` to count the syscalls.
 */
import { closeSync, fdatasyncSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import type { Principal } from '../../actors/table/types.js';
import type { TableEnv } from '../../actors/table/context.js';
import { createLogger } from '../../src/adapters/log/logger.js';
import { createThreadMetrics } from '../../src/adapters/metrics/index.js';
import { SqliteStorePort } from '../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../src/config.js';
import { validateSnapshotChange } from '../../src/domain/index.js';
import { systemClock } from '../../src/ports/clock.js';
import { noopMetrics, stageTimer, type HubMetrics } from '../../src/ports/metrics.js';
import type { Unit } from '../../src/threads/actor-io.js';
import type { ShardInput } from '../../src/threads/contract.js';
import { Endpoint } from '../../src/threads/rpc.js';
import type { FrontToWriter, WriterToFront } from '../../src/threads/contract.js';
import { ShardHost } from '../../workers/shard/shard-host.js';
import { WriterCore } from '../../workers/writer/writer-core.js';
import { tableEnv } from '../../test/fixtures/table-actors.js';
import { editDraft, newDraft, rng, toSnapshot, type OrderDraft } from '../venue/orders.js';
import { Histogram } from '../lib/histogram.js';

/** ns this thread has run (first field of its schedstat): the writer's own CPU, not the process's. */
const threadNs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

/** The saturation mix's units as the shard makes them: `tables` leases, then `writes` snapshots. */
export function saturationUnits(tables: number, writes: number): { leases: Unit[]; writes: Unit[] } {
  const env: TableEnv = {
    ...tableEnv,
    validate: (previous, next, options) =>
      validateSnapshotChange(previous, next, { ...options, values: { maxQty: 10_000, maxPrice: 1_000_000 } }),
  };
  let sink: Unit[] = [];
  const host = new ShardHost({
    index: 0,
    env,
    clock: systemClock,
    metrics: noopMetrics,
    log: createLogger({ level: 'silent' }),
    sink: (u) => void sink.push(...u),
  });
  host.load([]);
  const random = rng(42);
  const waiters: Principal[] = Array.from({ length: 20 }, (_, i) => ({
    terminalId: `pos-${i}`,
    role: 'cashier',
    name: `W${i}`,
    owner: 'dev:cashier',
  }));
  const posOf = (t: number) => `NU/CFG1/S42/1709123456789-${t}`;
  const drafts: OrderDraft[] = [];
  const input = (t: number, msg: Extract<ShardInput, { type: 'terminal' }>['input']['msg']): ShardInput[] => [
    {
      type: 'terminal',
      input: {
        key: `t:${t + 1}`,
        from: waiters[t % waiters.length]!,
        msg,
        receivedAt: Date.now(),
        sentAt: performance.timeOrigin + performance.now(),
      },
    },
  ];
  for (let t = 0; t < tables; t++) {
    drafts.push(newDraft(posOf(t), t + 1, random, '2026-01-01T10:00:00.000Z'));
    host.handleBatch(input(t, { type: 'LEASE_ACQUIRE', posReference: posOf(t), baseVersion: 0, tableId: t + 1 }));
  }
  const leases = sink;
  sink = [];
  const versions = new Array<number>(tables).fill(0);
  for (let w = 0; w < writes; w++) {
    const t = (w * 7919) % tables;
    const draft = drafts[t]!;
    editDraft(draft, random);
    const snapshot = toSnapshot(draft, { state: 'editing', staffName: 'W1', extra: { benchSentUs: w } });
    host.handleBatch(
      input(t, {
        type: 'ORDER_SNAPSHOT',
        posReference: posOf(t),
        baseVersion: versions[t]!,
        snapshot,
        mutationId: `m${w}`,
      }),
    );
    versions[t]! += 1;
  }
  host.stop();
  return { leases, writes: sink };
}

/** One way of running the writer's store: what the bench compares. */
export interface WriterVariant {
  readonly sync: 'full' | 'normal';
  /** `inline`: SQLite checkpoints inside the COMMIT that crosses 1000 pages (before issue 16's change); `writer`: between commits (store-upkeep.ts). */
  readonly place: 'inline' | 'writer';
}

export interface WriterCommitFigures extends WriterVariant {
  readonly writes: number;
  /** The writer thread's CPU per write, µs: enqueue → commit → deliveries posted → any checkpoint. */
  readonly cpuUsPerWrite: number;
  /** The `commit` stage, µs. */
  readonly commit: { p50: number; p99: number; mean: number };
  /** The store's commit call alone (transaction, SQL and WAL sync), µs. */
  readonly store: { p50: number; p99: number; mean: number };
  /** Checkpoints the writer ran between commits, and their wall time per write, µs. */
  readonly upkeep: { runs: number; usPerWrite: number };
  readonly opsPerUnit: Record<string, number>;
}

const summary = (h: Histogram) => {
  const d = h.toData();
  return {
    p50: Math.round(h.quantile(0.5)),
    p99: Math.round(h.quantile(0.99)),
    mean: Math.round(d.count === 0 ? 0 : d.sum / d.count),
  };
};

/** One variant's writer on a fresh file, with its own counters. */
async function openVariant(v: WriterVariant, dir: string, index: number) {
  const tally = { commit: new Histogram(), store: new Histogram(), upkeepUs: 0, cpuNs: 0 };
  const metrics = createThreadMetrics(`writer-bench-${index}`);
  const recording: HubMetrics = {
    ...metrics,
    writeStage: (stage, seconds) => {
      metrics.writeStage(stage, seconds);
      if (stage === 'commit') tally.commit.record(seconds * 1e6);
    },
  };
  const port = SqliteStorePort.open({ path: join(dir, `hub-${index}.sqlite`), sync: v.sync, checkpoints: v.place });
  const commit = port.commit.bind(port);
  port.commit = (u, now, fence) => {
    const t0 = performance.now();
    const result = commit(u, now, fence);
    tally.store.record((performance.now() - t0) * 1000);
    return result;
  };
  const checkpoint = port.checkpoint.bind(port);
  port.checkpoint = () => {
    const t0 = performance.now();
    const result = checkpoint();
    tally.upkeepUs += (performance.now() - t0) * 1000;
    return result;
  };
  // The deliveries cross a real port (the structured clone is the writer's cost); nobody reads them here.
  const channel = new MessageChannel();
  const front: Endpoint<WriterToFront, FrontToWriter> = new Endpoint({ peer: 'bench', post: (batch) => channel.port1.postMessage(batch) });
  const core = new WriterCore({
    store: port,
    config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' }),
    clock: { ...systemClock, afterTurn: (callback) => setImmediate(callback), elapsed: () => performance.now() },
    log: createLogger({ level: 'silent' }),
    metrics: recording,
    stages: stageTimer(recording),
    toFront: (notice) => front.send(notice),
  });
  await core.ready;
  return { v, core, tally, channel };
}

/**
 * Every variant on a fresh file of its own, fed the same writes in turn (one commit each, the order rotating
 * write by write), so a neighbour's burst of I/O lands on all of them alike: on a shared box only figures
 * taken side by side compare. `rate` writes a second (each variant commits once per slot), 0 back to back.
 */
export async function runWriterCommit(units: { leases: Unit[]; writes: Unit[] }, variants: readonly WriterVariant[], rate: number): Promise<WriterCommitFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-writer-bench-'));
  const writers = await Promise.all(variants.map((v, i) => openVariant(v, dir, i)));
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  // Two turns: the commit (next turn), then a checkpoint it made due (the turn after), both in this write's slot.
  const write = async (w: (typeof writers)[number], units: Unit[]) => {
    const cpu0 = threadNs();
    w.core.enqueue(units);
    await turn();
    await turn();
    w.tally.cpuNs += threadNs() - cpu0;
  };
  for (const w of writers) await write(w, units.leases);
  const warm = Math.min(200, Math.floor(units.writes.length / 5));
  for (const u of units.writes.slice(0, warm)) for (const w of writers) await write(w, [u]);
  const runs0 = writers.map((w) => w.core.upkeep.runs);
  for (const w of writers) Object.assign(w.tally, { commit: new Histogram(), store: new Histogram(), upkeepUs: 0, cpuNs: 0 });
  const measured = units.writes.slice(warm);
  const gapMs = rate > 0 ? 1000 / rate : 0;
  const start = performance.now();
  for (const [i, u] of measured.entries()) {
    for (let k = 0; k < writers.length; k++) await write(writers[(i + k) % writers.length]!, [u]);
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + (i + 1) * gapMs - performance.now())));
  }
  const opsPerUnit: Record<string, number> = {};
  for (const u of measured) for (const op of u.ops) opsPerUnit[op.op] = (opsPerUnit[op.op] ?? 0) + 1 / measured.length;
  const figures = writers.map((w, i): WriterCommitFigures => ({
    ...w.v,
    writes: measured.length,
    cpuUsPerWrite: Math.round(w.tally.cpuNs / 1000 / measured.length),
    commit: summary(w.tally.commit),
    store: summary(w.tally.store),
    upkeep: { runs: w.core.upkeep.runs - runs0[i]!, usPerWrite: Math.round(w.tally.upkeepUs / measured.length) },
    opsPerUnit,
  }));
  for (const w of writers) {
    await w.core.request('stop');
    w.channel.port1.close();
  }
  rmSync(dir, { recursive: true, force: true });
  return figures;
}

/**
 * What the disk charges for one commit's WAL append outside SQLite: 32 kB (a write's ~8 frames) rewritten
 * in place in a 4 MB file, then fsync — SQLite's call in this better-sqlite3 build, which lacks
 * HAVE_FDATASYNC — or fdatasync (which skips the inode's mtime, so ext4 commits no journal transaction
 * carrying every other process's metadata). Back to back, and 8 ms apart as at 125 writes/s. p50/p99, µs.
 */
export async function fsyncProbe(count = 150): Promise<Record<string, { p50: number; p99: number }>> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-fsync-'));
  const fd = openSync(join(dir, 'probe-wal'), 'w+');
  const frames = Buffer.alloc(32 * 1024, 7);
  const slots = 128;
  for (let i = 0; i < slots; i++) writeSync(fd, frames, 0, frames.length, i * frames.length);
  fsyncSync(fd);
  const samples: Record<string, number[]> = {};
  // Interleaved rounds: a neighbour's burst of I/O lands on every variant alike.
  for (let round = 0; round < 3; round++)
    for (const call of ['fsync', 'fdatasync'] as const)
      for (const gapMs of [0, 8]) {
        const key = `${call}${gapMs === 0 ? ' back to back' : ` every ${gapMs} ms`}`;
        const list = (samples[key] ??= []);
        for (let i = 0; i < count / 3; i++) {
          writeSync(fd, frames, 0, frames.length, (i % slots) * frames.length);
          const t0 = performance.now();
          if (call === 'fsync') fsyncSync(fd);
          else fdatasyncSync(fd);
          list.push((performance.now() - t0) * 1000);
          if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
        }
      }
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  const out: Record<string, { p50: number; p99: number }> = {};
  for (const [key, list] of Object.entries(samples)) {
    list.sort((a, b) => a - b);
    out[key] = { p50: Math.round(list[Math.floor(list.length / 2)]!), p99: Math.round(list[Math.floor(list.length * 0.99)]!) };
  }
  return out;
}
