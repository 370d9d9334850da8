/**
 * Scenario (d): idle footprint — terminals connected and signed in, doing nothing. The figure is the
 * server's resident memory per terminal: the slope of RSS against the number signed in, over several equal
 * batches, each reading taken after the server has settled and (under --expose-gc) collected its garbage in
 * every thread — so neither the garbage of a sign-in storm nor a one-time cost of the first batch (code
 * warmed, heap spaces grown, allocator arenas made) is counted per terminal. The same procedure for every
 * target; repeated on fresh servers, interleaved, and reported as median and range of the settled runs (a
 * run whose RSS fell while terminals were added was still giving back earlier memory: bench/README.md).
 * Also the CPU it burns while they idle.
 */
import { sleep } from '../lib/clock.js';
import { readProc } from '../lib/proc.js';
import { slope, spread, type Spread } from '../lib/slope.js';
import { GeneratorPool } from '../venue/pool.js';
import type { ServerHandle } from '../venue/targets.js';
import { type BenchContext, eachTarget, save, startTarget, withServer } from './context.js';
import type { TargetName } from './plan.js';

/** After the collection is asked for: it runs on each thread's next turn, and V8's memory reducer follows it. */
const GC_WAIT_MS = 500;
/**
 * V8's memory reducer — the memory-reducing GC (young generation shrunk, pooled pages unmapped) an idle
 * isolate runs on its own ~8 s after a full GC — brought forward to 0.3 s, so each forced collection is
 * followed by it and a reading finds what an idle server comes down to, not a forced GC's leftovers; a
 * forced GC every few seconds would otherwise keep pushing it back. Bench-only, with --expose-gc, for every
 * target alike.
 */
export const IDLE_NODE_ARGS = ['--expose-gc', '--gc-memory-reducer-start-delay-ms=300'] as const;

/** A settled reading: `readings` in a row, `gapMs` apart, within STABLE_BYTES of each other (at most maxMs). */
interface Stability {
  readonly readings: number;
  readonly gapMs: number;
  readonly maxMs: number;
}
const STABLE_BYTES = 512 * 1024;
/** A run whose RSS fell this much between two batches (terminals added) was not settled. */
const UNSETTLED_DROP_BYTES = 2 * 1024 * 1024;
/** Before the first batch and after every batch but the first. */
const SHORT: Stability = { readings: 2, gapMs: 3000, maxMs: 20_000 };
/**
 * After the first batch, the warm-up. The hub's first sign-ins set off the return of 20–40 MB it has held
 * since start-up (V8 pages of its threads, in the reducer's rounds); a slope through that is negative. So
 * the first batch's reading waits until the readings over plan.idle.warmUpMs agree — the same rule for every
 * target (a relay agrees at once). Not always long enough: the hub's rounds can come a minute later.
 */
function warmUp(windowMs: number): Stability {
  if (windowMs <= 0) return SHORT;
  return { readings: Math.ceil(windowMs / SHORT.gapMs) + 1, gapMs: SHORT.gapMs, maxMs: 60_000 };
}
/** The idle CPU window, after the last reading (no collection asked for in it). */
const IDLE_CPU_MS = 2000;
const TABLES = 120;

export interface IdlePoint {
  /** Signed in so far (every batch before included). */
  readonly terminals: number;
  readonly rssMB: number;
}

/** One fresh server: its reading before any terminal, then one after each batch. */
export interface IdleRun {
  readonly baseRssMB: number;
  readonly points: readonly IdlePoint[];
  /** Least-squares slope of RSS over the points, kB per terminal. */
  readonly kBPerTerminal: number | null;
  /** (last reading − base) / signed in: the old figure, one-time costs included. */
  readonly growthKBPerTerminal: number | null;
  readonly idleCpuPercent: number;
  readonly connected: number;
  /**
   * False when RSS fell by more than UNSETTLED_DROP_BYTES from one batch's reading to the next while
   * terminals were added: the server was still giving back earlier memory, and the slope says nothing.
   */
  readonly settled: boolean;
}

