/**
 * The failover suite's judge (bench/failover/invariants.ts) on made-up run logs: a clean log holds, and each
 * rule fires on a log that breaks it — a lost ack, a write stored twice, a seq gap, a seq given twice, an acked
 * seq that moved, seq going backwards in real time, a seen seq that vanished, two nodes acknowledging writes
 * in overlapping time (the restarted old primary of issue 18's loss), a failover that should or should not
 * have happened, an ack inside a window where none may be — so the suite can fail. Two nodes writable at the
 * database level is reported with its cause and breaks nothing. Also the gap and the per-fault summary.
 */
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../../bench/failover/invariants.js';
import { percentile, summarize, table } from '../../../bench/failover/report.js';
import type { Ack, Commit, RoleSample, RunLog, Seen, StoredWrite } from '../../../bench/failover/run-log.js';

const FAULT_AT = 10_000;

/** Writes w1..wn acked with seq 101.., one every 100 ms, with a hole from the fault to 16 s. */
function acks(n: number): Ack[] {
  return Array.from({ length: n }, (_, i) => {
    const sentAt = i < n / 2 ? 5_000 + i * 100 : 16_000 + i * 100;
    return {
      writer: 'T1',
      mutationId: `w${i + 1}`,
      seq: 101 + i,
      by: 'store:T1',
      firstSentAt: sentAt,
      lastSentAt: sentAt,
      ackAt: sentAt + 20,
      attempts: 1,
      duplicate: false,
    };
  });
}

function cleanLog(overrides: Partial<RunLog> = {}): RunLog {
  const a = acks(10);
  const writes: StoredWrite[] = a.map((x) => ({ mutationId: x.mutationId, seq: x.seq }));
  const samples: RoleSample[] = [
    { at: 9_900, node1: 'primary', node2: 'standby' },
    { at: 10_000, node1: 'down', node2: 'standby' },
    { at: 15_000, node1: 'down', node2: 'primary' },
  ];
  const seen: Seen[] = [{ writer: 'T2', seq: 103, mutationId: 'w3', at: 9_000 }];
  // The sampler saw w1–w5 committed on node1 and w6–w10 on node2, 10 ms before each ack.
  const commits: Commit[] = a.map((x) => ({ node: x.ackAt < FAULT_AT ? 'node1' : 'node2', seq: x.seq, mutationId: x.mutationId, at: x.ackAt - 10 }));
  return {
    fault: 'node-loss',
    faultAt: FAULT_AT,
    primaryBefore: 'node1',
    primaryAfter: 'node2',
    expect: { primaryChanges: true, quiet: null },
    acks: a,
    seen,
    samples,
    commits,
    final: { node: 'node2', afterSeq: 100, seqs: writes.map((w) => w.seq), writes, takeovers: null },
    ...overrides,
  };
}

const rules = (log: RunLog): string[] => checkRun(log).violations.map((v) => v.rule);

