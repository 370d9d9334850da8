/**
 * Entry point of the benchmarks: `npm run bench` (mode `all`, < 10 min, writes bench/results and the
 * README table) and `npm run bench:smoke` (mode `smoke`, < 30 s, proves the harness end to end,
 * writes to a scratch folder). Options: `--out <dir>`, `--only venue,saturation,…`.
 * Every scenario is bounded; a failing scenario is reported and the others still run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureSqlite } from './ceilings/sqlite-commit.js';
import { bundleScripts } from './lib/bundle.js';
import { machineInfo } from './lib/machine.js';
import { updateReadme } from './lib/results.js';
import { type BenchContext, save } from './scenarios/context.js';
import { runHttp } from './scenarios/http.js';
import { runIdle } from './scenarios/idle.js';
import { runPg } from './scenarios/pg.js';
import { runFloor } from './scenarios/floor.js';
import { goalTable } from './scenarios/goals.js';
import { PLANS } from './scenarios/plan.js';
import { runProfile } from './scenarios/profile.js';
import { renderSummary, sat, type AllResults } from './scenarios/report.js';
import { runSaturation } from './scenarios/saturation.js';
import { runStorm, runStormProfile } from './scenarios/storm.js';
import { runVenue, runVenueProfile } from './scenarios/venue.js';
import { odooSimAvailable, ROOT, startOdooSim, type ServerHandle } from './venue/targets.js';

const SCENARIOS = ['sqlite', 'venue', 'venue-large', 'saturation', 'profile', 'storm', 'idle', 'http'] as const;
/** Run only when named in --only. */
const OPT_IN = ['storm-profile', 'venue-profile', 'venue-large-profile', 'pg', 'floor'] as const;
type Scenario = (typeof SCENARIOS)[number] | (typeof OPT_IN)[number];
const KNOWN: readonly string[] = [...SCENARIOS, ...OPT_IN];

const BENCH_DIR = fileURLToPath(new URL('./', import.meta.url));

