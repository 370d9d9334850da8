/**
 * One failover run: wait for a settled cluster (one primary, one secondary, links open, everything started),
 * note the seq high-water mark, start the role sampler and the driver, warm up, inject the fault, start again
 * what it stopped and heal the links, let the writes flow, stop the driver (every write in flight answered),
 * read the run's writes back from the surviving primary and judge the log (invariants.ts). Every wait is
 * bounded; a run that cannot finish throws, and the caller starts a fresh cluster.
 */
import pg from 'pg';
import type { FailoverCluster, Member, NodeName } from './cluster.js';
import type { WriteDriver } from './driver.js';
import type { Fault, FaultContext } from './faults.js';
import { checkRun, type RunVerdict } from './invariants.js';
import { startRoleSampler } from './role-sampler.js';
import { stallReport } from './stall-report.js';
import type { Ack, Commit, RoleSample, RunLog } from './run-log.js';

export interface RunSettings {
  /** Acks before the fault, so the load is steady when it strikes. */
  readonly warmAcks: number;
  /** Acks after everything was healed, before the driver stops. */
  readonly tailAcks: number;
  readonly settleMs: number;
  readonly ackWaitMs: number;
}

export const DEFAULT_RUN: RunSettings = { warmAcks: 100, tailAcks: 50, settleMs: 180_000, ackWaitMs: 90_000 };

export interface RunReport {
  readonly verdict: RunVerdict;
  readonly how: string;
  /** Acks per answering node: the node that committed the write (sampler), else the one writable node sampled at the ack. */
  readonly acksByNode: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** Hub driver: new epochs during the run (FinalState.takeovers). */
  readonly takeovers: number | null;
  readonly log: RunLog;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Both nodes in step: one primary, one secondary, as the monitor has settled them. */
export async function waitSettled(cluster: FailoverCluster, limitMs: number): Promise<NodeName> {
  const until = Date.now() + limitMs;
  let state = '';
  while (Date.now() < until) {
    state = await cluster.state().catch((e: unknown) => String(e));
    const primary = /^(node[12])\|\d+\|primary\|primary$/m.exec(state)?.[1];
    if ((primary === 'node1' || primary === 'node2') && /\|secondary\|secondary$/m.test(state)) return primary;
    await sleep(250);
  }
  throw new Error(`cluster not settled within ${limitMs} ms: ${state.replace(/\n/g, '; ')}`);
}

/** The node that answers "not in recovery", asked directly (the monitor may be down or still deciding). */
async function writableNode(cluster: FailoverCluster, limitMs: number): Promise<NodeName | null> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    const found: NodeName[] = [];
    for (const node of ['node1', 'node2'] as const) {
      const client = new pg.Client({ connectionString: cluster.nodeUrl(node), connectionTimeoutMillis: 1000, query_timeout: 2000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ ro: boolean }>('SELECT pg_is_in_recovery() AS ro');
        if (rows[0]?.ro === false) found.push(node);
      } catch {
        // down or starting: asked again below
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    if (found.length === 1) return found[0] ?? null;
    await sleep(250);
  }
  return null;
}

function waitAcks(driver: WriteDriver, target: number, limitMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const until = Date.now() + limitMs;
    const tick = (): void => {
      if (driver.ackCount() >= target) resolve(true);
      else if (Date.now() >= until) resolve(false);
      else setTimeout(tick, 20);
    };
    tick();
  });
}

/**
 * The node behind each ack: the one the sampler saw commit its write; failing that (the node died before the
 * next sample), the writable node at the ack's time (the last sample before it with exactly one).
 */
function answeredBy(acks: readonly Ack[], samples: readonly RoleSample[], commits: readonly Commit[]): Ack[] {
  const committedOn = new Map(commits.map((c) => [`${c.seq} ${c.mutationId}`, c.node]));
  let i = 0;
  let current = '?';
  return [...acks]
    .sort((a, b) => a.ackAt - b.ackAt)
    .map((ack) => {
      while (i < samples.length && (samples[i]?.at ?? Infinity) <= ack.ackAt) {
        const s = samples[i];
        if (s !== undefined && (s.node1 === 'primary') !== (s.node2 === 'primary')) current = s.node1 === 'primary' ? 'node1' : 'node2';
        i += 1;
      }
      return { ...ack, by: `${ack.by}@${committedOn.get(`${ack.seq} ${ack.mutationId}`) ?? current}` };
    });
}

export async function runFault(
  cluster: FailoverCluster,
  driver: WriteDriver,
  fault: Fault,
  runId: string,
  settings: RunSettings,
  log: (line: string) => void,
): Promise<RunReport> {
  const started = Date.now();
  cluster.healLinks();
  const restarted = await cluster.ensureRunning();
  if (restarted.length > 0) log(`  started again before the run: ${restarted.join(', ')}`);
  const primary = await waitSettled(cluster, settings.settleMs);
  const afterSeq = await driver.currentSeq(cluster.nodeUrl(primary));
  const sampler = startRoleSampler({ nodeUrl: cluster.nodeUrl, monitorUrl: cluster.monitorUrl, afterSeq, writeOf: driver.writeOf });
  let faultAt: number | null = null;
  const stopped: Member[] = [];
  let samples: RoleSample[] = [];
  let commits: Commit[] = [];
  try {
    await driver.start(runId);
    if (!(await waitAcks(driver, settings.warmAcks, settings.ackWaitMs))) throw new Error('no steady load before the fault');
    const ctx: FaultContext = {
      cluster,
      driver,
      primary,
      stopped,
      mark: () => {
        faultAt = Date.now();
      },
      acksAfter: (count, limitMs) => waitAcks(driver, driver.ackCount() + count, limitMs),
      hold: sleep,
      log,
    };
    const outcome = await fault.inject(ctx);
    cluster.healLinks();
    for (const member of stopped) await cluster.act('start', member);
    if (!(await waitAcks(driver, driver.ackCount() + settings.tailAcks, settings.ackWaitMs)))
      throw new Error(`writes did not flow after healing: ${(await cluster.state()).replace(/\n/g, '; ')}; driver: ${driver.diagnose()}; nodes: ${await stallReport(cluster.nodeUrl)}`);
    const driverLog = await driver.stop(settings.ackWaitMs);
    ({ samples, commits } = await sampler.stop());
    const after = await writableNode(cluster, 60_000);
    if (after === null) throw new Error('no single writable node to read back from');
    const final = await driver.readFinal(cluster.nodeUrl(after), after, afterSeq);
    if (faultAt === null) throw new Error(`${fault.name} never marked the fault`);
    const acks = answeredBy(driverLog.acks, samples, commits);
    const runLog: RunLog = {
      fault: fault.name,
      faultAt,
      primaryBefore: primary,
      primaryAfter: after,
      expect: { primaryChanges: fault.primaryChanges, quiet: outcome.quiet },
      acks,
      seen: driverLog.seen,
      samples,
      commits,
      final,
    };
    const acksByNode: Record<string, number> = {};
    for (const ack of acks) {
      const node = ack.by.split('@')[1] ?? '?';
      acksByNode[node] = (acksByNode[node] ?? 0) + 1;
    }
    return { verdict: checkRun(runLog), how: fault.how, acksByNode, durationMs: Date.now() - started, takeovers: final.takeovers, log: runLog };
  } finally {
    // On an error: whatever is still in flight is given up quickly (it was never acked).
    await driver.stop(1000).catch(() => undefined);
    if (samples.length === 0) await sampler.stop().catch(() => undefined);
    cluster.healLinks();
  }
}
