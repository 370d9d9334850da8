/**
 * Capped exponential backoff with jitter, shared by the socket reconnect loop and the outbox.
 * "Equal jitter": half the step is fixed, half random, so retries spread out but never collapse to 0.
 */

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly factor: number;
  readonly maxMs: number;
}

/** Reconnect: 0.5 s, 1 s, 2 s … capped at 30 s (then 15–30 s between tries). */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, factor: 2, maxMs: 30_000 };
/** Outbox entries that failed: 1 s, 2 s, 4 s … capped at 60 s; never dropped for a transient failure. */
export const OUTBOX_BACKOFF: BackoffPolicy = { baseMs: 1_000, factor: 2, maxMs: 60_000 };

/** Delay before retry number `attempt` (0 = first retry). `random` is uniform in [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const step = Math.min(policy.maxMs, policy.baseMs * policy.factor ** exponent);
  return Math.round(step / 2 + random() * (step / 2));
}
