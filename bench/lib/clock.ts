/**
 * The benchmark's shared clock: CLOCK_MONOTONIC through process.hrtime, which on Linux is one clock
 * for every process on the machine — so a timestamp taken in one generator process can be compared
 * with one taken in another (propagation latency) without wall-clock skew.
 */

/** Microseconds on the machine-wide monotonic clock. */
export function monoUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
