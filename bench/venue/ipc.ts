/**
 * The parent ↔ generator-process protocol (node:child_process IPC): commands down, reports up,
 * discriminated by `type`. Everything is plain data so it survives structured cloning.
 */
import type { Encoding } from '../../src/protocol/constants.js';
import type { HistogramData } from '../lib/histogram.js';

/** How terminals reach the server under test: the hub's own WebSocket protocol, or a Socket.IO relay. */
export type TargetSpec =
  | { readonly kind: 'ws'; readonly url: string; readonly encoding: Encoding }
  | { readonly kind: 'socketio'; readonly url: string };

/** The message mix of a service. Fractions are per write; zero turns a kind off. */
export interface MixSpec {
  /** Share of writes wrapped in TABLE_LOCK_ACQUIRE … TABLE_LOCK_RELEASE. */
  readonly lockFraction: number;
  /** Snapshots per order before it goes checkout → paid → ORDER_FINALIZE; 0 = never finalize. */
  readonly finalizeAfter: number;
  /** Period of HEARTBEAT, LEASE_HEARTBEAT (per held lease) and TABLE_LOCK_HEARTBEAT; 0 = none. */
  readonly heartbeatMs: number;
}

export interface ConnectCommand {
  readonly type: 'connect';
  readonly target: TargetSpec;
  readonly runId: string;
  /** This process owns terminals [from, to) of totalTerminals; terminal i edits tables t with (t-1) % total === i. */
  readonly from: number;
  readonly to: number;
  readonly totalTerminals: number;
  readonly tables: number;
  /** Decode one ORDER_UPDATED in this many for the propagation histogram (the rest are only counted). */
  readonly sampleEvery: number;
  readonly timeoutMs: number;
}

export interface RunCommand {
  readonly type: 'run';
  /** Offered writes per second for this process. */
  readonly rate: number;
  readonly durationMs: number;
  readonly mix: MixSpec;
  /** After durationMs, how long to wait for in-flight requests before reporting. */
  readonly drainMs: number;
}

export interface CloseCommand {
  readonly type: 'close';
}

export type GeneratorCommand = ConnectCommand | RunCommand | CloseCommand;

export interface ConnectReport {
  readonly type: 'connected';
  readonly ok: number;
  readonly failed: number;
  /** Monotonic µs (machine-wide) of the first socket opened and of the last SYNC_INIT received. */
  readonly startedUs: number;
  readonly lastSyncUs: number;
  /** Per terminal: socket created → SYNC_INIT received. */
  readonly syncLatency: HistogramData;
  readonly errors: Record<string, number>;
  /** CPU this generator process used while connecting (user + system), ms. */
  readonly generatorCpuMs: number;
}

export interface RunReport {
  readonly type: 'ran';
  readonly offered: number;
  readonly sent: number;
  readonly accepted: number;
  /** Offers dropped because every order of the terminal had a request in flight (a saturation signal). */
  readonly skippedBusy: number;
  readonly finalized: number;
  readonly ack: HistogramData;
  readonly propagation: HistogramData;
  readonly lease: HistogramData;
  readonly lock: HistogramData;
  readonly finalize: HistogramData;
  readonly received: Record<string, number>;
  readonly sentByType: Record<string, number>;
  readonly errors: Record<string, number>;
  /** CPU time this generator process used during the run (user + system), ms. */
  readonly generatorCpuMs: number;
  readonly elapsedMs: number;
}

export interface ClosedReport {
  readonly type: 'closed';
}

export interface FailedReport {
  readonly type: 'failed';
  readonly message: string;
}

export type GeneratorReport = ConnectReport | RunReport | ClosedReport | FailedReport;
