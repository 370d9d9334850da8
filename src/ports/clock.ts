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

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
