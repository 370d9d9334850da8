/**
 * The forwarder: drains the durable ForwardQueue into Odoo from inside the writer worker. Every
 * HUB_FORWARD_INTERVAL_MS and on kick() it takes up to HUB_FORWARD_BATCH_SIZE pending events in commit
 * order, finalizes them (finalizers.ts), and marks an event forwarded only after Odoo confirmed it.
 * A retryable failure pauses the whole drain with exponential backoff + jitter (so commit order holds);
 * an order Odoo refuses for good is dead-lettered and the queue moves on. One drain at a time.
 */
import type { Config } from '../../config.js';
import { toHubError } from '../../protocol/errors.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { ForwardOutcome, ForwardQueue, PendingFinalize } from '../../ports/forwarding.js';
import type { HubMetrics } from '../../ports/metrics.js';
import type { Logger } from '../log/logger.js';
import { type OdooClient, createOdooClient } from './client.js';
import { type Finalizer, createFromUiFinalizer, hubFinalizeSnapshotFinalizer } from './finalizers.js';
import type { OdooErrorDetails } from './rpc-errors.js';

/** Backoff after consecutive retryable failures: 1 s, 2 s, 4 s … capped at 5 min, × uniform(0.5, 1). */
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 300_000;

/**
 * After a finalize call whose fate is unknown (timeout, reset, 502/504) the next attempt waits at least
 * ODOO_IN_DOUBT_PAUSE_MS (default 120 s): Odoo's default limit_time_real kills any request older than
 * that, so the earlier execution has surely committed or died before the look-up that decides whether
 * to resend. A venue whose Odoo has another limit_time_real sets it to match.
 */

export function backoffDelay(failures: number, random: () => number): number {
  const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(30, failures - 1)));
  return Math.round(exp * (0.5 + 0.5 * random()));
}

/** Optional extension of the ForwardQueue port: totals for the depth and dead-letter gauges. */
export interface ForwardQueueCounts {
  counts(): Promise<{ pending: number; dead: number }> | { pending: number; dead: number };
}

export interface ForwarderStatus {
  /** Epoch ms of the last order Odoo confirmed, or null. */
  lastOdooSync: number | null;
  odooReachable: boolean;
  lastError: string | null;
  /**
   * Epoch ms until which this new leader sends nothing to Odoo: a previous leader's claimed calls may still
   * be running there (docs/ha.md "Finalization exactly once across a leader change"). Null when not waiting.
   */
  claimWaitUntil?: number | null;
}

export interface DrainReport {
  readonly skipped: 'stopped' | 'paused' | null;
  readonly forwarded: number;
  readonly dead: number;
  readonly retrying: number;
}

export interface Forwarder {
  start(): void;
  kick(): void;
  stop(): Promise<void>;
  status(): ForwarderStatus;
  /** Run one drain now (after the one in flight); tests and `pos-hub` tooling await it. */
  drainNow(): Promise<DrainReport>;
}

export interface ForwarderOptions {
  readonly queue: ForwardQueue;
  readonly config: Config;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  onOutcome(o: ForwardOutcome): void;
  readonly client?: OdooClient;
  readonly random?: () => number;
}

function hasCounts(queue: ForwardQueue): queue is ForwardQueue & ForwardQueueCounts {
  return typeof (queue as Partial<ForwardQueueCounts>).counts === 'function';
}

/** How often an idle forwarder checks that Odoo answers (version_info: no session, no database work). */
export const IDLE_PROBE_MS = 30_000;

