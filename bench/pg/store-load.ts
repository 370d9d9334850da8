/**
 * The write path at the store, as the hub's writer drives it, on any HubStorePort: units arrive open loop
 * at an offered rate, and a group committer commits everything queued whenever it is idle (the writer's
 * HUB_COMMIT_WINDOW_MS=0: what arrived during the previous commit goes in the next one). A unit is acked
 * when its commit resolves; its latency runs from its scheduled arrival, so a commit that blocks the
 * event loop (SQLite's is synchronous, as on the writer thread) delays the next arrivals' clocks too —
 * no coordinated omission. A failed commit puts its units back at the head of the queue with their
 * mutation ids as dedupe keys, as the writer retries an in-doubt commit after failover.
 */
import type { HubStorePort, StoreUnit } from '../../src/ports/store.js';
import { monoUs, sleep } from '../lib/clock.js';
import { Histogram, type LatencySummary } from '../lib/histogram.js';
import { withDedupe, type UnitSource } from './units.js';

/** A failed commit is retried after this pause, so a dead primary is not hammered while it fails over. */
const RETRY_PAUSE_MS = 50;

interface Pending {
  readonly unit: StoreUnit;
  /** Scheduled arrival, µs on the machine-wide monotonic clock. */
  readonly at: number;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private busy = false;
  private timer: { readonly cancel: () => void } | null = null;
  private stopped = false;
  ack = new Histogram();
  acked = 0;
  commits = 0;
  failedCommits = 0;
  /** Units in failed commits (each retried). */
  failedUnits = 0;
  lastError: string | null = null;
  /** When the last commit failed (monoUs), or null. */
  lastFailureUs: number | null = null;

  constructor(
    private readonly store: HubStorePort,
    /** Every committed batch: when its commit returned and when it was sent, µs, and its units. */
    private readonly onAck: (atUs: number, startedUs: number, units: readonly StoreUnit[]) => void = () => undefined,
  ) {}

  get inFlight(): number {
    return this.queue.length + (this.busy ? 1 : 0);
  }

  offer(unit: StoreUnit, at: number): void {
    this.queue.push({ unit, at });
    this.schedule(0);
  }

  /** Fresh counters for the next step; the queue and the store stay. */
  resetCounters(): void {
    this.ack = new Histogram();
    this.acked = 0;
    this.commits = 0;
    this.failedCommits = 0;
    this.failedUnits = 0;
    this.lastError = null;
  }

  /** Stop committing; units still queued are dropped (not acked). */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.queue = [];
  }

  private schedule(delayMs: number): void {
    if (this.busy || this.timer !== null || this.queue.length === 0 || this.stopped) return;
    if (delayMs === 0) {
      const immediate = setImmediate(() => void this.commit());
      this.timer = { cancel: () => clearImmediate(immediate) };
    } else {
      const timeout = setTimeout(() => void this.commit(), delayMs);
      this.timer = { cancel: () => clearTimeout(timeout) };
    }
  }

  private async commit(): Promise<void> {
    this.timer = null;
    if (this.busy || this.queue.length === 0 || this.stopped) return;
    const batch = this.queue;
    this.queue = [];
    this.busy = true;
    let retryAfter = 0;
    const startedUs = monoUs();
    try {
      await this.store.commit(
        batch.map((p) => p.unit),
        Date.now(),
      );
      const now = monoUs();
      for (const p of batch) this.ack.record(now - p.at);
      this.acked += batch.length;
      this.commits += 1;
      this.onAck(
        now,
        startedUs,
        batch.map((p) => p.unit),
      );
    } catch (error) {
      this.failedCommits += 1;
      this.failedUnits += batch.length;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.lastFailureUs = monoUs();
      this.queue = [...batch.map((p) => ({ unit: withDedupe(p.unit), at: p.at })), ...this.queue];
      retryAfter = RETRY_PAUSE_MS;
    } finally {
      this.busy = false;
    }
    this.schedule(retryAfter);
  }
}

