/**
 * Scenario (a): a busy multi-floor venue at dinner rush against the hub — 60 terminals, 120 tables,
 * the full message mix (leases, snapshots, table locks, heartbeats, finalize through the Odoo
 * simulator when it is available) — and `venue-large`, the same rush in a venue four times larger.
 */
import { GeneratorPool } from '../venue/pool.js';
import { type BenchContext, save, startTarget, withServer } from './context.js';
import { measuredRun, type MeasuredRun } from './measure.js';
import type { VenuePlan } from './plan.js';

export interface VenueResult {
  readonly connect: Awaited<ReturnType<GeneratorPool['connect']>>;
  readonly measured: MeasuredRun;
  readonly uwsNative: boolean | null;
}

export async function runVenue(ctx: BenchContext, which: 'venue' | 'venue-large' = 'venue'): Promise<VenueResult> {
  const p: VenuePlan = which === 'venue' ? ctx.plan.venue : ctx.plan.venueLarge;
  const mix = ctx.odooUrl === null ? { ...p.mix, finalizeAfter: 0 } : p.mix;
  const notes = [
    `Dinner rush: ${p.terminals} terminals × 1 write / ${((p.terminals / p.rate) * 1000).toFixed(0)} ms = ${p.rate} writes/s offered; ${mix.lockFraction * 100}% of writes under a table lock; heartbeats every ${mix.heartbeatMs} ms.`,
    ctx.odooUrl === null
      ? 'The Odoo simulator was not available: ORDER_FINALIZE was left out of the mix.'
      : `Orders go checkout → paid → ORDER_FINALIZE after ${mix.finalizeAfter} snapshots (Odoo simulator).`,
  ];
  ctx.log(`${which}: ${p.terminals} terminals, ${p.tables} tables, ${p.rate} writes/s for ${p.durationMs} ms`);
  const server = await startTarget(ctx, 'pos-hub');
  return withServer(server, async () => {
    const pool = GeneratorPool.start({
      script: ctx.scripts.generator,
      processes: ctx.plan.processes,
      terminals: p.terminals,
      tables: p.tables,
      target: { kind: 'ws', url: server.url, encoding: 'json' },
      runId: `${ctx.runTag}${which === 'venue' ? 'v' : 'V'}`,
    });
    try {
      const connect = await pool.connect();
      if (p.warmupMs > 0) await pool.run(p.rate, p.warmupMs, mix, 1000);
      const measured = await measuredRun(pool, server, p.rate, p.durationMs, mix, 3000);
      const result = { connect, measured, uwsNative: server.uwsNative };
      save(ctx, which, { ...p, mix, encoding: 'json', processes: ctx.plan.processes }, result, notes);
      const r = measured.run;
      ctx.log(
        `${which}: ${r.acceptedPerS} writes/s accepted, ack p50 ${r.ack.p50Ms} p99 ${r.ack.p99Ms} ms, propagation p99 ${r.propagation.p99Ms} ms, hub ${measured.server.cpuUsPerWrite} µs CPU/write, peak RSS ${measured.server.peakRssMB} MB, errors ${r.errorCount}`,
      );
      return result;
    } finally {
      await pool.close();
    }
  });
}
