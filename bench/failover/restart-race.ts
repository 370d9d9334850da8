/**
 * `npm run failover:restart-race [-- --runs N]`: the database-level half of issue 18's "two primaries", alone
 * and without load (docs/ha.md "Two primaries: what the database allows, what the hubs never do"). On the
 * suite's cluster: the monitor's group SIGKILLed, 2 s later the primary's, 15 s of nothing, then the monitor
 * and the old primary started again back to back. Both nodes and the monitor are sampled every 10 ms; every
 * change is printed with its time from the old primary's start, with how long both nodes were out of recovery
 * and how long both could commit. Reports, asserts nothing: what pg_auto_failover 2.0 does is the finding.
 */
import { startFailoverCluster, waitMonitor, otherNode } from './cluster.js';
import { waitSettled } from './harness.js';
import { startRoleSampler } from './role-sampler.js';
import type { RoleSample } from './run-log.js';
import { twoWritableEpisodes } from './two-primaries.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describeSample(s: RoleSample): string {
  const m = s.monitor;
  const view =
    m === undefined || m === null
      ? 'monitor down'
      : `monitor node1 ${m.node1?.reported ?? '?'}→${m.node1?.goal ?? '?'}, node2 ${m.node2?.reported ?? '?'}→${m.node2?.goal ?? '?'}`;
  return `node1 ${s.node1}, node2 ${s.node2}; ${view}`;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 3;
  const say = (line: string): void => {
    process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
  };
  say('starting a cluster (tuned)');
  const cluster = await startFailoverCluster('tuned');
  try {
    for (let run = 1; run <= runs; run++) {
      await cluster.ensureRunning();
      const primary = await waitSettled(cluster, 180_000);
      say(`run ${run}/${runs}: primary ${primary}, standby ${otherNode(primary)}`);
      const sampler = startRoleSampler({
        nodeUrl: cluster.nodeUrl,
        monitorUrl: cluster.monitorUrl,
        afterSeq: 0,
        writeOf: null,
        intervalMs: 10,
        limit: 20_000,
      });
      await cluster.act('stop', 'monitor');
      await sleep(2000);
      await cluster.act('stop', primary);
      await sleep(15_000);
      await cluster.act('start', 'monitor');
      await waitMonitor(cluster.base);
      await cluster.act('start', primary);
      const startedAt = Date.now();
      await sleep(30_000);
      const { samples } = await sampler.stop();
      let last = '';
      for (const s of samples) {
        const line = describeSample(s);
        if (line !== last && s.at >= startedAt - 1000) say(`  ${String(s.at - startedAt).padStart(6)} ms  ${line}`);
        last = line;
      }
      const out = (r: string): boolean => r === 'primary' || r === 'fenced-primary' || r === 'read-only-primary';
      const after = samples.filter((s) => s.at >= startedAt);
      const bothOut = after.filter((s) => out(s.node1) && out(s.node2));
      const span = (xs: readonly RoleSample[]): string =>
        xs.length === 0 ? '0 ms' : `${(xs.at(-1)?.at ?? 0) - (xs[0]?.at ?? 0)} ms`;
      const writable = twoWritableEpisodes(after);
      say(
        `  run ${run}: ${after.length} samples after the restart; both out of recovery ${bothOut.length} (${span(bothOut)}); both able to commit ${writable.count}`,
      );
      for (const e of writable.episodes)
        say(`    both able to commit ${e.from - startedAt}–${e.to - startedAt} ms: ${e.cause}`);
    }
  } finally {
    await cluster.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
