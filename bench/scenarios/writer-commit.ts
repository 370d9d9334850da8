/**
 * The writer alone (`bench/write-path.ts --writer`): the units a real ShardHost makes of the saturation
 * mix (one lease per order, then ORDER_SNAPSHOTs of 5–15-line orders with mutation ids), committed one
 * unit per commit as at 125 writes/s, through the WriterCore and SQLite file the worker uses, its deliveries
 * posted on a real MessagePort. Prints the writer thread's CPU per write, the `commit` stage's p50/p99 and
 * the store's part of it; run it under `strace -f -c -e trace=fsync,fdatasync` to count the fsyncs.
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

/** This thread's user and system time in clock ticks (fields 14 and 15 of its stat; the name may hold spaces). */
function threadTicks(): { user: number; sys: number } {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), sys: Number(fields[12]) };
}

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

export interface WriterCommitFigures {
  readonly sync: 'full' | 'normal';
  readonly writes: number;
  /** The writer thread's CPU per write, µs (enqueue → commit → deliveries posted). */
  readonly cpuUsPerWrite: number;
  /** The share of that CPU spent in the kernel (pwrite, fsync, checkpoints), %. */
  readonly sysPercent: number;
  /** Wall per write of the whole loop, µs. */
  readonly wallUsPerWrite: number;
  /** The `commit` stage, µs. */
  readonly commit: { p50: number; p99: number; mean: number };
  /** The store's commit call alone (transaction, SQL and fsync), µs. */
  readonly store: { p50: number; p99: number; mean: number };
  readonly opsPerUnit: Record<string, number>;
  readonly place: CheckpointPlace;
  /** Checkpoints the writer ran between commits, and their wall time per write, µs. */
  readonly upkeep: { runs: number; usPerWrite: number };
}

const summary = (h: Histogram) => {
  const d = h.toData();
  return {
    p50: Math.round(h.quantile(0.5)),
    p99: Math.round(h.quantile(0.99)),
    mean: Math.round(d.count === 0 ? 0 : d.sum / d.count),
  };
};

/**
 * Where the WAL is checkpointed: `inline` (SQLite, inside the COMMIT that crosses 1000 pages: before this
 * change), `writer` (the writer between commits, after their deliveries: as writer.worker.ts runs it).
 */
export type CheckpointPlace = 'inline' | 'writer';

/** One run: a fresh file, the leases committed, then every write in a commit of its own, `rate` a second (0: back to back). */
export async function runWriterCommit(
  units: { leases: Unit[]; writes: Unit[] },
  sync: 'full' | 'normal',
  place: CheckpointPlace,
  rate: number,
): Promise<WriterCommitFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-writer-bench-'));
  let commitHist = new Histogram();
  let storeHist = new Histogram();
  const metrics = createThreadMetrics('writer-bench');
  const recording: HubMetrics = {
    ...metrics,
    writeStage: (stage, seconds) => {
      metrics.writeStage(stage, seconds);
      if (stage === 'commit') commitHist.record(seconds * 1e6);
    },
  };
  const path = join(dir, 'hub.sqlite');
  const port = SqliteStorePort.open({ path, sync, checkpoints: place === 'inline' ? 'inline' : 'writer' });
  const commit = port.commit.bind(port);
  port.commit = (u, now, fence) => {
    const t0 = performance.now();
    const result = commit(u, now, fence);
    storeHist.record((performance.now() - t0) * 1000);
    return result;
  };
  const checkpoint = port.checkpoint.bind(port);
  let upkeepUs = 0;
  port.checkpoint = () => {
    const t0 = performance.now();
    const result = checkpoint();
    upkeepUs += (performance.now() - t0) * 1000;
    return result;
  };

  // The deliveries cross a real port (the structured clone is the writer's cost); nobody reads them here.
  const channel = new MessageChannel();
  const front: Endpoint<WriterToFront, FrontToWriter> = new Endpoint({
    peer: 'bench',
    post: (batch) => channel.port1.postMessage(batch),
  });
  const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
  const core = new WriterCore({
    store: port,
    config,
    clock: { ...systemClock, afterTurn: (callback) => setImmediate(callback), elapsed: () => performance.now() },
    log: createLogger({ level: 'silent' }),
    metrics: recording,
    stages: stageTimer(recording),
    toFront: (notice) => front.send(notice),
  });
  await core.ready;
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  core.enqueue(units.leases);
  await turn();
  const warm = Math.min(200, Math.floor(units.writes.length / 5));
  for (const u of units.writes.slice(0, warm)) {
    core.enqueue([u]);
    await turn();
  }
  commitHist = new Histogram();
  storeHist = new Histogram();
  upkeepUs = 0;
  const runs0 = core.upkeep.runs;
  const gapMs = rate > 0 ? 1000 / rate : 0;
  const paced = (i: number, start: number) =>
    new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, start + (i + 1) * gapMs - performance.now())));
  const measured = units.writes.slice(warm);
  const ticks0 = threadTicks();
  const cpu0 = threadNs();
  const wall0 = performance.now();
  for (const [i, u] of measured.entries()) {
    core.enqueue([u]);
    await (gapMs > 0 ? paced(i, wall0) : turn());
  }
  const cpuUs = (threadNs() - cpu0) / 1000;
  const checkpoints = core.upkeep.runs - runs0;
  const ticks = threadTicks();
  const user = ticks.user - ticks0.user;
  const sys = ticks.sys - ticks0.sys;
  const wallUs = (performance.now() - wall0) * 1000;
  await core.request('stop');
  channel.port1.close();
  rmSync(dir, { recursive: true, force: true });
  const opsPerUnit: Record<string, number> = {};
  for (const u of measured) for (const op of u.ops) opsPerUnit[op.op] = (opsPerUnit[op.op] ?? 0) + 1 / measured.length;
  return {
    sync,
    writes: measured.length,
    cpuUsPerWrite: Math.round(cpuUs / measured.length),
    sysPercent: user + sys === 0 ? 0 : Math.round((100 * sys) / (user + sys)),
    wallUsPerWrite: Math.round(wallUs / measured.length),
    commit: summary(commitHist),
    store: summary(storeHist),
    opsPerUnit,
    place,
    upkeep: { runs: checkpoints, usPerWrite: Math.round(upkeepUs / measured.length) },
  };
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