function parseArgs(argv: readonly string[]): {
  mode: 'all' | 'smoke';
  out: string | null;
  only: Set<Scenario>;
  subset: boolean;
} {
  const mode = argv[0];
  if (mode !== 'all' && mode !== 'smoke')
    throw new Error(`usage: bench/run.ts all|smoke [--out dir] [--only ${KNOWN.join(',')}] (got ${String(mode)})`);
  let out: string | null = null;
  let only = new Set<Scenario>(SCENARIOS);
  for (let i = 1; i < argv.length; i += 1) {
    if (argv[i] === '--out') out = argv[++i] ?? null;
    else if (argv[i] === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = names.filter((n) => !KNOWN.includes(n));
      if (unknown.length > 0)
        throw new Error(`--only: unknown scenario(s) ${unknown.join(', ')}; known: ${KNOWN.join(', ')}`);
      only = new Set(names as Scenario[]);
    } else throw new Error(`unknown option ${argv[i]}`);
  }
  return { mode, out, only, subset: only.size !== SCENARIOS.length || OPT_IN.some((o) => only.has(o)) };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const plan = PLANS[args.mode];
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const outDir =
    args.out ??
    (args.mode === 'all' ? join(BENCH_DIR, 'results') : mkdtempSync(join(tmpdir(), 'pos-hub-bench-smoke-')));
  const log = (m: string) => process.stdout.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
  let odoo: ServerHandle | null = null;
  if (odooSimAvailable()) {
    try {
      odoo = await startOdooSim();
    } catch (error) {
      log(
        `Odoo simulator failed to start, finalize left out: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  } else log('src/odoo-sim/main.ts not found: ORDER_FINALIZE is left out of the mix');
  const results: AllResults = { failures: [] };
  const fail = (what: string, error: unknown) => {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    results.failures.push(`${what}: ${message}`);
    log(`${what} FAILED: ${error instanceof Error ? (error.stack ?? message) : message}`);
  };
  const ctx: BenchContext = {
    plan,
    outDir,
    date: startedAt.slice(0, 10),
    startedAt,
    machine: machineInfo(),
    odooUrl: odoo?.httpUrl ?? null,
    runTag: started.toString(36),
    scripts: bundleScripts(ROOT),
    shared: { hub: null },
    log,
    fail,
  };
  log(
    `mode ${args.mode}, results → ${outDir}; ${ctx.machine.cpuModel}, ${ctx.machine.cores} cores, Node ${ctx.machine.node}, load ${ctx.machine.loadAverage1m}`,
  );
  const attempt = async (name: Scenario, body: () => Promise<void>) => {
    if (!args.only.has(name)) return;
    try {
      await body();
    } catch (error) {
      fail(name, error);
    }
  };
  try {
    await attempt('sqlite', async () => {
      log(
        `sqlite: group commits of ${plan.sqlite.batches.join(', ')} rows under WAL + synchronous=FULL, ${plan.sqlite.durationMs} ms each`,
      );
      results.sqlite = measureSqlite(plan.sqlite.batches, plan.sqlite.durationMs);
      for (const b of results.sqlite.batches)
        log(`  batch ${b.batch}: ${b.rowsPerS} rows/s, ${b.commitsPerS} commits/s, commit p99 ${b.commit.p99Ms} ms`);
      log(`  fsync p50 ${results.sqlite.fsync.p50Ms} ms, p99 ${results.sqlite.fsync.p99Ms} ms`);
      save(ctx, 'sqlite', plan.sqlite, results.sqlite, [
        'The durability ceiling: no hub can acknowledge durable writes faster than the disk commits them.',
      ]);
    });
    await attempt('venue', async () => {
      results.venue = await runVenue(ctx);
    });
    await attempt('venue-large', async () => {
      results.venueLarge = await runVenue(ctx, 'venue-large');
    });
    await attempt('saturation', async () => {
      results.saturation = await runSaturation(ctx);
    });
    await attempt('profile', async () => {
      const hub = sat(results, 'pos-hub', 'json') ?? results.saturation?.find((s) => s.target === 'pos-hub');
      if (!plan.profile.enabled || hub === undefined) return;
      results.profile = await runProfile(ctx, hub);
    });
    await attempt('storm', async () => {
      results.storm = await runStorm(ctx);
    });
    await attempt('idle', async () => {
      results.idle = await runIdle(ctx);
    });
    await attempt('http', async () => {
      results.http = await runHttp(ctx);
    });
    await attempt('storm-profile', async () => {
      await runStormProfile(ctx);
    });
    await attempt('venue-profile', async () => {
      await runVenueProfile(ctx);
    });
    await attempt('venue-large-profile', async () => {
      await runVenueProfile(ctx, 'venue-large');
    });
    await attempt('pg', async () => {
      results.pg = await runPg(ctx);
    });
    await attempt('floor', async () => {
      results.floor = await runFloor(ctx);
    });
  } finally {
    await ctx.shared.hub?.stop();
    await odoo?.stop();
  }
  const elapsedS = Math.round((Date.now() - started) / 1000);
  const header = `Latest run: ${startedAt} (mode \`${args.mode}\`, ${elapsedS} s) on ${ctx.machine.cpuModel}, ${ctx.machine.cores} cores, Node ${ctx.machine.node}, uWS ${JSON.stringify(ctx.machine.uws)}, load average at start ${ctx.machine.loadAverage1m}.\n`;
  const goals = goalTable(results);
  const summary = renderSummary(results, header, goals);
  // A subset run must not overwrite the full run's summary of the same day.
  save(
    ctx,
    args.subset ? `summary-${[...args.only].join('+')}` : 'summary',
    { mode: args.mode, scenarios: [...args.only] },
    { elapsedS, failures: results.failures, goals, markdown: summary },
  );
  if (args.mode === 'all' && args.out === null && !args.subset) updateReadme(join(BENCH_DIR, 'README.md'), summary);
  // The opt-in pg scenario keeps its own block, rewritten whenever it runs in mode all to the default folder.
  if (args.mode === 'all' && args.out === null && results.pg !== undefined)
    updateReadme(join(BENCH_DIR, 'README.md'), results.pg.markdown, 'pg');
  process.stdout.write(`\n${summary}\n`);
  log(`done in ${elapsedS} s; results in ${outDir}`);
  return results.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