/**
 * Offer `rate` units/s for `durationMs`, open loop; resolves when the last is offered, or earlier once
 * `until()` holds. Returns how many were offered.
 */
export async function offerOpenLoop(
  committer: GroupCommitter,
  source: UnitSource,
  rate: number,
  durationMs: number,
  until: () => boolean = () => false,
): Promise<number> {
  const total = Math.round((rate * durationMs) / 1000);
  const intervalUs = 1e6 / rate;
  const t0 = monoUs();
  let offered = 0;
  while (offered < total && !until()) {
    const now = monoUs();
    const due = Math.min(total, Math.floor((now - t0) / intervalUs) + 1);
    for (; offered < due; offered++) committer.offer(source.next(), t0 + offered * intervalUs);
    if (offered < total) {
      const nextAt = t0 + offered * intervalUs;
      await sleep(Math.max(0, Math.floor((nextAt - monoUs()) / 1000)));
    }
  }
  return offered;
}

/** Wait until nothing is queued or committing, or `limitMs` passes. */
export async function drain(committer: GroupCommitter, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (committer.inFlight > 0 && Date.now() < deadline) await sleep(5);
}

/** CPU of the processes a store's work lands in outside this one (Postgres); zeros for SQLite. */
export interface ExternalCpu {
  sample(): { readonly postgresMs: number; readonly agentsMs: number };
}

export const NO_EXTERNAL_CPU: ExternalCpu = { sample: () => ({ postgresMs: 0, agentsMs: 0 }) };

export interface StoreStep {
  readonly offeredRate: number;
  readonly offered: number;
  readonly acked: number;
  readonly ackedPerS: number;
  readonly elapsedMs: number;
  readonly ack: LatencySummary;
  readonly commits: number;
  readonly failedCommits: number;
  /** Writes refused or failed at least once (units of failed commits; the hub's ERROR replies). */
  readonly errors: number;
  readonly unitsPerCommit: number;
  /** CPU over the step, ms: the process the store's client runs in (all threads), the data nodes' Postgres, the HA agents. */
  readonly cpuMs: { readonly process: number; readonly postgres: number; readonly agents: number };
  /** (this process + Postgres) per acked write, µs; null when nothing was acked. */
  readonly cpuUsPerWrite: number | null;
}

export async function measureStep(
  committer: GroupCommitter,
  source: UnitSource,
  external: ExternalCpu,
  rate: number,
  durationMs: number,
  drainMs: number,
): Promise<StoreStep> {
  await drain(committer, drainMs);
  committer.resetCounters();
  const cpu0 = process.cpuUsage();
  const ext0 = external.sample();
  const started = performance.now();
  const offered = await offerOpenLoop(committer, source, rate, durationMs);
  await drain(committer, drainMs);
  const elapsedMs = performance.now() - started;
  const cpu1 = process.cpuUsage(cpu0);
  const ext1 = external.sample();
  const benchMs = (cpu1.user + cpu1.system) / 1000;
  const postgresMs = ext1.postgresMs - ext0.postgresMs;
  const acked = committer.acked;
  return {
    offeredRate: rate,
    offered,
    acked,
    // Over the offered window: a unit acked during the drain was offered within it.
    ackedPerS: Math.round(((acked * 1000) / durationMs) * 10) / 10,
    elapsedMs: Math.round(elapsedMs),
    ack: committer.ack.summary(),
    commits: committer.commits,
    failedCommits: committer.failedCommits,
    errors: committer.failedUnits,
    unitsPerCommit: committer.commits > 0 ? Math.round((acked / committer.commits) * 10) / 10 : 0,
    cpuMs: {
      process: Math.round(benchMs),
      postgres: Math.round(postgresMs),
      agents: Math.round(ext1.agentsMs - ext0.agentsMs),
    },
    cpuUsPerWrite: acked > 0 ? Math.round(((benchMs + postgresMs) * 1000) / acked) : null,
  };
}
