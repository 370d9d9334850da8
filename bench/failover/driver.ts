/**
 * The write driver's interface, shared by the store-level driver (store-driver.ts: writers on the store port,
 * doing what a hub's writer does) and the hub-level one (hub-driver.ts: real hub processes and terminals),
 * so the harness and every fault run over either. A driver produces a steady write load, logs every ack and
 * every seq it saw, and reads back what the surviving primary holds for the run.
 */
import type { Ack, FinalState, Seen } from './run-log.js';

export interface DriverLog {
  readonly acks: readonly Ack[];
  readonly seen: readonly Seen[];
}

export interface WriteDriver {
  readonly kind: 'store' | 'hub';
  /** Begin writing (writes of this run carry `runId` in their mutation ids). */
  start(runId: string): Promise<void>;
  /** Acks so far (for the harness to wait on progress). */
  ackCount(): number;
  /** The latest ack time, or null before the first. */
  lastAckAt(): number | null;
  /** Terminals cut off: each writer's write in flight is committed but its answer lost, and nothing more is sent. */
  cutOff(): Promise<void>;
  /** Terminals back: each resends its unanswered write with the same mutation id, then carries on. */
  reconnect(): Promise<void>;
  /** Stop sending; every write in flight is resent until answered or `limitMs` passed, then the log. */
  stop(limitMs: number): Promise<DriverLog>;
  /** The mutation id of a write of this run, from its event's payload (parsed JSON), else null. */
  writeOf(payload: unknown): string | null;
  /** Read the run's writes back from one node (`url`, direct). */
  readFinal(url: string, node: string, afterSeq: number): Promise<FinalState>;
  /** The store's seq high-water mark on one node, before the run. */
  currentSeq(url: string): Promise<number>;
  /** One line on where the writers stand, for a run that failed (what each waits for, the last refusals). */
  diagnose(): string;
  /** The hub-level fault: kill -9 of the leader hub, started again `restartAfterMs` later as systemd (or the
   *  box booting) would (store driver: unsupported, throws). */
  killLeaderHub(restartAfterMs: number): Promise<void>;
  close(): Promise<void>;
}
