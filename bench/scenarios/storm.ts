/**
 * Scenario (c): reconnect storm — after a hub restart every terminal of a large venue reconnects at
 * once. 1,000 terminals open, AUTH and wait for SYNC_INIT (carrying the seeded orders) together;
 * the figure is the time from the first socket to the last terminal in sync.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monoUs, sleep } from '../lib/clock.js';
import { summarizeDir, type ProfileSummary, type SampleWindow } from '../profile/summarize-cpuprofile.js';
import { readProc, resetPeakRss } from '../lib/proc.js';
import { GeneratorPool, type ConnectResult } from '../venue/pool.js';
import type { ServerHandle } from '../venue/targets.js';
import { type BenchContext, eachTarget, save, startTarget, withServer } from './context.js';
import type { TargetName } from './plan.js';

export interface StormResult {
  readonly target: TargetName;
  readonly terminals: number;
  readonly seededOrders: number;
  readonly connect: ConnectResult;
  readonly serverCpuMs: number;
  readonly peakRssMB: number;
}

function targetSpec(name: TargetName, server: ServerHandle) {
  return name === 'socketio-peer'
    ? ({ kind: 'socketio', url: server.url } as const)
    : ({ kind: 'ws', url: server.url, encoding: 'json' } as const);
}

async function seed(
  ctx: BenchContext,
  name: TargetName,
  server: ServerHandle,
  orders: number,
  ms: number,
): Promise<number> {
  const terminals = Math.min(10, orders);
  const pool = GeneratorPool.start({
    script: ctx.scripts.generator,
    processes: 1,
    terminals,
    tables: orders,
    target: targetSpec(name, server),
    runId: `${ctx.runTag}seed${name}`,
  });
  try {
    await pool.connect();
    const r = await pool.run((orders * 2000) / ms, ms, { lockFraction: 0, finalizeAfter: 0, heartbeatMs: 0 }, 2000);
    return r.accepted;
  } finally {
    await pool.close();
  }
}

export async function runStormFor(ctx: BenchContext, name: TargetName): Promise<StormResult> {
  const p = ctx.plan.storm;
  const server = await startTarget(ctx, name);
  return withServer(server, async () => {
    await seed(ctx, name, server, p.seedOrders, p.seedMs);
    await sleep(300);
    resetPeakRss(server.pid);
    const before = readProc(server.pid);
    const pool = GeneratorPool.start({
      script: ctx.scripts.generator,
      processes: p.processes,
      terminals: p.terminals,
      tables: p.seedOrders,
      target: targetSpec(name, server),
      runId: `${ctx.runTag}storm${name}`,
      connectTimeoutMs: 90_000,
    });
    try {
      const connect = await pool.connect();
      const after = readProc(server.pid);
      const result = {
        target: name,
        terminals: p.terminals,
        seededOrders: p.seedOrders,
        connect,
        serverCpuMs: after.cpuMs - before.cpuMs,
        peakRssMB: Math.round((after.peakRssBytes / 1048576) * 10) / 10,
      };
      ctx.log(
        `  storm ${name}: ${connect.ok}/${p.terminals} in sync after ${connect.allInSyncMs} ms (per terminal p50 ${connect.perTerminal.p50Ms} p99 ${connect.perTerminal.p99Ms} ms), ${result.serverCpuMs} ms server CPU, ${connect.generatorCpuMs} ms generator CPU, failed ${connect.failed}`,
      );
      return result;
    } finally {
      await pool.close();
    }
  });
}

export async function runStorm(ctx: BenchContext): Promise<StormResult[]> {
  const p = ctx.plan.storm;
  ctx.log(
    `storm: ${p.terminals} terminals connect + AUTH + SYNC_INIT at once (${p.seedOrders} orders seeded), ${p.processes} generator processes`,
  );
  const results = await eachTarget(
    ctx,
    'storm',
    p.targets,
    (t) => t,
    (t) => runStormFor(ctx, t),
  );
  save(ctx, 'storm', p, results, [
    'allInSyncMs: first socket created → last SYNC_INIT received, over every generator process (shared monotonic clock).',
  ]);
  return results;
}

export interface StormProfileResult {
  readonly allInSyncMs: number;
  readonly threads: ProfileSummary[];
}

/**
 * Opt-in (`--only storm-profile`): the same storm against a hub run with `--cpu-prof`, summarised
 * over the storm's window — where a reconnect storm's server time goes.
 */
export async function runStormProfile(ctx: BenchContext): Promise<StormProfileResult> {
  const p = ctx.plan.storm;
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-bench-stormprof-'));
  try {
    ctx.log(`storm-profile: ${p.terminals} terminals against a hub with --cpu-prof`);
    const server = await startTarget(ctx, 'pos-hub', { cpuProfDir: dir });
    let window: SampleWindow | undefined;
    let allInSyncMs = 0;
    try {
      await seed(ctx, 'pos-hub', server, p.seedOrders, p.seedMs);
      const pool = GeneratorPool.start({
        script: ctx.scripts.generator,
        processes: p.processes,
        terminals: p.terminals,
        tables: p.seedOrders,
        target: targetSpec('pos-hub', server),
        runId: `${ctx.runTag}stormprof`,
        connectTimeoutMs: 90_000,
      });
      try {
        const fromUs = monoUs();
        allInSyncMs = (await pool.connect()).allInSyncMs;
        window = { fromUs, toUs: monoUs() };
      } finally {
        await pool.close();
      }
    } finally {
      await server.stop();
    }
    const result = { allInSyncMs, threads: summarizeDir(dir, 15, window) };
    for (const t of result.threads.slice(0, 3)) {
      ctx.log(
        `  ${t.thread}: ${t.busyPercent}% busy; ${t.top
          .slice(0, 4)
          .map((e) => `${e.function} ${e.percent}%`)
          .join(', ')}`,
      );
    }
    save(ctx, 'storm-profile', p, result, [
      "Self time per function, percent of the thread's busy samples during the storm.",
    ]);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
