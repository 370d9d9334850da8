/**
 * Port: the measurements the hub reports. Components call these hooks; the metrics adapter
 * (src/adapters/metrics, prom-client) implements them per thread and the front merges every thread
 * into one /metrics scrape. noopMetrics keeps unit tests and tools free of prom-client.
 */
import type { Encoding } from '../protocol/constants.js';

/**
 * What was quarantined: a stored row that cannot be read or encoded, a unit, an outbound message, or an
 * actor input whose step threw (refused INTERNAL; the actor rebuilt from the store).
 */
export type QuarantineKind = 'order' | 'floor_plan' | 'event' | 'finalize' | 'mutation' | 'unit' | 'message' | 'input';

/** A stored record left out of every read because it cannot be read or encoded safely. */
export interface QuarantinedRecord {
  readonly kind: QuarantineKind;
  /** posReference, floor id, event id, … */
  readonly key: string;
  /** Our code for why: a frame-limit code (FRAME_TOO_DEEP, …) or BAD_JSON. */
  readonly reason: string;
}

/**
 * The stages of one write's path, in order (issue 16): decode + validate on the front, front → shard,
 * the table actor's step, shard → writer, waiting for the group commit to start, the commit (fsync
 * included), writer → front, and fan-out (ack and ORDER_UPDATED encoded and handed to the sockets).
 */
export const WRITE_STAGES = [
  'decode',
  'to_shard',
  'actor_step',
  'to_writer',
  'commit_wait',
  'commit',
  'to_front',
  'fan_out',
] as const;
export type WriteStage = (typeof WRITE_STAGES)[number];

export type GrantDecision = 'granted' | 'denied' | 'revoked' | 'expired' | 'released' | 'forced';

export interface HubMetrics {
  connectedTerminals(count: number): void;
  frameIn(type: string, encoding: Encoding): void;
  frameOut(type: string, encoding: Encoding, count?: number): void;
  /** A frame refused before reaching a shard: BAD_JSON, BAD_FRAME, UNKNOWN_TYPE, INVALID_MESSAGE, … */
  frameError(code: string): void;
  /** Frame received → ORDER_ACK sent to the writer of the change. */
  ackLatency(seconds: number): void;
  /** Frame received → ORDER_UPDATED handed to the other terminals' sockets. */
  broadcastLatency(seconds: number): void;
  backpressureClose(): void;
  resync(kind: 'full' | 'resume'): void;
  actors(shard: number, count: number): void;
  leaseDecision(decision: GrantDecision): void;
  lockDecision(decision: GrantDecision): void;
  writerBatch(size: number, seconds: number): void;
  /** A group commit refused by the disk (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, ENOSPC), by SQLite code. */
  storageError(code: string): void;
  forwardQueueDepth(depth: number): void;
  forwardAttempt(outcome: 'ok' | 'retry' | 'dead'): void;
  deadLetters(count: number): void;
  odooRpc(method: string, outcome: 'ok' | 'error', seconds: number): void;
  /** A record left out because it cannot be read or encoded safely (counted once per record). */
  quarantined(kind: QuarantineKind): void;
  /** Seconds one write spent in one stage of its path (pos_hub_write_stage_seconds{stage}). */
  writeStage(stage: WriteStage, seconds: number): void;
  /** A shard's load from the store (start, after a failed commit, retries), by outcome (pos_hub_shard_reloads_total). */
  shardReload(outcome: 'ok' | 'failed'): void;
}

const noop = (): void => undefined;

export const noopMetrics: HubMetrics = {
  connectedTerminals: noop,
  frameIn: noop,
  frameOut: noop,
  frameError: noop,
  ackLatency: noop,
  broadcastLatency: noop,
  backpressureClose: noop,
  resync: noop,
  actors: noop,
  leaseDecision: noop,
  lockDecision: noop,
  writerBatch: noop,
  storageError: noop,
  forwardQueueDepth: noop,
  forwardAttempt: noop,
  deadLetters: noop,
  odooRpc: noop,
  quarantined: noop,
  writeStage: noop,
  shardReload: noop,
};

/**
 * A point in time, in milliseconds, that means the same in every thread of the process: a shard can
 * end a stage the front started. (performance.now() alone does not: each worker has its own origin.)
 */
export type StageMark = number;

/**
 * The recording helper for per-stage latency, so instrumenting a seam is one line:
 * `const t = timer.mark()` where the stage starts (or a mark carried in the message), then
 * `timer.end('to_shard', t)` where it ends. end() returns its own reading, to start the next stage.
 */
export interface StageTimer {
  mark(): StageMark;
  /** Records now − since under `stage` (never negative: thread clocks may differ by a few µs) and returns now. */
  end(stage: WriteStage, since: StageMark): StageMark;
}

/** Wall-clock milliseconds with sub-millisecond resolution, one origin for every thread of the process. */
const processMs = (): StageMark => performance.timeOrigin + performance.now();

/** A StageTimer recording into `metrics`; `now` is injectable for tests. */
export function stageTimer(metrics: HubMetrics, now: () => StageMark = processMs): StageTimer {
  return {
    mark: now,
    end(stage, since) {
      const at = now();
      metrics.writeStage(stage, Math.max(0, at - since) / 1000);
      return at;
    },
  };
}

/** Records nothing and reads no clock: the default where no metrics are wired. */
export const noopStageTimer: StageTimer = { mark: () => 0, end: () => 0 };
