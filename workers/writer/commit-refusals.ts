/**
 * What the writer does when a commit does not land as sent: refused by the store (transient), in doubt,
 * given up at a demotion, fenced by a newer takeover, or found already stored (a resend): which error each
 * unit's terminal hears, the storage generation bumped so the shards reload, and the transfer halves still
 * waiting refused with them. Split from writer-core.ts; the core decides which case a commit is.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { HubMetrics } from '#ports/metrics.js';
import { isFenced, type HubStorePort, type StoreFault } from '#ports/store.js';
import { causeOf, describeCause } from '#protocol/errors.js';
import type { Unit } from '#threads/actor-io.js';
import type { WriterNotice, WriterStats } from '#threads/contract.js';
import { notLeaderRefusals, type WriterRole } from './leadership.js';
import type { StorageHealth } from './storage-health.js';
import type { WriterClock } from './writer-deps.js';
import { refusals } from './writer-notices.js';

export interface CommitRefusalsDeps {
  readonly store: HubStorePort;
  readonly clock: WriterClock;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  readonly toFront: (notice: WriterNotice) => void;
  readonly onRollback?: (generation: number) => void;
  readonly health: StorageHealth;
  readonly role: () => WriterRole;
  readonly stats: () => WriterStats;
  /** Bump the storage generation (memory loaded before it may hold unstored state) and return it. */
  readonly nextGeneration: () => number;
  /** Take the transfer halves still waiting for their partner: they are refused with the batch. */
  readonly takeHeld: () => Unit[];
  /** A fatal store error: the writer stops and its lane halts. */
  readonly halt: () => void;
}

export class CommitRefusals {
  constructor(private readonly deps: CommitRefusalsDeps) {}

  /** A rejected commit: refused and reloaded when the store says it can pass, else the thread dies. */
  refused(units: readonly Unit[], error: unknown): void {
    if (isFenced(error)) {
      this.fenced(units, error.details.fence, error.details.current);
      return;
    }
    const fault = this.deps.store.classifyError(error);
    if (fault === 'fatal') {
      // Anything but a full or failing disk or a lost primary is a bug or a damaged store: the thread dies with its cause.
      this.deps.halt();
      throw error;
    }
    this.failed(units, error, fault);
  }

  /**
   * The transaction rolled back (or its answer was lost). Nothing of it is acked or broadcast: each writer
   * is told STORAGE_UNAVAILABLE, every shard reloads what the store holds, and transfer halves still
   * waiting for their partner are refused too (their shards forget the transfer on reload).
   */
  private failed(units: readonly Unit[], error: unknown, fault: Exclude<StoreFault, 'fatal'>): void {
    const { deps } = this;
    const cause = causeOf(error);
    const reason = describeCause(cause);
    const now = deps.clock.now();
    const generation = deps.nextGeneration();
    deps.health.failed(reason, now);
    const code = (error as { code?: unknown } | null)?.code;
    deps.metrics.storageError(cause.sqliteCode ?? cause.errno ?? (typeof code === 'string' ? code : fault === 'in_doubt' ? 'in_doubt' : 'unknown'));
    deps.log.error(
      { cause, fault, units: units.length, generation },
      fault === 'in_doubt'
        ? 'commit in doubt (its answer was lost); writes refused as STORAGE_UNAVAILABLE, retries are answered by mutation id'
        : 'commit refused by the store; writes refused as STORAGE_UNAVAILABLE until it accepts them',
    );
    const held = deps.takeHeld();
    deps.onRollback?.(generation);
    this.storage([...units, ...held], reason, fault === 'in_doubt');
    deps.health.scheduleProbe();
  }

  /**
   * Demoted while this commit was in the store: the writer gave it up rather than wait out the store's
   * query timeout on a primary that lost its standby. It may still land there, so its units are in doubt:
   * refused STORAGE_UNAVAILABLE saying so (the terminals resend them with the same mutation ids, and
   * whichever hub leads answers those from the store if it holds them, else applies them once), and the
   * shards reload, as after any commit that may not have landed. Not a storage fault: no probe, and
   * /health does not turn degraded for it.
   */
  givenUp(units: readonly Unit[], error: unknown): void {
    const { deps } = this;
    const generation = deps.nextGeneration();
    deps.log.warn(
      { cause: causeOf(error), units: units.length, generation },
      'gave up the commit in flight: this hub no longer leads; its writes are in doubt, refused as STORAGE_UNAVAILABLE and answered by mutation id when resent',
    );
    const held = deps.takeHeld();
    deps.onRollback?.(generation);
    this.storage([...units, ...held], 'this hub stopped leading while committing', true);
  }

  /**
   * A newer takeover fenced this batch: nothing was applied. Its writers (and the transfer halves still
   * waiting) are told NOT_LEADER, the shards reload (their actors may hold what was never stored), the
   * forwarder stops, and the front hears it so the hub follows at once.
   */
  fenced(units: readonly Unit[], epoch: number, current: number): void {
    const { deps } = this;
    deps.log.warn({ epoch, current, units: units.length }, 'commit fenced by a newer takeover; following');
    const generation = deps.nextGeneration();
    const held = deps.takeHeld();
    deps.onRollback?.(generation);
    deps
      .role()
      .follow(null)
      .catch((error: unknown) => deps.log.error({ err: error }, 'the forwarder did not stop cleanly'));
    this.notLeader([...units, ...held]);
    deps.toFront({ type: 'fenced', input: { epoch, current } });
  }

  /**
   * The store found requests already applied that the actors took as new (store-units.ts toStoreUnit): their
   * memory missed a commit, so every shard reloads what the store holds, and units built on the old memory
   * are refused retryable (the generation), as after a failed commit.
   */
  staleActors(duplicates: number): void {
    const generation = this.deps.nextGeneration();
    this.deps.log.warn({ duplicates, generation }, 'resent writes were already stored: answered from the store, not applied again; shards reload');
    this.deps.onRollback?.(generation);
  }

  /** NOT_LEADER to each unit's writer (once per request), naming the leader when known; nothing applied. */
  notLeader(units: readonly Unit[]): void {
    const state = this.deps.role().state;
    const out = notLeaderRefusals(units, state.kind === 'follower' ? state.leader : null);
    this.deps.toFront({ type: 'deliver', input: { deliveries: out.length === 0 ? [] : [{ out }], stats: this.deps.stats() } });
  }

  /** STORAGE_UNAVAILABLE to each unit's writer (once per request), with nothing applied (or, in doubt, maybe). */
  storage(units: readonly Unit[], reason: string, inDoubt = false): void {
    const out = refusals(units, reason, inDoubt);
    this.deps.toFront({ type: 'deliver', input: { deliveries: out.length === 0 ? [] : [{ out }], stats: this.deps.stats() } });
  }
}