export interface IdleResult {
  readonly target: TargetName;
  readonly terminals: number;
  /** The fewest signed in at the end of any run. */
  readonly connected: number;
  /** The median slope of the settled runs: RSS per signed-in terminal, kB; null when no run settled. */
  readonly rssKBPerTerminal: number | null;
  readonly rssKBPerTerminalSpread: Spread | null;
  readonly growthKBPerTerminal: Spread | null;
  readonly baseRssMB: number;
  readonly rssMB: number;
  /** Server CPU while all terminals idle, % of one core (median over runs). */
  readonly idleCpuPercent: number;
  readonly forcedGc: boolean;
  readonly runs: readonly IdleRun[];
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => round(bytes / 1048576);

async function collectedRss(server: ServerHandle): Promise<number> {
  if (server.collectGarbage !== undefined) {
    server.collectGarbage();
    await sleep(GC_WAIT_MS);
  }
  return readProc(server.pid).rssBytes;
}

/**
 * Let the server finish what the last batch started, then read (after a collection where it can) until the
 * last few readings agree: the same steps for every target.
 */
async function settledRss(server: ServerHandle, settleMs: number, rule: Stability): Promise<number> {
  await sleep(settleMs);
  const deadline = performance.now() + rule.maxMs;
  const recent = [await collectedRss(server)];
  while (performance.now() < deadline) {
    const window = recent.slice(-rule.readings);
    if (window.length === rule.readings && Math.max(...window) - Math.min(...window) <= STABLE_BYTES) break;
    await sleep(rule.gapMs);
    recent.push(await collectedRss(server));
  }
  return recent[recent.length - 1]!;
}

export async function runIdleOnce(ctx: BenchContext, name: TargetName, repeat: number): Promise<IdleRun> {
  const p = ctx.plan.idle;
  const server = await startTarget(ctx, name, p.forceGc ? { nodeArgs: IDLE_NODE_ARGS } : {});
  return withServer(server, async () => {
    const base = await settledRss(server, p.settleMs, SHORT);
    const target =
      name === 'socketio-peer'
        ? ({ kind: 'socketio', url: server.url } as const)
        : ({ kind: 'ws', url: server.url, encoding: 'json' } as const);
    const pool = GeneratorPool.start({
      script: ctx.scripts.generator,
      processes: p.processes,
      terminals: p.terminals,
      tables: TABLES,
      target,
      runId: `${ctx.runTag}idle${name}${repeat}`,
      connectTimeoutMs: 60_000,
    });
    try {
      const points: { terminals: number; rssBytes: number }[] = [];
      let from = 0;
      let connected = 0;
      for (let step = 1; step <= p.steps; step += 1) {
        const to = Math.round((p.terminals * step) / p.steps);
        connected = (await pool.connect({ from, to })).ok;
        from = to;
        points.push({ terminals: connected, rssBytes: await settledRss(server, p.settleMs, step === 1 ? warmUp(p.warmUpMs) : SHORT) });
      }
      const a = readProc(server.pid);
      await sleep(IDLE_CPU_MS);
      const b = readProc(server.pid);
      const perTerminal = slope(points.map((q) => ({ x: q.terminals, y: q.rssBytes / 1024 })));
      const last = points[points.length - 1];
      const run: IdleRun = {
        baseRssMB: mb(base),
        points: points.map((q) => ({ terminals: q.terminals, rssMB: mb(q.rssBytes) })),
        kBPerTerminal: perTerminal === null ? null : round(perTerminal, 2),
        growthKBPerTerminal:
          last === undefined || connected === 0 ? null : round((last.rssBytes - base) / 1024 / connected, 2),
        idleCpuPercent: round(((b.cpuMs - a.cpuMs) / IDLE_CPU_MS) * 100),
        connected,
        settled: points.every((q, i) => i === 0 || q.rssBytes >= points[i - 1]!.rssBytes - UNSETTLED_DROP_BYTES),
      };
      ctx.log(
        `  idle ${name} #${repeat + 1}: RSS ${run.baseRssMB} MB, then ${run.points.map((q) => `${q.rssMB} @${q.terminals}`).join(', ')} → ${run.kBPerTerminal ?? '—'} kB/terminal (slope; ${run.growthKBPerTerminal ?? '—'} over the base)${run.settled ? '' : ' NOT SETTLED (RSS fell while terminals were added)'}, idle CPU ${round(run.idleCpuPercent)}%`,
      );
      return run;
    } finally {
      await pool.close();
    }
  });
}

function summarize(name: TargetName, runs: readonly IdleRun[], terminals: number, forcedGc: boolean): IdleResult {
  const values = (pick: (r: IdleRun) => number | null) =>
    runs.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
  const slopes = spread(values((r) => (r.settled ? r.kBPerTerminal : null)));
  const median = (pick: (r: IdleRun) => number | null) => spread(values(pick))?.median ?? 0;
  return {
    target: name,
    terminals,
    connected: runs.length === 0 ? 0 : Math.min(...runs.map((r) => r.connected)),
    rssKBPerTerminal: slopes === null ? null : round(slopes.median),
    rssKBPerTerminalSpread: slopes,
    growthKBPerTerminal: spread(values((r) => r.growthKBPerTerminal)),
    baseRssMB: round(median((r) => r.baseRssMB)),
    rssMB: round(median((r) => r.points[r.points.length - 1]?.rssMB ?? null)),
    idleCpuPercent: round(median((r) => r.idleCpuPercent)),
    forcedGc,
    runs,
  };
}

export async function runIdle(ctx: BenchContext): Promise<IdleResult[]> {
  const p = ctx.plan.idle;
  ctx.log(
    `idle: ${p.terminals} idle terminals in ${p.steps} batches, ${p.repeats} fresh server(s) per target${p.forceGc ? ', GC forced before each reading' : ''}`,
  );
  const runs = new Map<TargetName, IdleRun[]>(p.targets.map((t) => [t, []]));
  // Interleaved (hub, relay, peer, hub, …): a machine that gets busier part-way weighs on every target alike.
  for (let repeat = 0; repeat < p.repeats; repeat += 1) {
    const done = await eachTarget(
      ctx,
      'idle',
      p.targets,
      (t) => `${t} #${repeat + 1}`,
      async (t) => ({ t, run: await runIdleOnce(ctx, t, repeat) }),
    );
    for (const { t, run } of done) runs.get(t)?.push(run);
  }
  const results = p.targets
    .filter((t) => (runs.get(t)?.length ?? 0) > 0)
    .map((t) => summarize(t, runs.get(t) ?? [], p.terminals, p.forceGc));
  for (const r of results)
    ctx.log(
      `  idle ${r.target}: ${r.rssKBPerTerminal ?? '—'} kB/terminal, median of ${r.runs.filter((run) => run.settled).length} settled of ${r.runs.length} (range ${r.rssKBPerTerminalSpread?.min ?? '—'}–${r.rssKBPerTerminalSpread?.max ?? '—'})`,
    );
  save(ctx, 'idle', { ...p, tables: TABLES }, results, [
    `RSS per terminal = least-squares slope of the server's RSS over ${p.steps} readings, one after each batch of ${Math.round(p.terminals / p.steps)} sign-ins (settled ${p.settleMs} ms${p.forceGc ? ', then a full GC of every thread asked for by SIGUSR2 under --expose-gc, V8\'s memory reducer brought forward to 0.3 s after it' : ''}, read every 3 s until two readings agree within 0.5 MB; after the first batch, the warm-up, until the readings over ${p.warmUpMs} ms agree); median and range over the settled runs of ${p.repeats} fresh servers per target, interleaved (a run is not settled when RSS fell by over 2 MB from one batch to the next). growthKBPerTerminal is the old figure, (last reading − reading before any terminal) / signed in, one-time costs included.`,
    'The relays join a room per table (120) for each socket, as in the other scenarios; the hub subscribes each socket to one broadcast topic.',
  ]);
  return results;
}
