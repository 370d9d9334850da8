/**
 * `npm run failover [-- --runs N] [--faults a,b] [--driver store|hub] [--hubs 1|2] [--settings tuned|default] [--out DIR]`:
 * the failover suite of issue 18 on one machine, loopback only. Every fault of faults.ts runs N times
 * (default 3) on one pg_auto_failover cluster (a fresh one after a run that could not finish), with the
 * invariants of invariants.ts checked per run; prints the figures per fault and writes them with every
 * run's verdict to bench/results/failover-<time>.json. Exits 1 when a run broke an invariant or failed.
 * Bounded: a run gives up after its waits (harness.ts), the whole suite after --limit-min (default 30).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from '../lib/machine.js';
import { startFailoverCluster, type FailoverCluster } from './cluster.js';
import type { WriteDriver } from './driver.js';
import { faults } from './faults.js';
import { DEFAULT_RUN, runFault, type RunReport } from './harness.js';
import { summarize, table, type FaultSummary } from './report.js';
import { DEFAULT_STORE_DRIVER, storeDriver } from './store-driver.js';
import { hubDriver } from './hub-driver.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Options {
  readonly runs: number;
  readonly faults: readonly string[] | null;
  readonly driver: 'store' | 'hub';
  readonly hubs: 1 | 2;
  readonly settings: 'tuned' | 'default';
  readonly out: string;
  readonly limitMin: number;
}

function parseArgs(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const runs = Number(value('runs') ?? '3');
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error('--runs: a whole number from 1 to 50');
  const driver = value('driver') ?? 'store';
  if (driver !== 'store' && driver !== 'hub') throw new Error('--driver: store or hub');
  const settings = value('settings') ?? 'tuned';
  if (settings !== 'tuned' && settings !== 'default') throw new Error('--settings: tuned or default');
  const hubs = Number(value('hubs') ?? '2') as 1 | 2;
  if (hubs !== 1 && hubs !== 2) throw new Error('--hubs: 1 or 2 (hub driver)');
  const limitMin = Number(value('limit-min') ?? '30');
  if (!(limitMin > 0 && limitMin <= 240)) throw new Error('--limit-min: minutes, at most 240');
  const list = value('faults');
  return {
    runs,
    faults: list === undefined ? null : list.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    driver,
    hubs,
    settings,
    out: value('out') ?? join(ROOT, 'bench/results'),
    limitMin,
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const all = faults().filter((f) => !f.needsHub || (options.driver === 'hub' && options.hubs === 2));
  const chosen = options.faults === null ? all : all.filter((f) => options.faults?.includes(f.name));
  const unknown = (options.faults ?? []).filter((name) => !all.some((f) => f.name === name));
  if (unknown.length > 0) throw new Error(`unknown fault(s) for the ${options.driver} driver: ${unknown.join(', ')} (known: ${all.map((f) => f.name).join(', ')})`);
  const say = (line: string): void => {
    process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  };
  const startedAt = new Date();
  const deadline = Date.now() + options.limitMin * 60_000;
  const loadBefore = loadavg();
  let cluster: FailoverCluster | null = null;
  let driver: WriteDriver | null = null;
  const summaries: FaultSummary[] = [];
  const runs: { fault: string; run: number; load: number[]; report?: Omit<RunReport, 'log'>; error?: string }[] = [];
  try {
    for (const fault of chosen) {
      const verdicts: RunReport['verdict'][] = [];
      const errors: string[] = [];
      for (let run = 1; run <= options.runs; run++) {
        if (Date.now() > deadline) {
          errors.push(`not run: the suite's ${options.limitMin} min limit passed`);
          continue;
        }
        try {
          if (cluster === null) {
            say(`starting a cluster (${options.settings})`);
            cluster = await startFailoverCluster(options.settings);
            driver =
              options.driver === 'store'
                ? storeDriver({ ...DEFAULT_STORE_DRIVER, url: cluster.url })
                : await hubDriver({ url: cluster.url, monitorUrl: process.env.FAILOVER_HUB_MONITOR === 'off' ? '' : cluster.monitorUrl, hubs: options.hubs, log: say });
          }
          if (driver === null) throw new Error('no driver');
          say(`${fault.name} run ${run}/${options.runs}`);
          const report = await runFault(cluster, driver, fault, `${fault.name}-${run}`, DEFAULT_RUN, say);
          const v = report.verdict;
          say(
            `  ${v.ok ? 'held' : 'BROKEN'}: acked ${v.acked}, lost ${v.lost}, duplicated ${v.duplicated}, two nodes acking at once ${v.twoAckingPairs} (acks tied to a node ${v.acksAttributed}), two nodes writable ${v.twoWritableSamples}/${v.samples} samples (both out of recovery ${v.bothOutOfRecoverySamples}), gap ${v.gapMs ?? '—'} ms, primary ${v.primaryBefore}→${v.primaryAfter ?? 'none'}${report.takeovers === null ? '' : `, takeovers ${report.takeovers}`}`,
          );
          for (const x of v.violations) say(`    ${x.rule}: ${x.detail}`);
          for (const e of v.twoWritable) say(`    two nodes writable ${e.from}–${e.to} (${e.samples} samples): ${e.cause}`);
          verdicts.push(v);
          const { log: _log, ...kept } = report;
          runs.push({ fault: fault.name, run, load: loadavg(), report: kept });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          say(`  run failed: ${message}`);
          errors.push(message);
          runs.push({ fault: fault.name, run, load: loadavg(), error: message });
          await driver?.close().catch(() => undefined);
          await cluster?.close().catch(() => undefined);
          cluster = null;
          driver = null;
        }
      }
      summaries.push(summarize(fault.name, fault.how, verdicts, errors));
    }
  } finally {
    await driver?.close().catch(() => undefined);
    await cluster?.close().catch(() => undefined);
  }
  const result = {
    scenario: 'failover',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineInfo(),
    loadBefore,
    loadAfter: loadavg(),
    options,
    summaries,
    runs,
    notes: [
      'Loopback only. pg_auto_failover 2.0 monitor and two Postgres 15 nodes (synchronous standby), every link between them through the suite\'s TCP proxies (bench/failover/proxy.ts).',
      options.driver === 'store'
        ? 'gap: last ack before the fault → first ack of an attempt sent after it (a resend counts); longest stall: the longest time without any ack from the fault to the end of the run.'
        : 'gap: last ack before the fault → first ack of a write a terminal first sent after the fault (the SDK resends on its own; a resend of an older write does not count); longest stall: the longest time without any ack from the fault to the end of the run.',
      'p50 and p99 are nearest-rank over the runs of this batch that have a gap (gapMs.n); with fewer than 100 runs p99 is the worst run.',
      'load: the 1, 5 and 15 min load average when each run ended, on a 2-core box shared with other work.',
    ],
  };
  mkdirSync(options.out, { recursive: true });
  const file = join(options.out, `failover-${startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\n${table(summaries)}\n\nload average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${loadavg().map((l) => l.toFixed(1)).join(' ')} — ${file}\n`);
  const broken = summaries.some((s) => s.failedRuns > 0);
  process.exit(broken ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`failover suite failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
