/**
 * Opt-in scenario `floor` (issue 16): the floor of pos-hub's own architecture next to the bare uWS relay in one
 * run — the pipeline floor (ceilings/pipeline-floor.ts) in each topology and seam, driven by the saturation
 * generator and stepping, interleaved over rounds (the order reversed every other round) so each hop's and
 * each seam's price is a same-run, paired figure with its spread.
 */
import { variantLabel, type FloorVariant } from '../ceilings/floor-wire.js';
import { table } from '../lib/results.js';
import { type BenchContext, save } from './context.js';
import {
  aggregate,
  difference,
  shareOfHop,
  wakeCosts,
  type WakeCost,
  type Difference,
  type FloorRow,
  type FloorSample,
  type Spread,
} from './floor-figures.js';
import type { MeasuredRun } from './measure.js';
import type { SaturationTarget } from './plan.js';
import { runSaturationFor, type SaturationResult } from './saturation.js';

export interface FloorResult {
  readonly samples: FloorSample[];
  readonly rows: FloorRow[];
  readonly hops: Difference[];
  readonly seams: Array<
    Difference & { readonly cpuShareOfShardHop: number | null; readonly ackShareOfShardHop: number | null }
  >;
  /** Per target, per thread group: CPU per write split into per write and per wake-up. */
  readonly wakeCosts: Record<string, Record<string, WakeCost | null>>;
  readonly markdown: string;
}

const RELAY = 'uWS relay';

const labelOf = (spec: SaturationTarget): string =>
  spec.floor !== undefined ? variantLabel(spec.floor) : spec.target === 'pos-hub' ? 'pos-hub' : RELAY;

function sampleOf(label: string, round: number, r: SaturationResult): FloorSample {
  const first = r.steps[0]?.measured;
  const top = r.steps
    .filter((s) => s.keepsUp)
    .sort((a, b) => b.measured.run.acceptedPerS - a.measured.run.acceptedPerS)[0];
  const groups = first?.threads ?? [];
  // Server CPU from the threads' schedstat (ns), not /proc/<pid>/stat's 10 ms ticks: a 3 s step at 125/s is ~375 writes.
  const serverCpu = (m: MeasuredRun | undefined): number | null => {
    const own = (m?.threads ?? []).filter((g) => g.group !== 'generator');
    const writes = m?.run.accepted ?? 0;
    return own.length === 0 || writes === 0 ? null : Math.round((own.reduce((t, g) => t + g.cpuMs, 0) * 1000) / writes);
  };
  return {
    label,
    round,
    ackP50Ms: first?.run.ack.p50Ms ?? Number.NaN,
    ackP99Ms: first?.run.ack.p99Ms ?? Number.NaN,
    ackMeanMs: first?.run.ack.meanMs ?? Number.NaN,
    cpuUsPerWrite: serverCpu(first),
    threadCpuUs: Object.fromEntries(
      groups.flatMap((g) => (g.cpuUsPerWrite === null ? [] : [[g.group, g.cpuUsPerWrite]])),
    ),
    waitPerWakeUs: Object.fromEntries(
      groups.flatMap((g) => (g.waitUsPerSlice === null ? [] : [[g.group, g.waitUsPerSlice]])),
    ),
    wakeUpsPerWrite: Object.fromEntries(
      groups.map((g) => [
        g.group,
        first === undefined || first.run.accepted === 0 ? 0 : Math.round((g.slices / first.run.accepted) * 100) / 100,
      ]),
    ),
    sustainedPerS: r.sustainedPerS,
    keepsUpPerS: r.keepsUpPerS,
    topCpuUsPerWrite: serverCpu(top?.measured),
    stepPoints: r.steps.flatMap((s) =>
      s.measured.run.accepted === 0
        ? []
        : s.measured.threads
            .filter((g) => g.group !== 'generator' && g.cpuUsPerWrite !== null)
            .map((g) => ({
              group: g.group,
              wakeUpsPerWrite: g.slices / s.measured.run.accepted,
              cpuUsPerWrite: g.cpuUsPerWrite ?? 0,
            })),
    ),
  };
}

const num = (v: number, digits: number) =>
  v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** `median (min–max)`, or the median alone for one round. */
