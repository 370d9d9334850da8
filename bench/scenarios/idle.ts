/**
 * Scenario (d): idle footprint — 2,000 terminals connected and signed in, doing nothing. The figure
 * is the server's resident memory per terminal (RSS growth over the RSS before they connected) and
 * the CPU it burns while they idle.
 */
import { sleep } from '../lib/clock.js';
import { readProc } from '../lib/proc.js';
import { GeneratorPool } from '../venue/pool.js';
import { type BenchContext, eachTarget, save, startTarget, withServer } from './context.js';
import type { TargetName } from './plan.js';

export interface IdleResult {
  readonly target: TargetName;
  readonly terminals: number;
  readonly connected: number;
  readonly baseRssMB: number;
  readonly rssMB: number;
  readonly rssKBPerTerminal: number;
  /** Server CPU while all terminals idle, % of one core. */
  readonly idleCpuPercent: number;
}

const TABLES = 120;

export async function runIdleFor(ctx: BenchContext, name: TargetName): Promise<IdleResult> {
  const p = ctx.plan.idle;
  const server = await startTarget(ctx, name);
  return withServer(server, async () => {
    await sleep(p.settleMs);
    const base = readProc(server.pid);
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
      runId: `${ctx.runTag}idle${name}`,
      connectTimeoutMs: 60_000,
    });
    try {
      const connect = await pool.connect();
      await sleep(p.settleMs);
      const a = readProc(server.pid);
      await sleep(p.settleMs);
      const b = readProc(server.pid);
      const result: IdleResult = {
        target: name,
        terminals: p.terminals,
        connected: connect.ok,
        baseRssMB: Math.round((base.rssBytes / 1048576) * 10) / 10,
        rssMB: Math.round((b.rssBytes / 1048576) * 10) / 10,
        rssKBPerTerminal: connect.ok > 0 ? Math.round(((b.rssBytes - base.rssBytes) / 1024 / connect.ok) * 10) / 10 : 0,
        idleCpuPercent: Math.round(((b.cpuMs - a.cpuMs) / p.settleMs) * 1000) / 10,
      };
      ctx.log(
        `  idle ${name}: ${connect.ok} terminals, RSS ${result.baseRssMB} → ${result.rssMB} MB = ${result.rssKBPerTerminal} kB/terminal, idle CPU ${result.idleCpuPercent}%`,
      );
      return result;
    } finally {
      await pool.close();
    }
  });
}

export async function runIdle(ctx: BenchContext): Promise<IdleResult[]> {
  const p = ctx.plan.idle;
  ctx.log(`idle: ${p.terminals} idle terminals`);
  const results = await eachTarget(
    ctx,
    'idle',
    p.targets,
    (t) => t,
    (t) => runIdleFor(ctx, t),
  );
  save(ctx, 'idle', { ...p, tables: TABLES }, results, [
    'RSS per terminal = (RSS after connect + settle − RSS before) / connected. The relays join a room per table (120) for each socket, as in the other scenarios.',
  ]);
  return results;
}
