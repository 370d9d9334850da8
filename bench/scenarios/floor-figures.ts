/**
 * The arithmetic of the floor scenario (floor.ts), kept pure so it is tested: each target's figures over the
 * rounds as a median with its spread, and what each hop and each seam costs as paired differences — the same
 * round's two targets subtracted before taking the median, so a round the neighbours slowed moves both sides.
 */

/** One target in one round: saturation's first step (125 writes/s) and its stepping. */
export interface FloorSample {
  readonly label: string;
  readonly round: number;
  readonly ackP50Ms: number;
  readonly ackP99Ms: number;
  readonly ackMeanMs: number;
  /** Server CPU, all threads, per accepted write at the first step, µs. */
  readonly cpuUsPerWrite: number | null;
  /** Per thread group (main, shard-0, writer, helpers, generator) at the first step: CPU per write, µs. */
  readonly threadCpuUs: Readonly<Record<string, number>>;
  /** Per thread group at the first step: mean run-queue wait per wake-up, µs. */
  readonly waitPerWakeUs: Readonly<Record<string, number>>;
  /** Per thread group at the first step: times on a core per write (the wake-ups a write costs, plus the idle ticks). */
  readonly wakeUpsPerWrite: Readonly<Record<string, number>>;
  readonly sustainedPerS: number;
  readonly keepsUpPerS: number;
  /** Server CPU per write at the busiest step kept up with, µs. */
  readonly topCpuUsPerWrite: number | null;
  /** Every step of the stepping, per thread group: the points of the per-write / per-wake-up split (wakeCost). */
  readonly stepPoints?: readonly WakePoint[];
}

/** One thread group over one step: CPU per write against times on a core per write. */
export interface WakePoint {
  readonly group: string;
  readonly wakeUpsPerWrite: number;
  readonly cpuUsPerWrite: number;
}

/**
 * A thread's CPU per write as a fixed part per write plus a part per wake-up (least squares of cpu = a + b·wake-ups
 * over the steps: on a loaded box the waits batch messages, so wake-ups per write vary and the two can be told
 * apart). The per-write part is what a seam's encoding changes; the per-wake-up part is the loop turn and the
 * wake mechanism. Null with fewer than three points or no spread in wake-ups.
 */
export interface WakeCost {
  readonly perWriteUs: number;
  readonly perWakeUpUs: number;
  readonly r2: number;
  readonly points: number;
}

export function wakeCost(points: readonly WakePoint[]): WakeCost | null {
  const n = points.length;
  if (n < 3) return null;
  const mx = points.reduce((t, p) => t + p.wakeUpsPerWrite, 0) / n;
  const my = points.reduce((t, p) => t + p.cpuUsPerWrite, 0) / n;
  const sxx = points.reduce((t, p) => t + (p.wakeUpsPerWrite - mx) ** 2, 0);
  if (sxx === 0) return null;
  const sxy = points.reduce((t, p) => t + (p.wakeUpsPerWrite - mx) * (p.cpuUsPerWrite - my), 0);
  const b = sxy / sxx;
  const a = my - b * mx;
  const residual = points.reduce((t, p) => t + (p.cpuUsPerWrite - (a + b * p.wakeUpsPerWrite)) ** 2, 0);
  const total = points.reduce((t, p) => t + (p.cpuUsPerWrite - my) ** 2, 0);
  return { perWriteUs: a, perWakeUpUs: b, r2: total === 0 ? 1 : 1 - residual / total, points: n };
}

/** wakeCost of each thread group of one target, over every round's steps. */
export function wakeCosts(samples: readonly FloorSample[], label: string): Record<string, WakeCost | null> {
  const points = samples.filter((s) => s.label === label).flatMap((s) => s.stepPoints ?? []);
  const groups = [...new Set(points.map((p) => p.group))];
  return Object.fromEntries(groups.map((g) => [g, wakeCost(points.filter((p) => p.group === g))]));
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** Median (the mean of the middle two for an even count) with min and max; null for no values. */
export function spread(values: readonly (number | null | undefined)[]): Spread | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  const median = xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  return { median, min: xs[0]!, max: xs[xs.length - 1]!, n: xs.length };
}