const cell = (s: Spread | null | undefined, digits = 0): string =>
  s === null || s === undefined
    ? '—'
    : s.n === 1 || s.min === s.max
      ? num(s.median, digits)
      : `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;
const pct = (x: number | null) => (x === null ? '—' : `${Math.round(x * 100)} %`);

function render(
  rounds: number,
  rows: readonly FloorRow[],
  hops: readonly Difference[],
  seams: FloorResult['seams'],
  costs: FloorResult['wakeCosts'],
): string {
  const perThread = (r: FloorRow, g: string) => cell(r.threadCpuUs[g]);
  const byThread = (of: Readonly<Record<string, Spread | null>>, digits = 0) =>
    ['main', 'shard-0', 'writer'].map((g) => (of[g] === undefined ? '—' : cell(of[g], digits))).join(' / ');
  const main = table(
    [
      'target',
      'ack p50 at 125/s, ms',
      'ack p99',
      'ack mean',
      'CPU µs/write at 125/s: front',
      'shard',
      'writer',
      'helpers',
      'all',
      'wait per wake-up µs (front / shard / writer)',
      'wake-ups per write',
      'writes/s with p99 < 10 ms',
      'kept up with',
      'CPU µs/write there',
    ],
    rows.map((r) => [
      r.label,
      cell(r.ackP50Ms, 2),
      cell(r.ackP99Ms, 2),
      cell(r.ackMeanMs, 2),
      perThread(r, 'main'),
      perThread(r, 'shard-0'),
      perThread(r, 'writer'),
      perThread(r, 'helpers'),
      cell(r.cpuUsPerWrite),
      byThread(r.waitPerWakeUs),
      byThread(r.wakeUpsPerWrite, 2),
      cell(r.sustainedPerS),
      cell(r.keepsUpPerS),
      cell(r.topCpuUsPerWrite),
    ]),
  );
  const diffs = table(
    ['what it costs', 'with', 'without', 'ack mean Δ, ms', 'ack p50 Δ, ms', 'CPU Δ µs/write (all threads)'],
    hops.map((d) => [d.what, d.with, d.without, cell(d.ackMeanMs, 2), cell(d.ackP50Ms, 2), cell(d.cpuUsPerWrite)]),
  );
  const seamTable = table(
    [
      'seam (all three hops)',
      'ack mean saved, ms',
      'ack p50 saved, ms',
      'CPU saved µs/write',
      'CPU saved ÷ the shard hop',
      'ack mean saved ÷ the shard hop',
    ],
    seams.map((d) => [
      d.without,
      cell(d.ackMeanMs, 2),
      cell(d.ackP50Ms, 2),
      cell(d.cpuUsPerWrite),
      pct(d.cpuShareOfShardHop),
      pct(d.ackShareOfShardHop),
    ]),
  );
  return [
    `Pipeline floor, ${rounds} round(s), saturation sizes, JSON; medians (min–max over rounds); differences are paired per round.`,
    '',
    main,
    '',
    diffs,
    '',
    seamTable,
    '',
    'CPU per write split into a part per write and a part per wake-up (least squares over every step of every round; r² says how well):',
    '',
    table(
      ['target', 'front: per write + per wake-up, µs (r²)', 'shard', 'writer'],
      Object.entries(costs).map(([label, byGroup]) => [
        label,
        ...['main', 'shard-0', 'writer'].map((g) => {
          const c = byGroup[g];
          return c === null || c === undefined
            ? '—'
            : `${Math.round(c.perWriteUs)} + ${Math.round(c.perWakeUpUs)} (${c.r2.toFixed(2)})`;
        }),
      ]),
    ),
  ].join('\n');
}

export async function runFloor(ctx: BenchContext): Promise<FloorResult> {
  const p = ctx.plan.floor;
  const specs: SaturationTarget[] = [
    { target: 'uws-ceiling', encoding: 'json' },
    // The hub itself, same run, when asked: what its code adds on top of its own architecture's floor.
    ...(p.withHub ? [{ target: 'pos-hub' as const, encoding: 'json' as const }] : []),
    ...p.variants.map((floor: FloorVariant) => ({
      target: 'pipeline-floor' as const,
      encoding: 'json' as const,
      floor,
    })),
  ];
  ctx.log(`floor: ${p.rounds} round(s) of ${specs.map(labelOf).join(', ')}`);
  const samples: FloorSample[] = [];
  for (let round = 1; round <= p.rounds; round += 1) {
    for (const spec of round % 2 === 1 ? specs : [...specs].reverse()) {
      try {
        samples.push(sampleOf(labelOf(spec), round, await runSaturationFor(ctx, spec)));
      } catch (error) {
        ctx.fail(`floor ${labelOf(spec)} round ${round}`, error);
      }
    }
  }
  const rows = aggregate(samples);
  const hops = [
    difference(samples, 'the shard hop (front → shard → writer, not front → writer)', 'full/clone', 'no-shard/clone'),
    difference(
      samples,
      'the writer thread (shard → writer → front, not commit on the front)',
      'full/clone',
      'no-writer/clone',
    ),
    difference(samples, 'both workers (one thread commits)', 'full/clone', 'one-thread/clone'),
    difference(samples, 'the commit on the relay’s one thread', 'one-thread/clone', RELAY),
    difference(samples, 'the whole floor over the relay', 'full/clone', RELAY),
    ...(p.withHub ? [difference(samples, 'the hub over its floor', 'pos-hub', 'full/clone')] : []),
  ];
  const shardHop = hops[0]!;
  const seams = p.variants
    .filter((v) => v.topology === 'full' && v.seam !== 'clone')
    .map((v) => {
      const d = difference(samples, `structured clone over ${v.seam}`, 'full/clone', variantLabel(v));
      return {
        ...d,
        cpuShareOfShardHop: shareOfHop(d.cpuUsPerWrite, shardHop.cpuUsPerWrite),
        ackShareOfShardHop: shareOfHop(d.ackMeanMs, shardHop.ackMeanMs),
      };
    });
  const costs = Object.fromEntries(rows.map((r) => [r.label, wakeCosts(samples, r.label)]));
  const markdown = render(p.rounds, rows, hops, seams, costs);
  ctx.log(`floor:\n${markdown}`);
  const result: FloorResult = { samples, rows, hops, seams, wakeCosts: costs, markdown };
  save(ctx, 'floor', { ...p, saturation: ctx.plan.saturation, processes: ctx.plan.processes }, result, [
    'Each target runs the saturation scenario (20 terminals, 120 tables, write path only, stepping from 125 writes/s); the figures at 125/s are its first step.',
    'pipeline-floor: a uWS front, a forward-only shard worker, a writer worker group-committing one row per write under WAL + synchronous=FULL; topologies drop threads, seams change how messages cross.',
    'Differences are paired: the same round’s two targets subtracted, then the median over rounds.',
  ]);
  return result;
}
