/**
 * What one failover run records, as plain data: every ack a driver received, every seq it saw served, the
 * role of each node and the monitor's view sampled every ~100 ms, the node each write was committed on, when
 * the fault landed, and what the surviving primary holds at the end. The invariant checker (invariants.ts) judges nothing but this, so it can be tested on made-up logs.
 * Times are wall-clock milliseconds (Date.now()), comparable across the hub child processes of driver (b).
 */

/**
 * `primary`: not in recovery and able to complete a commit (no synchronous standby required, or one is
 * streaming). `fenced-primary`: not in recovery, but synchronous_standby_names names a standby and none is
 * attached, so every commit waits and none can be acknowledged — what an old primary is for a moment after
 * its keeper restarted it while the monitor promoted the other node. `read-only-primary`: not in recovery but
 * default_transaction_read_only is on — a standby being promoted (pg_auto_failover's `stop_replication`,
 * fsm_transition.c fsm_stop_replication) that refuses every `target_session_attrs=read-write` connection,
 * the hubs' included, until the monitor lets it take writes: pg_auto_failover's own split-brain fence.
 * Writable is what libpq's read-write means and a commit can complete: only two `primary` samples at once are
 * two writable primaries; both not in recovery is counted apart.
 */
export type NodeRole = 'primary' | 'fenced-primary' | 'read-only-primary' | 'standby' | 'down';

export interface Ack {
  /** The writer (driver a) or terminal (driver b) that sent it. */
  readonly writer: string;
  readonly mutationId: string;
  readonly seq: number;
  /** Who answered: the hub's id (driver b) or the writer's store connection (driver a). */
  readonly by: string;
  /** The first attempt's send: the write may have been committed any time after it. */
  readonly firstSentAt: number;
  /** The answered attempt's send: an attempt begun before the fault and answered after it was not cut by it. */
  readonly lastSentAt: number;
  readonly ackAt: number;
  readonly attempts: number;
  /** Answered from the store's memory of the mutation id (a resend after a lost ack). */
  readonly duplicate: boolean;
}

/** A seq a driver saw served (a broadcast, or an event read back), with the write it carried when known. */
export interface Seen {
  readonly writer: string;
  readonly seq: number;
  readonly mutationId: string | null;
  readonly at: number;
}

/** What the monitor had for one node at a sample (pgautofailover.node): its reported state and assigned goal. */
export interface MonitorView {
  readonly reported: string;
  readonly goal: string;
}

export interface RoleSample {
  readonly at: number;
  readonly node1: NodeRole;
  readonly node2: NodeRole;
  /** The monitor's view of each node at the same moment; null when the monitor did not answer (or was not asked). */
  readonly monitor?: { readonly node1: MonitorView | null; readonly node2: MonitorView | null } | null;
}

/**
 * A write of this run first seen on a node while that node was out of recovery: where it was committed. The
 * sampler tails each node's events and skips what a node received as a standby, so a write appears here once,
 * on the node that committed it (none when that node died before the next sample).
 */
export interface Commit {
  readonly node: 'node1' | 'node2';
  readonly seq: number;
  readonly mutationId: string;
  readonly at: number;
}

/** One write as stored at the end. */
export interface StoredWrite {
  readonly mutationId: string;
  readonly seq: number;
}

export interface FinalState {
  /** Read from this node (the writable one at the end). */
  readonly node: string;
  /** Every seq stored after `afterSeq` (the high-water mark when the run began), ascending. */
  readonly afterSeq: number;
  readonly seqs: readonly number[];
  /** Every copy of every write of this run: a write stored twice appears twice. */
  readonly writes: readonly StoredWrite[];
  /** Hub driver: the takeovers (new epochs) during the run — one per change of leader hub; more is hubs
   *  trading the lead. Store driver: null (no hubs). */
  readonly takeovers: number | null;
}

export interface RunExpectation {
  /** true: the primary must change; false: it must not; null: either is correct (kill -9 of the postmaster). */
  readonly primaryChanges: boolean | null;
  /** A window in which nobody may accept writes: no ack, and no node sampled writable (the monitor is down and the primary dead). */
  readonly quiet: { readonly from: number; readonly to: number } | null;
}

export interface RunLog {
  readonly fault: string;
  /** When the fault was in effect (after the kill returned, the link was cut, …). */
  readonly faultAt: number;
  readonly primaryBefore: string;
  readonly primaryAfter: string | null;
  readonly expect: RunExpectation;
  readonly acks: readonly Ack[];
  readonly seen: readonly Seen[];
  readonly samples: readonly RoleSample[];
  /** Where each write was committed, as the sampler saw it (absent in older logs). */
  readonly commits?: readonly Commit[];
  readonly final: FinalState;
}
