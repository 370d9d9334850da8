/**
 * The pg bench's pure arithmetic and tables: the write gap of a failover from the acks a load logged,
 * Postgres ÷ SQLite ratios, and the markdown the run prints and writes into bench/README.md. No I/O,
 * so each rule here has a unit test (test/unit/bench/pg-figures.test.ts).
 */
import type { LatencySummary } from '../lib/histogram.js';
import { table } from '../lib/results.js';
import type { StoreFigures } from './saturate.js';

export interface AckMark {
  /** When the commit returned, µs (machine-wide monotonic clock). */
  readonly atUs: number;
  /** When that commit was sent, µs. */
  readonly startedUs: number;
}

export interface Gap {
  /** The longest silence between two acks, from the last ack at or before the fault on, ms; null when either side is missing. */
  readonly gapMs: number | null;
  /** The fault → the ack that ended that silence, ms. */
  readonly faultToFirstAckMs: number | null;
}

/**
 * The outage is the longest silence between consecutive acks from the last ack at or before the fault on —
 * not "the first ack of a commit sent after the fault": a SIGKILLed postmaster's backends (and its
 * walsender) go on serving commits until they notice its death, so the first commit sent after the kill can
 * be acked within milliseconds, before the outage has even begun. The drivers keep writing until a commit
 * sent after the store's last failure is acked, so the silence they record spans the real outage.
 */
export function gapOf(acks: readonly AckMark[], faultUs: number): Gap {
  const times = acks.map((a) => a.atUs).sort((a, b) => a - b);
  let from = -1;
  for (let i = 0; i < times.length; i++) if (times[i]! <= faultUs) from = i;
  if (from === -1 || from === times.length - 1) return { gapMs: null, faultToFirstAckMs: null };
  let longest = -1;
  let endUs = 0;
  for (let i = from + 1; i < times.length; i++) {
    const silence = times[i]! - times[i - 1]!;
    if (silence > longest) [longest, endUs] = [silence, times[i]!];
  }
  const ms = (us: number): number => Math.round(us / 100) / 10;
  return { gapMs: ms(longest), faultToFirstAckMs: ms(Math.max(0, endUs - faultUs)) };
}

/** b ÷ a to two decimals, or null when either is missing or a is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || a === 0) return null;
  return Math.round((b / a) * 100) / 100;
}

const num = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined
    ? '—'
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const times = (r: number | null): string => (r === null ? '—' : `${r.toFixed(2)}×`);
const pair = (s: LatencySummary | null | undefined): string =>
  s === null || s === undefined ? '— / —' : `${num(s.p50Ms, 2)} / ${num(s.p99Ms, 2)}`;

/** One level of the comparison (the store port, or a whole hub): both stores' figures side by side. */
export interface SideBySide {
  readonly sqlite: StoreFigures | null;
  readonly postgres: StoreFigures | null;
}

/** Rows of figure | SQLite | Postgres | Postgres ÷ SQLite. */
export function comparisonRows(s: SideBySide, limitMs: number): string[][] {
  const a = s.sqlite;
  const b = s.postgres;
  const first = a?.firstStep?.offeredRate ?? b?.firstStep?.offeredRate ?? 125;
  return [
    [
      `ack p50 / p99 at ${first} writes/s offered, ms`,
      pair(a?.firstStep?.ack),
      pair(b?.firstStep?.ack),
      `${times(ratio(a?.firstStep?.ack.p50Ms, b?.firstStep?.ack.p50Ms))} / ${times(ratio(a?.firstStep?.ack.p99Ms, b?.firstStep?.ack.p99Ms))}`,
    ],
    [
      `sustained writes/s with p99 ack < ${limitMs} ms`,
      num(a?.sustainedPerS),
      num(b?.sustainedPerS),
      times(ratio(a?.sustainedPerS, b?.sustainedPerS)),
    ],
    [
      'highest writes/s kept up with (≥ 90% acked, p99 < 1 s)',
      num(a?.keepsUpPerS),
      num(b?.keepsUpPerS),
      times(ratio(a?.keepsUpPerS, b?.keepsUpPerS)),
    ],
    [
      'CPU per write at that rate, µs (hub or bench process + Postgres)',
      num(a?.cpuUsPerWrite),
      num(b?.cpuUsPerWrite),
      times(ratio(a?.cpuUsPerWrite, b?.cpuUsPerWrite)),
    ],
    [
      `CPU per write at ${first} writes/s, µs`,
      num(a?.firstStep?.cpuUsPerWrite),
      num(b?.firstStep?.cpuUsPerWrite),
      times(ratio(a?.firstStep?.cpuUsPerWrite, b?.firstStep?.cpuUsPerWrite)),
    ],
  ];
}

export function comparisonTable(s: SideBySide, limitMs: number): string {
  return table(
    ['figure', 'SQLite (WAL, FULL)', 'Postgres (sync standby)', 'Postgres ÷ SQLite'],
    comparisonRows(s, limitMs),
  );
}

/** CPU at the busiest kept-up step split by where it went: in-process and Postgres per write, the HA agents as % of a core. */
export function cpuSplit(f: StoreFigures | null): string {
  if (f === null || f.cpuAtTop === null || f.ackedAtTop === 0) return '—';
  const per = (ms: number): string => num((ms * 1000) / f.ackedAtTop);
  const elapsed = f.elapsedAtTopMs;
  const agents =
    elapsed !== null && elapsed > 0 && f.cpuAtTop.agents > 0
      ? `; HA agents ${num((f.cpuAtTop.agents / elapsed) * 100, 1)} % of a core`
      : '';
  return `process ${per(f.cpuAtTop.process)} + Postgres ${per(f.cpuAtTop.postgres)} µs/write${agents}`;
}
