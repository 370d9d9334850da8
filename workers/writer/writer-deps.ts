/**
 * What the writer is built from: its store port, clock, logger, metrics, the front's notice channel and the
 * optional forwarder. Split from writer-core.ts so the worker glue and tests can read the seams without
 * the batcher; writer-core.ts re-exports these types.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { Config } from '#config';
import type { Clock, TimerHandle } from '#ports/clock.js';
import type { ForwardOutcome, ForwardQueue } from '#ports/forwarding.js';
import type { HubMetrics, StageTimer } from '#ports/metrics.js';
import type { HubStorePort } from '#ports/store.js';
import type { WriterNotice } from '#threads/contract.js';
import type { EncodedMessages } from './encode-deliveries.js';
import type { TailRefresh } from './replica-tail.js';

export interface ForwarderHandle {
  start(): void;
  kick(): void;
  stop(): Promise<void>;
  status(): { lastOdooSync: number | null; odooReachable: boolean; lastError: string | null; claimWaitUntil?: number | null };
}

export type ForwarderFactory = (opts: {
  queue: ForwardQueue;
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: HubMetrics;
  onOutcome(o: ForwardOutcome): void;
}) => ForwarderHandle;

/**
 * The writer's time, injected like every clock in the core: the wall clock for stamps, timers for the
 * commit window and the probes, `afterTurn` for a window of 0 (the turn's units still commit together),
 * and a fine-grained `elapsed` reading for how long a commit took.
 */
export interface WriterClock extends Clock {
  afterTurn(callback: () => void): TimerHandle;
  /** Fractional milliseconds from an arbitrary origin. */
  elapsed(): number;
}

export interface WriterDeps {
  /** SQLite (store-port.ts) or Postgres: the writer is the same on either (src/ports/store.ts). */
  readonly store: HubStorePort;
  readonly config: Config;
  readonly clock: WriterClock;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  /** Where the writer's stages are recorded; by default stageTimer(metrics) on the process-wide clock. */
  readonly stages?: StageTimer;
  /** `encoded`: broadcasts of a `deliver` whose JSON the store already wrote (encode-deliveries.ts). */
  readonly toFront: (notice: WriterNotice, encoded?: EncodedMessages) => void;
  readonly createForwarder?: ForwarderFactory | null;
  readonly snapshotMetrics?: () => Promise<unknown>;
  /** After the commit that held both parts of these transfers (the shards lift their fences). */
  readonly onTransfersCommitted?: (txIds: readonly string[]) => void;
  /** A follower's tail read the leader's events: these actors may be older than the store (replica-tail.ts). */
  readonly onRefresh?: (refresh: TailRefresh) => void;
  /** A commit failed: every shard must reload from the store; its units of older generations are refused. */
  readonly onRollback?: (generation: number) => void;
  /**
   * `standalone` (default; SQLite): commits unfenced, forwards from the start. `follower` (a replicated
   * store): writes nothing until `take_over` (workers/writer/leadership.ts).
   */
  readonly role?: 'standalone' | 'follower';
}
