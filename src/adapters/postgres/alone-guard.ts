/**
 * A commit that no standby holds is acked only if the pg_auto_failover monitor is not making another node
 * the primary (docs/ha.md "A commit alone while the monitor promotes the standby"). pg_auto_failover sets a
 * primary's synchronous_standby_names to '' whenever the group's other node is not a healthy `secondary`,
 * and then the node commits alone; if the monitor is promoting that other node at the same time, what it
 * commits is lost at the failover. The decision is pure (unit-tested with fake monitor rows); the read is
 * one query to HUB_PG_MONITOR_URL, made per commit batch and only while the node commits alone.
 */
import type { PgHost } from './connection.js';
import { groupNodes, withMonitor, type MonitorNodeRow } from './monitor.js';
import { CommitInDoubtError } from './pg-fault.js';

/** What the decision reads of a pgautofailover.node row: where the node is, and the goal the monitor assigned it. */
export type MonitorNode = Pick<MonitorNodeRow, 'nodeId' | 'host' | 'port' | 'goal'>;

/**
 * Goal states of a node that is, or is being made, the group's primary (pg_auto_failover 2.0,
 * src/monitor/node_metadata.c: CanTakeWritesInState, plus every step of IsBeingPromoted). The monitor
 * assigns the goal before the node acts on it, so the goal — not the reported state — is what a check
 * made after our COMMIT must see. Deliberately absent: draining and demote_timeout (an old primary being
 * stopped: its own commits are its problem, ours are the new primary's), secondary, catchingup.
 */
/** Goals under which a node may take writes (CanTakeWritesInState): this node's must be one of them. Also
 *  the failover suite's test of the monitor's own split (bench/failover/two-primaries.ts). */
export const WRITABLE: ReadonlySet<string> = new Set(['single', 'wait_primary', 'primary', 'join_primary', 'apply_settings']);

const PRIMARY_TO_BE: ReadonlySet<string> = new Set([
  ...WRITABLE,
  'report_lsn',
  'fast_forward',
  'prepare_promotion',
  'stop_replication',
]);

/**
 * Per monitor read, connect and query alike: a commit alone waits this long at most before it is refused
 * in doubt. Short, since the writer holds its next batch meanwhile; the same as the failover request's.
 */
export const ALONE_GUARD_TIMEOUT_MS = 3000;

export type AloneVerdict = { readonly ack: true } | { readonly ack: false; readonly why: string };

/**
 * A commit that went through with synchronous_standby_names = '' on `self`: ack it only while the monitor
 * lets this node take writes and no other node of the group is, or is about to be, the primary. `self`
 * is found by host:port, else by a port only it has; a node found neither way cannot be judged and the
 * commit is in doubt (HUB_PG_URL should name each node as its keeper registered it, docs/ha.md).
 */
export function judgeAloneCommit(nodes: readonly MonitorNode[], self: PgHost): AloneVerdict {
  const describe = (n: MonitorNode): string => `node ${n.nodeId} (${n.host}:${n.port}) goal ${n.goal}`;
  const exact = nodes.filter((n) => n.host === self.host && n.port === self.port);
  // The monitor knows a node by the name its keeper registered (pg_autoctl --hostname), which a hub may
  // reach by another address: then a port no other node has still names it.
  const mine = exact.length > 0 ? exact : nodes.filter((n) => n.port === self.port);
  if (mine.length !== 1)
    return {
      ack: false,
      why: `the monitor lists ${mine.length} nodes at ${self.host}:${self.port} (${nodes.map(describe).join(', ') || 'none'})`,
    };
  const me = mine[0] as MonitorNode;
  if (!WRITABLE.has(me.goal)) return { ack: false, why: `the monitor is demoting this node: ${describe(me)}` };
  const rival = nodes.find((n) => n !== me && PRIMARY_TO_BE.has(n.goal));
  if (rival !== undefined)
    return { ack: false, why: `the monitor is making another node the primary: ${describe(rival)}` };
  return { ack: true };
}

/** A commit applied on a node that committed alone while the monitor said it might be lost. */
export class AloneCommitInDoubtError extends CommitInDoubtError {
  constructor(why: string, cause?: unknown) {
    super(cause ?? why);
    this.message = `commit in doubt: it went through with no synchronous standby and ${why}`;
    this.name = 'AloneCommitInDoubtError';
  }
}

/** Resolves when the commit may be acked; rejects with AloneCommitInDoubtError otherwise. */
export type AloneCommitGuard = (self: PgHost) => Promise<void>;

/**
 * The guard on HUB_PG_MONITOR_URL. A fresh connection and read per call: any cached answer would reopen
 * the window it closes. A monitor that does not answer leaves the commit in doubt too (docs/ha.md says
 * why: a primary alone with its monitor gone is one pg_auto_failover itself stops after
 * network_partition_timeout, and acking then is exactly the loss this guards against).
 */
export function monitorAloneGuard(monitorUrl: string, timeoutMs: number): AloneCommitGuard {
  return async (self) => {
    let nodes: MonitorNode[];
    try {
      nodes = await withMonitor(monitorUrl, timeoutMs, groupNodes);
    } catch (error) {
      throw new AloneCommitInDoubtError(
        `the monitor did not answer (${error instanceof Error ? error.message : String(error)})`,
        error,
      );
    }
    const verdict = judgeAloneCommit(nodes, self);
    if (!verdict.ack) throw new AloneCommitInDoubtError(verdict.why);
  };
}
