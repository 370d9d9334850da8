/**
 * The suite's two measures of "two primaries" (docs/ha.md "Two primaries: what the database allows, what the
 * hubs never do"), both violations: two nodes writable at the database level in one sample (out of recovery,
 * accepting read-write sessions, able to commit; each stretch reported with the monitor's view as cause), and
 * two nodes acknowledging writes in overlapping time (what the restaurant's data depends on, checked from
 * the acks themselves). Pure, over the run log.
 */
import { WRITABLE as WRITABLE_GOALS } from '../../src/adapters/postgres/alone-guard.js';
import type { Ack, Commit, MonitorView, RoleSample, RunLog } from './run-log.js';

type NodeName = Commit['node'];

/** A stretch of consecutive samples with both nodes writable, and what the monitor had for them. */
export interface TwoWritableEpisode {
  readonly from: number;
  readonly to: number;
  readonly samples: number;
  readonly cause: string;
  /** The monitor's goals let both nodes take writes: not a keeper late on its goal but the monitor's own split. */
  readonly byMonitor: boolean;
}

/** An acked write on `node`, committed (first seen there) at `committedAt`. */
export interface AttributedAck {
  readonly ack: Ack;
  readonly node: NodeName;
  readonly committedAt: number;
}

const describe = (name: NodeName, v: MonitorView | null): string =>
  v === null ? `${name} unknown to the monitor` : `${name} ${v.reported}→${v.goal}`;

/**
 * Why both were writable, from the monitor's view at the episode's first sample that has one (and, when it
 * changed, at its last: what the keepers had done by the end).
 */
function causeOf(samples: readonly RoleSample[]): { cause: string; byMonitor: boolean } {
  const views = samples.flatMap((s) => (s.monitor === undefined || s.monitor === null ? [] : [s.monitor]));
  const view = views[0];
  if (view === undefined) return { cause: 'the monitor did not answer', byMonitor: false };
  const names: NodeName[] = ['node1', 'node2'];
  const states = (v: typeof view): string => names.map((n) => describe(n, v[n])).join(', ');
  const last = views.at(-1);
  const end = last === undefined || states(last) === states(view) ? '' : `; at its end ${states(last)}`;
  const demoted = names.filter((n) => !WRITABLE_GOALS.has(view[n]?.goal ?? ''));
  if (demoted.length === 0)
    return { cause: `the monitor lets both take writes (${states(view)}${end})`, byMonitor: true };
  return {
    cause: `${demoted.join(' and ')} writable while the monitor demotes or promotes it: its keeper has not acted on the goal yet (${states(view)}${end})`,
    byMonitor: false,
  };
}

/** Runs of samples with both nodes `primary` (able to commit), each with its cause; at most `max` listed. */
export function twoWritableEpisodes(
  samples: readonly RoleSample[],
  max = 5,
): { count: number; episodes: TwoWritableEpisode[] } {
  const both = (s: RoleSample): boolean => s.node1 === 'primary' && s.node2 === 'primary';
  const episodes: TwoWritableEpisode[] = [];
  let count = 0;
  let run: RoleSample[] = [];
  const close = (): void => {
    const first = run[0];
    const last = run.at(-1);
    if (first !== undefined && last !== undefined && episodes.length < max)
      episodes.push({ from: first.at, to: last.at, samples: run.length, ...causeOf(run) });
    run = [];
  };
  for (const s of samples) {
    if (both(s)) {
      count += 1;
      run.push(s);
    } else if (run.length > 0) close();
  }
  if (run.length > 0) close();
  return { count, episodes };
}

/**
 * Each ack tied to the node that committed its write (the sampler's first sighting of that seq and mutation
 * id on a node out of recovery). The commit came before the ack, so its time is at most the ack's: a sighting
 * made late (the node unreachable by the sampler for a while) does not move it after the ack.
 */
export function attributeAcks(acks: readonly Ack[], commits: readonly Commit[]): AttributedAck[] {
  const bySeq = new Map<string, Commit>();
  for (const c of commits) {
    const key = `${c.seq} ${c.mutationId}`;
    if (!bySeq.has(key)) bySeq.set(key, c);
  }
  const out: AttributedAck[] = [];
  for (const ack of acks) {
    const c = bySeq.get(`${ack.seq} ${ack.mutationId}`);
    if (c !== undefined) out.push({ ack, node: c.node, committedAt: Math.min(c.at, ack.ackAt) });
  }
  return out;
}

/**
 * Two nodes acknowledging writes in overlapping time. In one history seq order is commit order, and a node
 * acks only what it committed; so an acked write `a` on one node with a seq at most that of an acked write
 * `b` on the other, yet committed and acked only after `b` was acked, means both nodes were acknowledging at
 * once (a same seq on both is two histories outright). A failover and a failback (a, then b, then the first
 * node again with higher seqs) is not flagged. Returns one line per flagged pair, at most `max`, and the count.
 */
export function twoAckingPrimaries(
  attributed: readonly AttributedAck[],
  max = 5,
): { count: number; details: string[] } {
  const sorted = [...attributed].sort((x, y) => x.ack.seq - y.ack.seq);
  const details: string[] = [];
  let count = 0;
  const flag = (a: AttributedAck, b: AttributedAck, why: string): void => {
    count += 1;
    if (details.length < max)
      details.push(
        `${a.node} acked ${a.ack.mutationId} (seq ${a.ack.seq}, committed ${a.committedAt}, acked ${a.ack.ackAt}) ${why} ${b.node} acked ${b.ack.mutationId} (seq ${b.ack.seq}, acked ${b.ack.ackAt})`,
      );
  };
  // Per node, the latest-committed acked write among those with a seq up to the current one.
  const latest = new Map<NodeName, AttributedAck>();
  const bySeq = new Map<number, AttributedAck>();
  for (const b of sorted) {
    const same = bySeq.get(b.ack.seq);
    if (same !== undefined && same.node !== b.node) flag(same, b, 'with the same seq as');
    bySeq.set(b.ack.seq, b);
    const other: NodeName = b.node === 'node1' ? 'node2' : 'node1';
    const a = latest.get(other);
    if (a !== undefined && a.ack.seq < b.ack.seq && a.committedAt > b.ack.ackAt) flag(a, b, 'after');
    const mine = latest.get(b.node);
    if (mine === undefined || b.committedAt > mine.committedAt) latest.set(b.node, b);
  }
  return { count, details };
}

/** Both measures for one run. */
export function twoPrimaries(log: RunLog): {
  writable: { count: number; episodes: TwoWritableEpisode[] };
  acking: { count: number; details: string[] };
  attributed: number;
} {
  const attributed = attributeAcks(log.acks, log.commits ?? []);
  return {
    writable: twoWritableEpisodes(log.samples),
    acking: twoAckingPrimaries(attributed),
    attributed: attributed.length,
  };
}