export function createForwarder(opts: ForwarderOptions): Forwarder {
  const { queue, config, clock, log, metrics } = opts;
  // A throwing listener must not stop the queue from being marked.
  const onOutcome = (o: ForwardOutcome): void => {
    try {
      opts.onOutcome(o);
    } catch (error) {
      log.error({ err: toHubError(error) }, 'forwarder: onOutcome listener threw');
    }
  };
  const random = opts.random ?? Math.random;
  const client = opts.client ?? createOdooClient({ config, clock, log, metrics });
  const finalizer: Finalizer =
    config.ODOO_FINALIZE_MODE === 'hub_finalize_snapshot' ? hubFinalizeSnapshotFinalizer(client, config.ODOO_FINALIZE_MODEL) : createFromUiFinalizer(client, log);

  const finalizeRpc = /\.(create_from_ui|hub_finalize_snapshot)$/;
  // Unknown until Odoo has answered once: /health must not claim a reachable Odoo it never reached.
  const state: ForwarderStatus = { lastOdooSync: null, odooReachable: false, lastError: null };
  let running = false;
  let stopped = false;
  let timer: TimerHandle | null = null;
  let inFlight: Promise<DrainReport> | null = null;
  let pausedUntil = 0;
  /** Set while the term waits out a predecessor's claim (shown in /health), cleared by a granted claim. */
  let claimWaitUntil: number | null = null;
  let failures = 0;
  /** A kick() that arrived during a drain: drain again right after it. */
  let kicked = false;
  /**
   * Backoffs live in memory; after a restart the queue's stored next-attempt times could let younger
   * events overtake older ones, so the first drain takes the head of the queue regardless of them.
   */
  let firstDrain = true;
  /** With nothing to forward, Odoo is still probed now and then so /health's odooReachable is true to fact. */
  let lastProbeAt = Number.NEGATIVE_INFINITY;

  const probeIfIdle = async (): Promise<void> => {
    if (clock.now() - lastProbeAt < IDLE_PROBE_MS) return;
    lastProbeAt = clock.now();
    try {
      await client.versionInfo();
      state.odooReachable = true;
      state.lastError = null;
    } catch (error) {
      const e = toHubError(error);
      state.odooReachable = !(e.code === 'ODOO_UNREACHABLE' || e.code === 'ODOO_PROTOCOL');
      state.lastError = e.message;
    }
  };

  const reportGauges = async (): Promise<void> => {
    if (!hasCounts(queue)) return;
    const { pending, dead } = await queue.counts();
    metrics.forwardQueueDepth(pending);
    metrics.deadLetters(dead);
  };

  const drain = async (): Promise<DrainReport> => {
    if (stopped) return { skipped: 'stopped', forwarded: 0, dead: 0, retrying: 0 };
    if (clock.now() < pausedUntil) return { skipped: 'paused', forwarded: 0, dead: 0, retrying: 0 };
    const batch: PendingFinalize[] = await queue.pending(config.HUB_FORWARD_BATCH_SIZE, firstDrain ? Number.MAX_SAFE_INTEGER : clock.now());
    firstDrain = false;
    if (batch.length === 0) {
      await reportGauges();
      await probeIfIdle();
      return { skipped: null, forwarded: 0, dead: 0, retrying: 0 };
    }
    let sendBy = Number.POSITIVE_INFINITY;
    if (queue.claim !== undefined) {
      let claim;
      try {
        claim = await queue.claim(batch, clock.now());
      } catch (error) {
        // Not claimed (fenced, or the store refuses commits): nothing is sent; the next drain tries again.
        pausedUntil = clock.now() + config.HUB_FORWARD_INTERVAL_MS;
        log.warn({ err: toHubError(error).message }, 'forwarder: could not claim the batch; nothing sent');
        return { skipped: 'paused', forwarded: 0, dead: 0, retrying: 0 };
      }
      if (claim.kind === 'wait') {
        pausedUntil = claim.until;
        claimWaitUntil = claim.until;
        log.warn({ why: claim.why, resumeInMs: claim.until - clock.now() }, 'forwarder: waiting for a previous leader\'s Odoo call to end before the look-up');
        return { skipped: 'paused', forwarded: 0, dead: 0, retrying: 0 };
      }
      sendBy = claim.sendBy;
      claimWaitUntil = null;
    }
    let report;
    try {
      report = await finalizer.finalize(batch, () => clock.now() <= sendBy);
    } catch (error) {
      // Finalizers report failures as data; anything thrown is a bug: retry the batch, never lose it.
      const e = toHubError(error);
      log.error({ err: e }, 'forwarder: finalizer threw');
      report = { outcomes: [], retry: e };
    }
    let forwarded = 0;
    let dead = 0;
    for (const o of report.outcomes) {
      const now = clock.now();
      switch (o.kind) {
        case 'ok':
          // Durable before anyone hears of it: a crash from here on never sends the order again.
          await queue.markForwarded(o.event.eventId, o.result, now);
          state.lastOdooSync = now;
          forwarded += 1;
          metrics.forwardAttempt('ok');
          onOutcome({ kind: 'finalized', event: o.event, result: o.result });
          break;
        case 'dead':
          await queue.markDead(o.event.eventId, o.error.message, now);
          dead += 1;
          metrics.forwardAttempt('dead');
          log.error({ posReference: o.event.posReference, eventId: o.event.eventId, err: o.error.message }, 'forwarder: Odoo refused the order for good; dead-lettered');
          onOutcome({ kind: 'dead', event: o.event, error: o.error.message });
          break;
        default: {
          const never: never = o;
          throw new Error(`unhandled outcome ${JSON.stringify(never)}`);
        }
      }
    }
    let retrying = 0;
    if (report.retry) {
      failures += 1;
      const inDoubt = (report.retry.details as OdooErrorDetails | undefined)?.inDoubt === true && finalizeRpc.test(String((report.retry.details as OdooErrorDetails).rpc));
      const nextAttemptAt = clock.now() + Math.max(backoffDelay(failures, random), inDoubt ? config.ODOO_IN_DOUBT_PAUSE_MS : 0);
      pausedUntil = nextAttemptAt;
      state.lastError = report.retry.message;
      state.odooReachable = !(report.retry.code === 'ODOO_UNREACHABLE' || report.retry.code === 'ODOO_PROTOCOL');
      // Every unconfirmed event of the batch waits for the same instant, so commit order survives.
      const settled = new Set(report.outcomes.map((o) => o.event.eventId));
      for (const event of batch) {
        if (settled.has(event.eventId)) continue;
        await queue.markAttemptFailed(event.eventId, report.retry.message, nextAttemptAt);
        retrying += 1;
        metrics.forwardAttempt('retry');
        onOutcome({ kind: 'retrying', event, error: report.retry.message, nextAttemptAt });
      }
      log.warn({ err: report.retry.message, retrying, failures, resumeInMs: nextAttemptAt - clock.now() }, 'forwarder: Odoo call failed; backing off');
    } else {
      failures = 0;
      state.odooReachable = true;
      state.lastError = null;
    }
    await reportGauges();
    return { skipped: null, forwarded, dead, retrying };
  };

  const schedule = (ms: number): void => {
    if (stopped) return;
    if (timer !== null) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = null;
      void run();
    }, Math.max(0, ms));
  };

  /** One drain at a time; afterwards the next is due after the interval, the pause, or at once if the batch was full. */
  const run = async (): Promise<DrainReport> => {
    if (inFlight) {
      await inFlight.catch(() => undefined);
      return run();
    }
    const p = drain();
    inFlight = p;
    try {
      const report = await p;
      const full = report.forwarded + report.dead >= config.HUB_FORWARD_BATCH_SIZE && report.retrying === 0;
      const again = (full || kicked) && report.retrying === 0;
      kicked = false;
      const untilPause = pausedUntil - clock.now();
      if (running) schedule(again ? 0 : Math.max(config.HUB_FORWARD_INTERVAL_MS, untilPause));
      return report;
    } catch (error) {
      log.error({ err: toHubError(error) }, 'forwarder: drain failed');
      if (running) schedule(config.HUB_FORWARD_INTERVAL_MS);
      return { skipped: null, forwarded: 0, dead: 0, retrying: 0 };
    } finally {
      inFlight = null;
    }
  };

  return {
    start: () => {
      if (running || stopped) return;
      running = true;
      schedule(0);
    },
    kick: () => {
      if (!running || stopped || clock.now() < pausedUntil) return;
      if (inFlight) kicked = true;
      else schedule(0);
    },
    stop: async () => {
      stopped = true;
      running = false;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      if (inFlight) await inFlight.catch(() => undefined);
    },
    status: () => ({ ...state, claimWaitUntil: claimWaitUntil !== null && clock.now() < claimWaitUntil ? claimWaitUntil : null }),
    drainNow: () => run(),
  };
}