describe('failover invariants', () => {
  it('a clean run holds, and its gap runs from the last ack before the fault to the first after it', () => {
    const verdict = checkRun(cleanLog());
    expect(verdict.violations).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.acked).toBe(10);
    // Last ack before: 5_000 + 4*100 + 20 = 5_420; first after: 16_000 + 5*100 + 20 = 16_520.
    expect(verdict.gapMs).toBe(16_520 - 5_420);
    expect(verdict.longestStallMs).toBe(16_520 - 5_420);
  });

  it('an acked write missing at the end is lost', () => {
    const log = cleanLog();
    const writes = log.final.writes.filter((w) => w.mutationId !== 'w7');
    const verdict = checkRun({ ...log, final: { ...log.final, writes } });
    expect(verdict.lost).toBe(1);
    expect(verdict.violations.map((v) => v.rule)).toContain('lost');
    expect(verdict.ok).toBe(false);
  });

  it('a write stored twice is duplicated (a retry applied again)', () => {
    const log = cleanLog();
    const writes = [...log.final.writes, { mutationId: 'w2', seq: 111 }];
    const verdict = checkRun({ ...log, final: { ...log.final, seqs: [...log.final.seqs, 111], writes } });
    expect(verdict.duplicated).toBe(1);
    expect(rules({ ...log, final: { ...log.final, seqs: [...log.final.seqs, 111], writes } })).toEqual(['duplicated']);
  });

  it('a resend answered with the first seq is one write; answered with another seq, it moved', () => {
    const log = cleanLog();
    const first = log.acks[0];
    if (first === undefined) throw new Error('no ack');
    expect(rules({ ...log, acks: [...log.acks, { ...first, ackAt: 17_000, duplicate: true }] })).toEqual([]);
    expect(rules({ ...log, acks: [...log.acks, { ...first, seq: 120, ackAt: 17_000, duplicate: true }] })).toContain('seq-moved');
  });

  it('an acked seq stored under another seq moved', () => {
    const log = cleanLog();
    const writes = log.final.writes.map((w) => (w.mutationId === 'w4' ? { ...w, seq: 111 } : w));
    const seqs = [...log.final.seqs.filter((s) => s !== 104), 111];
    expect(rules({ ...log, final: { ...log.final, seqs, writes } })).toEqual(expect.arrayContaining(['seq-moved', 'seq-gap']));
  });

  it('a hole in the stored seqs is a gap; a seq stored or acked twice is shared', () => {
    const log = cleanLog();
    expect(rules({ ...log, final: { ...log.final, seqs: log.final.seqs.filter((s) => s !== 105) } })).toContain('seq-gap');
    expect(rules({ ...log, final: { ...log.final, seqs: [...log.final.seqs, 110] } })).toContain('seq-shared');
    const twice = log.acks.map((a) => (a.mutationId === 'w2' ? { ...a, seq: 101 } : a));
    expect(rules({ ...log, acks: twice })).toContain('seq-shared');
  });

  it('the stored seqs must start right after the run began', () => {
    const log = cleanLog();
    expect(rules({ ...log, final: { ...log.final, afterSeq: 98 } })).toContain('seq-gap');
  });

  it('a write sent after another was acked must get a higher seq', () => {
    const log = cleanLog();
    // w6 was first sent at 16_500, long after w1 (seq 101) was acked, yet it got seq 100.
    const backwards = log.acks.map((a) => (a.mutationId === 'w6' ? { ...a, seq: 100 } : a));
    expect(rules({ ...log, acks: backwards })).toContain('seq-order');
  });

  it('writes in flight together may take their seqs in either order', () => {
    const log = cleanLog();
    const overlapping: Ack[] = [
      { writer: 'T1', mutationId: 'a', seq: 102, by: 's', firstSentAt: 1_000, lastSentAt: 1_000, ackAt: 1_050, attempts: 1, duplicate: false },
      { writer: 'T2', mutationId: 'b', seq: 101, by: 's', firstSentAt: 1_010, lastSentAt: 1_010, ackAt: 1_060, attempts: 1, duplicate: false },
    ];
    const writes = [
      { mutationId: 'b', seq: 101 },
      { mutationId: 'a', seq: 102 },
    ];
    expect(rules({ ...log, acks: overlapping, seen: [], final: { ...log.final, seqs: [101, 102], writes } })).toEqual([]);
  });

  it('a seq a driver saw that is not stored, or now carries another write, vanished', () => {
    const log = cleanLog();
    expect(rules({ ...log, seen: [{ writer: 'T2', seq: 111, mutationId: 'x', at: 12_000 }] })).toEqual(['vanished']);
    expect(rules({ ...log, seen: [{ writer: 'T2', seq: 103, mutationId: 'w9', at: 12_000 }] })).toEqual(['vanished']);
    // Seen before the run began: not this run's to judge.
    expect(rules({ ...log, seen: [{ writer: 'T2', seq: 90, mutationId: null, at: 1_000 }] })).toEqual([]);
  });

  it('two nodes writable at the database level break the run, each stretch reported with the monitor\'s view as cause', () => {
    const log = cleanLog();
    const monitor = { node1: { reported: 'primary', goal: 'demote_timeout' }, node2: { reported: 'wait_primary', goal: 'wait_primary' } };
    const samples: RoleSample[] = [
      ...log.samples,
      { at: 15_100, node1: 'primary', node2: 'primary', monitor },
      { at: 15_200, node1: 'primary', node2: 'primary', monitor: { ...monitor, node1: { reported: 'demote_timeout', goal: 'demote_timeout' } } },
      { at: 15_300, node1: 'down', node2: 'primary', monitor: null },
      { at: 15_400, node1: 'primary', node2: 'primary', monitor: null },
    ];
    const verdict = checkRun({ ...log, samples });
    expect(verdict.violations.map((v) => v.rule)).toEqual(['two-writable-primaries', 'two-writable-primaries']);
    expect(verdict.twoWritableSamples).toBe(3);
    expect(verdict.twoWritable).toHaveLength(2);
    expect(verdict.twoWritable[0]).toMatchObject({ from: 15_100, to: 15_200, samples: 2 });
    expect(verdict.twoWritable[0]?.cause).toContain('node1 writable while the monitor demotes or promotes it');
    expect(verdict.twoWritable[0]?.cause).toContain('node1 primary→demote_timeout');
    expect(verdict.twoWritable[0]?.cause).toContain('at its end node1 demote_timeout→demote_timeout');
    expect(verdict.twoWritable[1]?.cause).toBe('the monitor did not answer');
    const split = { node1: { reported: 'primary', goal: 'primary' }, node2: { reported: 'wait_primary', goal: 'wait_primary' } };
    const byMonitor = checkRun({ ...log, samples: [...log.samples, { at: 15_100, node1: 'primary', node2: 'primary', monitor: split }] });
    expect(byMonitor.violations.map((v) => v.rule)).toEqual(['two-writable-primaries']);
    expect(byMonitor.twoWritable[0]?.cause).toContain('the monitor lets both take writes');
  });

  it('a node out of recovery that cannot complete a commit, or refuses read-write sessions, is not writable', () => {
    const log = cleanLog();
    const fenced = checkRun({ ...log, samples: [...log.samples, { at: 15_100, node1: 'fenced-primary', node2: 'primary' }] });
    expect(fenced.ok).toBe(true);
    expect(fenced.twoWritableSamples).toBe(0);
    expect(fenced.bothOutOfRecoverySamples).toBe(1);
    // The restarted old primary beside the standby being promoted (stop_replication: default_transaction_read_only on).
    const promoting = checkRun({ ...log, samples: [...log.samples, { at: 15_100, node1: 'primary', node2: 'read-only-primary' }] });
    expect(promoting.ok).toBe(true);
    expect(promoting.twoWritableSamples).toBe(0);
    expect(promoting.bothOutOfRecoverySamples).toBe(1);
  });

  it('every ack is tied to the node that committed it', () => {
    const verdict = checkRun(cleanLog());
    expect(verdict.acksAttributed).toBe(10);
    expect(verdict.twoAckingPairs).toBe(0);
    // Without the sampler's commits (an older log) nothing is tied, and nothing is flagged.
    expect(checkRun({ ...cleanLog(), commits: [] }).acksAttributed).toBe(0);
  });

  /** An ack of `id` with `seq`, committed on `node` at `at` and acked 20 ms later. */
  const ackOn = (node: Commit['node'], id: string, seq: number, at: number): { ack: Ack; commit: Commit } => ({
    ack: { writer: 'T9', mutationId: id, seq, by: 'store:T9', firstSentAt: at - 5, lastSentAt: at - 5, ackAt: at + 20, attempts: 1, duplicate: false },
    commit: { node, seq, mutationId: id, at },
  });
  const withAcks = (log: RunLog, extra: readonly { ack: Ack; commit: Commit }[], stored: boolean): RunLog => {
    const writes = stored ? [...log.final.writes, ...extra.map((e) => ({ mutationId: e.ack.mutationId, seq: e.ack.seq }))].sort((a, b) => a.seq - b.seq) : log.final.writes;
    return {
      ...log,
      acks: [...log.acks, ...extra.map((e) => e.ack)],
      commits: [...(log.commits ?? []), ...extra.map((e) => e.commit)],
      final: { ...log.final, writes, seqs: writes.map((w) => w.seq) },
    };
  };

  it('the restarted old primary acking its own seq beside the promoted node: two nodes acknowledging at once (and lost)', () => {
    // Issue 18's loss: node2 acks w6 (seq 106) at 16_520; node1, restarted writable, commits alone and acks
    // x1 with seq 106 too; the failover later rewinds node1 and x1 is gone.
    const log = withAcks(cleanLog(), [ackOn('node1', 'x1', 106, 16_600)], false);
    const verdict = checkRun(log);
    expect(verdict.twoAckingPairs).toBe(1);
    expect(verdict.violations.map((v) => v.rule)).toEqual(expect.arrayContaining(['two-acking-primaries', 'lost']));
    expect(verdict.violations.find((v) => v.rule === 'two-acking-primaries')?.detail).toContain('with the same seq as');
  });

  it('an old primary acking a lower seq after the new one acked a higher: two nodes acknowledging at once, even with nothing lost', () => {
    // Seq 104 left free; node1 commits and acks x2 with it at 16_700, after node2 acked seq 107 (at 16_520).
    // Every write is stored (a made-up log: the rule does not lean on loss).
    const base = cleanLog();
    const shifted = { ...base, acks: base.acks.map((a) => (a.seq >= 104 ? { ...a, seq: a.seq + 1 } : a)) };
    const commits = (base.commits ?? []).map((c) => (c.seq >= 104 ? { ...c, seq: c.seq + 1 } : c));
    const writes = shifted.acks.map((a) => ({ mutationId: a.mutationId, seq: a.seq }));
    const log = withAcks({ ...shifted, commits, final: { ...base.final, writes, seqs: writes.map((w) => w.seq) } }, [ackOn('node1', 'x2', 104, 16_700)], true);
    const verdict = checkRun(log);
    expect(verdict.twoAckingPairs).toBeGreaterThan(0);
    expect(verdict.violations.map((v) => v.rule)).toContain('two-acking-primaries');
    expect(verdict.violations.find((v) => v.rule === 'two-acking-primaries')?.detail).toContain('node1 acked x2 (seq 104');
  });

  it('a failover and a failback, or a commit the sampler saw late, are not two nodes acking at once', () => {
    // Back on node1 after node2, with higher seqs: one history.
    const back = withAcks(cleanLog(), [ackOn('node1', 'y1', 111, 20_000), ackOn('node1', 'y2', 112, 20_100)], true);
    expect(checkRun(back).violations).toEqual([]);
    // node1's w5 (seq 105, acked 5_420) first seen by the sampler only at 17_000, after node2's acks: the commit
    // came before its ack all the same.
    const log = cleanLog();
    const late = (log.commits ?? []).map((c) => (c.mutationId === 'w5' ? { ...c, at: 17_000 } : c));
    const verdict = checkRun({ ...log, commits: late });
    expect(verdict.violations).toEqual([]);
    expect(verdict.acksAttributed).toBe(10);
  });

  it('the fault expectation: a failover that did not happen, one that should not have, and acks or a writable node inside a quiet window', () => {
    const log = cleanLog();
    expect(rules({ ...log, primaryAfter: 'node1' })).toEqual(['failover-expected']);
    expect(rules({ ...log, expect: { primaryChanges: false, quiet: null } })).toEqual(['false-failover']);
    expect(rules({ ...log, primaryAfter: 'node1', expect: { primaryChanges: null, quiet: null } })).toEqual([]);
    expect(rules({ ...log, expect: { primaryChanges: true, quiet: { from: 10_000, to: 14_000 } } })).toEqual([]);
    expect(rules({ ...log, expect: { primaryChanges: true, quiet: { from: 10_000, to: 17_000 } } })).toContain('not-quiet');
    // A node sampled writable inside the window breaks it too, acked or not.
    const samples = [...log.samples, { at: 12_000, node1: 'down', node2: 'primary' } as const];
    expect(rules({ ...log, samples, expect: { primaryChanges: true, quiet: { from: 10_000, to: 14_000 } } })).toEqual(['not-quiet']);
  });

  it('an attempt already on the wire when the fault landed does not end the gap', () => {
    const log = cleanLog();
    // w6 was sent 10 ms before the fault and answered 200 ms after it: the service came back only with w7.
    const acks = log.acks.map((a) => (a.mutationId === 'w6' ? { ...a, firstSentAt: 9_990, lastSentAt: 9_990, ackAt: 10_200 } : a));
    const verdict = checkRun({ ...log, acks });
    expect(verdict.ok).toBe(true);
    expect(verdict.gapMs).toBe(16_620 - 5_420);
  });

  it('no ack after the fault leaves the gap unknown rather than zero', () => {
    const log = cleanLog();
    const before = log.acks.filter((a) => a.ackAt < FAULT_AT);
    const writes = before.map((a) => ({ mutationId: a.mutationId, seq: a.seq }));
    const verdict = checkRun({ ...log, acks: before, final: { ...log.final, seqs: writes.map((w) => w.seq), writes } });
    expect(verdict.gapMs).toBeNull();
  });

  it('summarizes runs per fault: totals, gap p50 and p99 over runs, errors counted as failed runs', () => {
    const ok = checkRun(cleanLog());
    const broken = checkRun({ ...cleanLog(), primaryAfter: 'node1' });
    const s = summarize('node-loss', 'how', [ok, broken], ['cluster not settled']);
    expect(s.runs).toBe(3);
    expect(s.failedRuns).toBe(2);
    expect(s.acked).toBe(20);
    expect(s.gapMs.p50).toBe(11_100);
    expect(s.gapMs.n).toBe(2);
    expect(s.gapMs.p99).toBe(Math.max(...s.gapMs.all.filter((g): g is number => g !== null)));
    // With a handful of runs the table says p99 is the worst run, and of how many.
    expect(table([s])).toContain(`(max of 2)`);
    expect(s.violations).toHaveLength(1);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
    expect(percentile([], 50)).toBeNull();
  });
});
