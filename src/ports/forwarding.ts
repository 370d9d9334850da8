/**
 * Port: the durable queue of work bound for Odoo, as the forwarder sees it. The writer worker
 * implements it on its store port (the events table, SQLite or Postgres); the Odoo adapter's Forwarder
 * drains it. Asynchronous, because a Postgres store answers over a socket.
 */
import type { OrderSnapshot } from '../protocol/snapshot.js';

/** One finalized (paid) order waiting for Odoo, in commit order. */
export interface PendingFinalize {
  readonly eventId: number;
  readonly posReference: string;
  readonly snapshot: OrderSnapshot;
  readonly configId: number;
  readonly terminalId: string;
  readonly attempts: number;
}

export interface FinalizeSuccess {
  readonly posReference: string;
  readonly orderId: number;
  readonly lineIdMap: Readonly<Record<string, number>>;
  readonly fiscal?: unknown;
  /** False when Odoo already had the order (an idempotent replay). */
  readonly created: boolean;
}

export interface ForwardQueue {
  /** Oldest first; only events whose backoff has elapsed at `now` (epoch ms). */
  pending(limit: number, now: number): Promise<PendingFinalize[]>;
  /** Resolves once the mark is durable: a crash after it never forwards the event again. */
  markForwarded(eventId: number, result: FinalizeSuccess, now: number): Promise<void>;
  markAttemptFailed(eventId: number, error: string, nextAttemptAt: number): Promise<void>;
  /** Odoo refused it for good: parked, shown on /health and the dashboard, never blocks the queue. */
  markDead(eventId: number, error: string, now: number): Promise<void>;
  /**
   * A replicated store's leader claims `events` before sending them (docs/ha.md "Finalization exactly once
   * across a leader change"): a fenced commit, so a demoted or cut-off hub never starts a send. Rejects when
   * the claim could not be committed: send nothing. Absent (SQLite, standalone): every send is allowed.
   */
  claim?(events: readonly PendingFinalize[], now: number): Promise<ForwardClaim>;
}

/**
 * `granted`: send, but start no finalize call after `sendBy` (claim again instead). `wait`: a previous
 * leader claimed these events and its call may still run in Odoo: send nothing before `until`.
 */
export type ForwardClaim =
  | { readonly kind: 'granted'; readonly sendBy: number }
  | { readonly kind: 'wait'; readonly until: number; readonly why: string };

/** What the forwarder reports after each event, so the hub can tell the terminal. */
export type ForwardOutcome =
  | { readonly kind: 'finalized'; readonly event: PendingFinalize; readonly result: FinalizeSuccess }
  | { readonly kind: 'retrying'; readonly event: PendingFinalize; readonly error: string; readonly nextAttemptAt: number }
  | { readonly kind: 'dead'; readonly event: PendingFinalize; readonly error: string };
