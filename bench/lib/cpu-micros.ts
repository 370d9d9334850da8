/**
 * CPU µs per call of a function, from process.cpuUsage (steadier than wall time on a shared box): a warm-up,
 * then the median of `rounds` rounds of `iterations` calls.
 */
import { cpuUsage } from 'node:process';

export function cpuMicros(fn: () => unknown, { iterations = 20_000, rounds = 7, warmup = 2000 } = {}): number {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = cpuUsage();
    for (let i = 0; i < iterations; i++) fn();
    const used = cpuUsage(start);
    samples.push((used.user + used.system) / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(rounds / 2)]!;
}