export interface FloorRow {
  readonly label: string;
  readonly ackP50Ms: Spread | null;
  readonly ackP99Ms: Spread | null;
  readonly ackMeanMs: Spread | null;
  readonly cpuUsPerWrite: Spread | null;
  readonly threadCpuUs: Readonly<Record<string, Spread | null>>;
  readonly waitPerWakeUs: Readonly<Record<string, Spread | null>>;
  readonly wakeUpsPerWrite: Readonly<Record<string, Spread | null>>;
  readonly sustainedPerS: Spread | null;
  readonly keepsUpPerS: Spread | null;
  readonly topCpuUsPerWrite: Spread | null;
}

const groupsOf = (samples: readonly FloorSample[], pick: (s: FloorSample) => Readonly<Record<string, number>>) => [
  ...new Set(samples.flatMap((s) => Object.keys(pick(s)))),
];

/** One row per label, in the order the labels first appear. */
export function aggregate(samples: readonly FloorSample[]): FloorRow[] {
  const labels = [...new Set(samples.map((s) => s.label))];
  return labels.map((label) => {
    const mine = samples.filter((s) => s.label === label);
    const over = (pick: (s: FloorSample) => number | null) => spread(mine.map(pick));
    const perGroup = (pick: (s: FloorSample) => Readonly<Record<string, number>>) =>
      Object.fromEntries(groupsOf(mine, pick).map((g) => [g, spread(mine.map((s) => pick(s)[g]))]));
    return {
      label,
      ackP50Ms: over((s) => s.ackP50Ms),
      ackP99Ms: over((s) => s.ackP99Ms),
      ackMeanMs: over((s) => s.ackMeanMs),
      cpuUsPerWrite: over((s) => s.cpuUsPerWrite),
      threadCpuUs: perGroup((s) => s.threadCpuUs),
      waitPerWakeUs: perGroup((s) => s.waitPerWakeUs),
      wakeUpsPerWrite: perGroup((s) => s.wakeUpsPerWrite),
      sustainedPerS: over((s) => s.sustainedPerS),
      keepsUpPerS: over((s) => s.keepsUpPerS),
      topCpuUsPerWrite: over((s) => s.topCpuUsPerWrite),
    };
  });
}

/** What `with` costs over `without`, per round, as the median of the paired differences. */
export interface Difference {
  readonly what: string;
  readonly with: string;
  readonly without: string;
  readonly ackMeanMs: Spread | null;
  readonly ackP50Ms: Spread | null;
  readonly cpuUsPerWrite: Spread | null;
}

export function difference(
  samples: readonly FloorSample[],
  what: string,
  withLabel: string,
  withoutLabel: string,
): Difference {
  const rounds = [...new Set(samples.map((s) => s.round))];
  const pairs = rounds.flatMap((r) => {
    const a = samples.find((s) => s.round === r && s.label === withLabel);
    const b = samples.find((s) => s.round === r && s.label === withoutLabel);
    return a === undefined || b === undefined ? [] : [[a, b] as const];
  });
  const delta = (pick: (s: FloorSample) => number | null) =>
    spread(
      pairs.map(([a, b]) => {
        const x = pick(a);
        const y = pick(b);
        return x === null || y === null ? null : x - y;
      }),
    );
  return {
    what,
    with: withLabel,
    without: withoutLabel,
    ackMeanMs: delta((s) => s.ackMeanMs),
    ackP50Ms: delta((s) => s.ackP50Ms),
    cpuUsPerWrite: delta((s) => s.cpuUsPerWrite),
  };
}

/** A seam's saving as a share of one hop's price (the 15 % bar of issue 16); null when either is unknown or the hop is free. */
export function shareOfHop(saving: Spread | null, hop: Spread | null): number | null {
  if (saving === null || hop === null || hop.median <= 0) return null;
  return saving.median / hop.median;
}
