/**
 * A follower asks pg_auto_failover for a failover when the leader hub stopped serving while its database is
 * fine (issue 18, docs/ha.md "A leader hub that keeps crashing"): a hub leads only while its own node is the
 * primary, so a crash-looping or stopped hub on the primary's box would otherwise leave the venue without a
 * leader. The rule is pure and observed on this hub's monotonic clock; the request itself is injected.
 */
import type { Logger } from '../adapters/log/logger.js';
import type { MonotonicClock } from '../ports/clock.js';
import type { FailoverObservation } from '../ports/cluster.js';

export type { FailoverObservation };

export interface FailoverRule {
  /** The heartbeat unchanged this long means the leader is not serving (HUB_LEADER_STALE_MS). */
  readonly staleMs: number;
  /** At most one request per this long (HUB_FAILOVER_REQUEST_INTERVAL_MS). */
  readonly intervalMs: number;
  /** This many takeovers by one hub within `loopWindowMs` is a crash loop. */
  readonly loopTakeovers: number;
  readonly loopWindowMs: number;
}

export const CRASH_LOOP = { loopTakeovers: 3, loopWindowMs: 300_000 } as const;

/** What the rule remembers between reads, all on this hub's monotonic clock. */
export interface FailoverMemory {
  /** Since when this hub has watched (a hub just started has no history). */
  readonly watchingSince: number;
  readonly heartbeat: string | null;
  readonly heartbeatSince: number;
  readonly epoch: number;
  /** The hub the latest takeover named. */
  readonly leader: string | null;
  /** When each takeover by the latest leader hub was first seen, newest last, within the loop window. */
  readonly takeoversSeen: readonly number[];
  readonly lastRequestAt: number | null;
}

export type FailoverDecision = { readonly ask: false } | { readonly ask: true; readonly why: string };

export function initialMemory(now: number): FailoverMemory {
  return { watchingSince: now, heartbeat: null, heartbeatSince: now, epoch: 0, leader: null, takeoversSeen: [], lastRequestAt: null };
}

/**
 * One read: the new memory, and whether to ask. Asks only while the latest takeover names another hub,
 * this hub's node is a healthy synchronous standby, the primary can commit, this hub has watched for
 * `staleMs` and not asked within `intervalMs` — and the leader either left its heartbeat unchanged for
 * `staleMs` or took over `loopTakeovers` times within `loopWindowMs` (each restart takes a new epoch).
 */
export function decideFailoverRequest(
  obs: FailoverObservation,
  memory: FailoverMemory,
  now: number,
  hubId: string,
  rule: FailoverRule,
): { readonly memory: FailoverMemory; readonly decision: FailoverDecision } {
  let next = memory;
  if (obs.latest !== null && obs.latest.epoch > memory.epoch) {
    // The first read is history, not a takeover seen; a takeover by another hub starts the count again.
    const seen = memory.epoch === 0 ? [] : obs.latest.node === memory.leader ? [...memory.takeoversSeen, now] : [now];
    // A new leader's heartbeat is judged from its takeover on: its first beat may come a read later, and the
    // old leader's stale one must not make a follower ask for a failover away from a leader of seconds.
    next = { ...next, epoch: obs.latest.epoch, leader: obs.latest.node, takeoversSeen: seen, heartbeatSince: now };
  }
  next = { ...next, takeoversSeen: next.takeoversSeen.filter((at) => now - at <= rule.loopWindowMs) };
  if (obs.heartbeat !== null && obs.heartbeat !== next.heartbeat) next = { ...next, heartbeat: obs.heartbeat, heartbeatSince: now };

  const leader = obs.latest?.node ?? null;
  const otherLeads = leader !== null && leader !== hubId;
  const settledHere = now - next.watchingSince >= rule.staleMs;
  const rateOk = next.lastRequestAt === null || now - next.lastRequestAt >= rule.intervalMs;
  if (!otherLeads || !obs.ownNodeSyncStandby || !obs.primaryCanCommit || !settledHere || !rateOk) return { memory: next, decision: { ask: false } };

  // Never seen a heartbeat (a leader of an older version, mid-upgrade): staleness says nothing then.
  const stillFor = next.heartbeat === null ? 0 : now - next.heartbeatSince;
  const loops = next.takeoversSeen.length;
  let why: string | null = null;
  if (stillFor >= rule.staleMs) why = `the leader ${leader}'s heartbeat has not changed for ${Math.round(stillFor / 1000)} s`;
  else if (loops >= rule.loopTakeovers) why = `the leader ${leader} took over ${loops} times in ${Math.round(rule.loopWindowMs / 1000)} s (a crash loop)`;
  if (why === null) return { memory: next, decision: { ask: false } };
  return { memory: { ...next, lastRequestAt: now }, decision: { ask: true, why } };
}

export interface FailoverRequesterOptions {
  readonly clock: MonotonicClock;
  readonly rule: FailoverRule;
  readonly hubId: () => string;
  /** pgautofailover.perform_failover on the monitor. */
  readonly request: () => Promise<void>;
  readonly log: Logger;
}

/** The rule over successive reads; a request is logged with why, and its failure too (the monitor may refuse). */
export function createFailoverRequester(options: FailoverRequesterOptions): (obs: FailoverObservation) => void {
  const { clock, rule, log } = options;
  let memory = initialMemory(clock.monotonic());
  let asking = false;
  return (obs) => {
    const step = decideFailoverRequest(obs, memory, clock.monotonic(), options.hubId(), rule);
    memory = step.memory;
    if (!step.decision.ask || asking) return;
    const why = step.decision.why;
    log.warn({ why, leader: obs.latest }, 'asking pg_auto_failover for a failover to this hub\'s node: the leader hub is not serving');
    asking = true;
    options
      .request()
      .then(() => log.warn({ why }, 'failover requested; this hub takes over once its node is the primary'))
      .catch((error: unknown) => log.error({ err: error, why }, 'the monitor refused or did not answer the failover request'))
      .finally(() => {
        asking = false;
      });
  };
}
