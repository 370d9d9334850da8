/**
 * The failover suite's judge: pure, over one run's log (run-log.ts), so it is unit-tested with made-up logs
 * that break each rule (test/unit/bench/failover-invariants.test.ts). Rules, from issue 18: every acked write
 * is stored exactly once, under the seq it was acked with; seq only grows, without gaps, one write per seq;
 * no seq a driver saw later vanished or changed write; never two nodes acknowledging writes in overlapping
 * time (two-primaries.ts); the fault's own expectation (failover or not, a window with no ack and no writable
 * node). It measures the write gap, and reports samples with both nodes writable at the database level, which
 * pg_auto_failover 2.0 allows for a moment (docs/ha.md), each stretch with its cause — judged only when the
 * monitor's own goals let both nodes write.
 */
import type { Ack, RunLog } from './run-log.js';
import { twoPrimaries, type TwoWritableEpisode } from './two-primaries.js';

export interface Violation {
  readonly rule:
    | 'lost'
    | 'duplicated'
    | 'seq-moved'
    | 'seq-gap'
    | 'seq-shared'
    | 'seq-order'
    | 'vanished'
    | 'two-acking-primaries'
    | 'two-writable-primaries'
    | 'failover-expected'
    | 'false-failover'
    | 'not-quiet';
  readonly detail: string;
}

export interface RunVerdict {
  readonly fault: string;
  readonly ok: boolean;
  readonly acked: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Samples with both nodes able to commit (not in recovery, no synchronous standby missing): reported, not a
   *  violation — pg_auto_failover 2.0 allows it while a restarted old primary's keeper catches up. */
  readonly twoWritableSamples: number;
  /** Each stretch of those samples with the monitor's view of both nodes (at most MAX_DETAILS). */
  readonly twoWritable: readonly TwoWritableEpisode[];
  /** Samples with both nodes out of recovery, able to commit or not (reported). */
  readonly bothOutOfRecoverySamples: number;
  /** Acked writes whose committing node the sampler saw (the two-acking check covers these). */
  readonly acksAttributed: number;
  /** Pairs of acks showing two nodes acknowledging in overlapping time (each also a violation). */
  readonly twoAckingPairs: number;
  readonly samples: number;
  /** Last ack before the fault → first ack after it; null when either is missing. */
  readonly gapMs: number | null;
  /** The longest time without any ack from the fault to the end of the run. */
  readonly longestStallMs: number | null;
  readonly primaryBefore: string;
  readonly primaryAfter: string | null;
  /** At most MAX_DETAILS per rule, so a broken run stays readable. */
  readonly violations: readonly Violation[];
}

const MAX_DETAILS = 5;

export function checkRun(log: RunLog): RunVerdict {
  const violations: Violation[] = [];
  const perRule = new Map<Violation['rule'], number>();
  const flag = (rule: Violation['rule'], detail: string): void => {
    const n = perRule.get(rule) ?? 0;
    perRule.set(rule, n + 1);
    if (n < MAX_DETAILS) violations.push({ rule, detail });
  };

  // The last answer per mutation id: a resend is answered again with the same seq, one write all the same.
  const acked = new Map<string, Ack>();
  for (const ack of log.acks) {
    const earlier = acked.get(ack.mutationId);
    if (earlier !== undefined && earlier.seq !== ack.seq)
      flag('seq-moved', `${ack.mutationId} acked with seq ${earlier.seq}, then with ${ack.seq}`);
    acked.set(ack.mutationId, ack);
  }

  const stored = new Map<string, number[]>();
  for (const w of log.final.writes) stored.set(w.mutationId, [...(stored.get(w.mutationId) ?? []), w.seq]);
  let lost = 0;
  let duplicated = 0;
  for (const [id, ack] of acked) {
    const seqs = stored.get(id) ?? [];
    if (seqs.length === 0) {
      lost += 1;
      flag('lost', `${id} (acked seq ${ack.seq} at ${ack.ackAt} by ${ack.by}) is not stored on ${log.final.node}`);
    } else if (seqs[0] !== ack.seq && seqs.length === 1)
      flag('seq-moved', `${id} acked with seq ${ack.seq} is stored with seq ${seqs[0]}`);
  }
  for (const [id, seqs] of stored)
    if (seqs.length > 1) {
      duplicated += 1;
      flag('duplicated', `${id} stored ${seqs.length} times (seqs ${seqs.join(', ')})`);
    }

  checkSeqs(log, flag);
  checkOrder([...acked.values()], flag);

  const finalBySeq = new Map(log.final.writes.map((w) => [w.seq, w.mutationId]));
  const finalSeqs = new Set(log.final.seqs);
  for (const seen of log.seen) {
    if (seen.seq <= log.final.afterSeq) continue;
    if (!finalSeqs.has(seen.seq)) flag('vanished', `${seen.writer} saw seq ${seen.seq} at ${seen.at}; it is not stored`);
    else if (seen.mutationId !== null && finalBySeq.get(seen.seq) !== seen.mutationId)
      flag('vanished', `${seen.writer} saw seq ${seen.seq} carry ${seen.mutationId}; it now carries ${finalBySeq.get(seen.seq) ?? 'another event'}`);
  }

  const two = twoPrimaries(log);
  for (const d of two.acking.details) flag('two-acking-primaries', d);
  for (const e of two.writable.episodes) flag('two-writable-primaries', `both nodes writable ${e.from}–${e.to}: ${e.cause}`);
  const outOfRecovery = (r: string): boolean => r === 'primary' || r === 'fenced-primary' || r === 'read-only-primary';
  const bothOut = log.samples.filter((s) => outOfRecovery(s.node1) && outOfRecovery(s.node2)).length;

  const { primaryChanges, quiet } = log.expect;
  const changed = log.primaryAfter !== null && log.primaryAfter !== log.primaryBefore;
  if (primaryChanges === true && !changed)
    flag('failover-expected', `primary stayed ${log.primaryBefore} (after: ${log.primaryAfter ?? 'none'})`);
  if (primaryChanges === false && log.primaryAfter !== log.primaryBefore)
    flag('false-failover', `primary moved from ${log.primaryBefore} to ${log.primaryAfter ?? 'none'}`);
  if (quiet !== null) {
    for (const ack of log.acks)
      if (ack.ackAt > quiet.from && ack.ackAt < quiet.to)
        flag('not-quiet', `${ack.mutationId} acked at ${ack.ackAt}, inside ${quiet.from}–${quiet.to}`);
    for (const s of log.samples)
      if (s.at > quiet.from && s.at < quiet.to && (s.node1 === 'primary' || s.node2 === 'primary'))
        flag('not-quiet', `a writable node (node1 ${s.node1}, node2 ${s.node2}) at ${s.at}, inside ${quiet.from}–${quiet.to}`);
  }

  const { gapMs, longestStallMs } = writeGap(log);
  return {
    fault: log.fault,
    ok: violations.length === 0,
    acked: acked.size,
    lost,
    duplicated,
    twoWritableSamples: two.writable.count,
    twoWritable: two.writable.episodes,
    bothOutOfRecoverySamples: bothOut,
    acksAttributed: two.attributed,
    twoAckingPairs: two.acking.count,
    samples: log.samples.length,
    gapMs,
    longestStallMs,
    primaryBefore: log.primaryBefore,
    primaryAfter: log.primaryAfter,
    violations,
  };
}

