/**
 * Port: time. Nothing in the core calls Date.now() or setTimeout directly; the composition root
 * passes the system clock and tests pass a simulated one they advance by hand.
 */
export type TimerHandle = { readonly __timer: unique symbol } | number | object;

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * A clock with a monotonic reading besides the wall clock. Lease and lock TTLs run on `monotonic()`, which
 * an NTP step or an operator's `date -s` never moves; `now()` stays the wall clock for what goes on the
 * wire and to disk (`expiresAt`, timestamps). Separate from Clock so only the parts that time TTLs need it.
 */
export interface MonotonicClock extends Clock {
  /** Whole milliseconds from an arbitrary origin; never goes backwards, unaffected by wall-clock jumps. */
  monotonic(): number;
}

export const systemClock: MonotonicClock = {
  now: () => Date.now(),
  monotonic: () => Math.floor(performance.now()),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
