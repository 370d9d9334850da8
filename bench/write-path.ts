/**
 * One write path at fixed rates, for measuring a change to it: the saturation scenario's terminals and mix
 * against a fresh hub (or the uWS relay), a few phases per rate, each printed with the hub's CPU per write,
 * the ack, where the mean ack went (stages of that phase, outside them, run-queue wait) and every thread's
 * CPU and wait. Shorter and steadier than `run.ts all`; on a shared box read the CPU figures, not the waits.
 *
 *   node --import tsx bench/write-path.ts [--rates 0,125,1000] [--phases 3] [--seconds 5] [--target pos-hub|uws-ceiling]
 *     [--encoding json|msgpack] [--terminals 20] [--cpu-prof dir]
 * Rate 0 is the signed-in terminals idle: each thread's CPU per second with nothing to do.
 *
 *   node --import tsx bench/write-path.ts --writer [--writes 3000] [--rate 0] [--variants inline,writer,normal]
 * The writer alone, in-process (scenarios/writer-commit.ts): its thread's CPU per write and the commit stage,
 * one unit per commit (`--rate`: paced, else back to back), the variants side by side; then what the disk
 * charges for one commit's WAL append (fsync against fdatasync, back to back and paced).
 */
import { loadavg } from 'node:os';
import { bundleScripts } from './lib/bundle.js';
import { budgetLine } from './scenarios/ack-budget.js';
import { measuredRun } from './scenarios/measure.js';
import { PLANS } from './scenarios/plan.js';
import { StageWindow } from './scenarios/stages.js';
import { GeneratorPool } from './venue/pool.js';
import { ROOT, startHub, startRelay } from './venue/targets.js';
import { fsyncProbe, runWriterCommit, saturationUnits, type WriterVariant } from './scenarios/writer-commit.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

async function writerOnly(): Promise<void> {
  const writes = Number(option('writes', '3000'));
  const rate = Number(option('rate', '0'));
  const names = option('variants', 'inline,writer').split(',');
  const known: Record<string, WriterVariant> = {
    inline: { sync: 'full', place: 'inline' },
    writer: { sync: 'full', place: 'writer' },
    normal: { sync: 'normal', place: 'writer' },
  };
  const variants = names.map((n) => {
    const variant = known[n];
    if (variant === undefined) throw new Error(`--variants ${Object.keys(known).join('|')}, not ${n}`);
    return variant;
  });
  const figures = await runWriterCommit(saturationUnits(120, writes), variants, rate);
  process.stdout.write(`writer alone, ${figures[0]!.writes} writes one per commit${rate > 0 ? ` at ${rate}/s` : ', back to back'}, variants side by side (load ${loadavg()[0]!.toFixed(2)}), µs:\n`);
  for (const [i, f] of figures.entries())
    process.stdout.write(
      `  ${names[i]!.padEnd(17)} writer CPU ${f.cpuUsPerWrite}/write; commit stage p50 ${f.commit.p50} p99 ${f.commit.p99} mean ${f.commit.mean} (store.commit p50 ${f.store.p50} p99 ${f.store.p99} mean ${f.store.mean}); ` +
        `${f.place === 'inline' ? 'checkpoints inside commits' : `${f.upkeep.runs} checkpoints between commits, ${f.upkeep.usPerWrite}/write`}\n`,
    );
  process.stdout.write(`  rows per write: ${Object.entries(figures[0]!.opsPerUnit).map(([op, n]) => `${op} ${n.toFixed(2)}`).join(', ')}\n`);
  const probe = await fsyncProbe();
  const line = Object.entries(probe).map(([k, v]) => `${k} p50 ${v.p50} p99 ${v.p99}`).join('; ');
  process.stdout.write(`one commit's 32 kB WAL append outside SQLite, µs (load ${loadavg()[0]!.toFixed(2)}): ${line}\n`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--writer')) return writerOnly();
  const rates = option('rates', '125').split(',').map(Number);
  const phases = Number(option('phases', '3'));
  const seconds = Number(option('seconds', '5'));
  const target = option('target', 'pos-hub');
  const encoding = option('encoding', 'json');
  if (target !== 'pos-hub' && target !== 'uws-ceiling') throw new Error(`--target pos-hub|uws-ceiling, not ${target}`);
  if (encoding !== 'json' && encoding !== 'msgpack') throw new Error(`--encoding json|msgpack, not ${encoding}`);
  if (rates.some((r) => !(r >= 0)) || !(phases > 0) || !(seconds > 0))
    throw new Error('rates ≥ 0, phases and seconds > 0');
  const cpuProfDir = option('cpu-prof', '');
  const terminals = Number(option('terminals', String(PLANS.all.saturation.terminals)));
  const p = PLANS.all.saturation;
  const scripts = bundleScripts(ROOT);
  const server =
    target === 'pos-hub'
      ? await startHub({ odooUrl: null, ...(cpuProfDir === '' ? {} : { cpuProfDir }) })
      : await startRelay(target, scripts.uwsRelay);
  const pool = GeneratorPool.start({
    script: scripts.generator,
    processes: PLANS.all.processes,
    terminals,
    tables: Math.max(p.tables, terminals),
    target: { kind: 'ws', url: server.url, encoding },
    runId: `wp${Date.now().toString(36)}`,
    sampleEvery: p.sampleEvery,
  });
  try {
    const connect = await pool.connect();
    if (connect.failed > 0) throw new Error(`${connect.failed} terminals failed to connect`);
    await pool.run(Math.max(125, rates[0]!), 2000, p.mix, 1000);
    const window = target === 'pos-hub' ? await StageWindow.open(server.httpUrl) : undefined;
    for (const rate of rates)
      for (let i = 0; i < phases; i += 1) {
        const m = await measuredRun(pool, server, rate, seconds * 1000, p.mix, 1500, window);
        const r = m.run;
        if (rate === 0) {
          const perS = (ms: number) => Math.round((ms / (seconds + 1.5)) * 10) / 10;
          const idle = m.threads.map((t) => `${t.group} ${perS(t.cpuMs)}`).join(', ');
          process.stdout.write(`${target} idle #${i + 1}: CPU ms per second by thread: ${idle}\n`);
          continue;
        }
        process.stdout.write(
          `${target}/${encoding} @${rate}/s #${i + 1}: accepted ${r.acceptedPerS}/s, ack p50 ${r.ack.p50Ms} p99 ${r.ack.p99Ms} mean ${r.ack.meanMs} ms, hub ${m.server.cpuUsPerWrite} µs CPU/write, CPU pressure ${m.cpuPressurePercent ?? '—'}%\n  ${budgetLine(m.ackBudget, m.threads)}\n`,
        );
      }
  } finally {
    await pool.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
