/**
 * Port: the measurements the hub reports. Components call these hooks; the metrics adapter
 * (src/adapters/metrics, prom-client) implements them per thread and the front merges every thread
 * into one /metrics scrape. noopMetrics keeps unit tests and tools free of prom-client.
 */
import type { Encoding } from '../protocol/constants.js';

/** What was quarantined: a stored row that cannot be read or encoded, a unit, or an outbound message. */
export type QuarantineKind = 'order' | 'floor_plan' | 'event' | 'finalize' | 'mutation' | 'unit' | 'message';

/** A stored record left out of every read because it cannot be read or encoded safely. */
export interface QuarantinedRecord {
  readonly kind: QuarantineKind;
  /** posReference, floor id, event id, … */
  readonly key: string;
  /** Our code for why: a frame-limit code (FRAME_TOO_DEEP, …) or BAD_JSON. */
  readonly reason: string;
}

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
};