/** Stored seqs after the run's start: ascending, each once, no gap; each acked seq names one write. */
function checkSeqs(log: RunLog, flag: (rule: Violation['rule'], detail: string) => void): void {
  let expected = log.final.afterSeq + 1;
  let previous = log.final.afterSeq;
  for (const seq of log.final.seqs) {
    if (seq <= previous) flag('seq-shared', `seq ${seq} stored again after ${previous}`);
    else if (seq !== expected) flag('seq-gap', `seqs ${expected}–${seq - 1} missing (next stored: ${seq})`);
    if (seq > previous) {
      previous = seq;
      expected = seq + 1;
    }
  }
  const owners = new Map<number, string>();
  for (const ack of log.acks) {
    const owner = owners.get(ack.seq);
    if (owner !== undefined && owner !== ack.mutationId) flag('seq-shared', `seq ${ack.seq} acked for ${owner} and ${ack.mutationId}`);
    owners.set(ack.seq, ack.mutationId);
  }
}

/**
 * Seq grows with real time: a write acked before another was first sent has the smaller seq. Sweep the acks
 * by first send, keeping the largest seq acked before it.
 */
function checkOrder(acks: readonly Ack[], flag: (rule: Violation['rule'], detail: string) => void): void {
  const byAck = [...acks].sort((a, b) => a.ackAt - b.ackAt);
  const bySend = [...acks].sort((a, b) => a.firstSentAt - b.firstSentAt);
  let i = 0;
  let highest: Ack | null = null;
  for (const b of bySend) {
    while (i < byAck.length && (byAck[i]?.ackAt ?? Infinity) < b.firstSentAt) {
      const a = byAck[i];
      if (a !== undefined && (highest === null || a.seq > highest.seq)) highest = a;
      i += 1;
    }
    if (highest !== null && b.seq <= highest.seq)
      flag('seq-order', `${b.mutationId} sent at ${b.firstSentAt} got seq ${b.seq}, not above ${highest.mutationId}'s ${highest.seq} acked at ${highest.ackAt}`);
  }
}

/**
 * The gap: the last ack before the fault to the first ack of an attempt sent after it (an attempt already on
 * the wire may still be answered a moment after the fault landed; that is not the service coming back).
 * The longest stall: the longest time without any ack from the last one before the fault to the end.
 */
function writeGap(log: RunLog): { gapMs: number | null; longestStallMs: number | null } {
  const times = log.acks.map((a) => a.ackAt).sort((a, b) => a - b);
  const before = times.filter((t) => t <= log.faultAt).at(-1);
  const after = log.acks
    .filter((a) => a.lastSentAt >= log.faultAt)
    .map((a) => a.ackAt)
    .sort((a, b) => a - b)[0];
  const gapMs = before === undefined || after === undefined ? null : after - before;
  let longest: number | null = null;
  let previous = before ?? log.faultAt;
  for (const t of times) {
    if (t <= previous) continue;
    longest = Math.max(longest ?? 0, t - previous);
    previous = t;
  }
  return { gapMs, longestStallMs: longest };
}
