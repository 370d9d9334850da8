/**
 * How the SDK settles a CONFLICT: the order-domain reconciliation decides (accept_remote, merge,
 * keep_local), this file only adapts its answer to what the outbox needs — whether to re-send and
 * which local lines the hub version dropped. Injectable so a frontend can plug in its own policy.
 */
import type { OrderLine, OrderSnapshot } from '../protocol/snapshot.js';
import type { ConflictStrategy } from './types.js';

export interface ReconcileInput {
  readonly local: OrderSnapshot;
  readonly localBaseVersion: number;
  readonly remote: OrderSnapshot | null;
  readonly remoteVersion: number;
  /** The hub snapshot the local edit started from, when the SDK still knows it (enables a three-way merge). */
  readonly base: OrderSnapshot | null;
}

export interface ReconcileOutcome {
  readonly strategy: ConflictStrategy;
  readonly snapshot: OrderSnapshot;
  /** True when `snapshot` must be written to the hub (based on remoteVersion). */
  readonly resend: boolean;
  readonly droppedLocalLines: readonly OrderLine[];
}

export type Reconciler = (input: ReconcileInput) => ReconcileOutcome;

/** Key-order-independent JSON, to tell "the hub already has exactly this" from a real conflict. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sameSnapshot(a: OrderSnapshot | null, b: OrderSnapshot | null): boolean {
  return a !== null && b !== null && stableStringify(a) === stableStringify(b);
}
