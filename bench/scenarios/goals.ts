/**
 * Issue 16's goals as one table, every target computed from figures of the same run (the relay's
 * latency, the disk's fsync, the relays' throughput, storm and footprint), so a noisy box moves the
 * target with the figure. Each row says met, missed, or not measured (its scenario did not run or
 * failed). Written into the summary JSON (`goals`) and printed first in the summary.
 */
import { table } from '../lib/results.js';
import type { AllResults } from './report.js';
import type { SaturationResult } from './saturation.js';

const sat = (results: AllResults, target: string, encoding: string): SaturationResult | undefined =>
  results.saturation?.find((s) => s.target === target && s.encoding === encoding);

export type GoalId =
  | 'ack-p50'
  | 'ack-p99'
  | 'propagation-p50'
  | 'propagation-p99'
  | 'sustained-json-uws'
  | 'sustained-json-socketio'
  | 'sustained-msgpack-uws'
  | 'sustained-msgpack-socketio'
  | 'cpu-per-write-json'
  | 'cpu-per-write-msgpack'
  | 'venue-p99'
  | 'venue-max'
  | 'venue-large-p99'
  | 'storm-time'
  | 'storm-cpu'
  | 'idle-footprint'
  | 'metrics-scrape-cpu';

/** Every goal, in the order of the table; the smoke test checks each is produced. */
export const GOAL_IDS: readonly GoalId[] = [
  'ack-p50',
  'ack-p99',
  'propagation-p50',
  'propagation-p99',
  'sustained-json-uws',
  'sustained-json-socketio',
  'sustained-msgpack-uws',
  'sustained-msgpack-socketio',
  'cpu-per-write-json',
  'cpu-per-write-msgpack',
  'venue-p99',
  'venue-max',
  'venue-large-p99',
  'storm-time',
  'storm-cpu',
  'idle-footprint',
  'metrics-scrape-cpu',
];

export interface Goal {
  readonly id: GoalId;
  readonly goal: string;
  readonly unit: string;
  /** pos-hub's figure; null when its scenario did not run. */
  readonly measured: number | null;
  readonly comparison: '≤' | '≥';
  /** Computed from this run's other figures; null when one of them is missing. */
  readonly target: number | null;
  /** How the target was computed, with the figures used. */
  readonly basis: string;
  /** null: not measured (measured or target missing). */
  readonly met: boolean | null;
}

type N = number | null | undefined;
const known = (v: N): v is number => v !== null && v !== undefined && Number.isFinite(v);
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const show = (v: N, digits = 2): string => (known(v) ? String(Math.round(v * 10 ** digits) / 10 ** digits) : '—');

function goal(
  id: GoalId,
  text: string,
  unit: string,
  measured: N,
  comparison: '≤' | '≥',
  target: N,
  basis: string,
): Goal {
  const m = known(measured) ? r3(measured) : null;
  const t = known(target) ? r3(target) : null;
  const met = m === null || t === null ? null : comparison === '≤' ? m <= t : m >= t;
  return { id, goal: text, unit, measured: m, comparison, target: t, basis, met };
}

const sum = (...xs: N[]): number | null => (xs.every(known) ? xs.reduce((a, b) => a + b, 0) : null);
const times = (k: number, x: N): number | null => (known(x) ? k * x : null);
/** A ratio to a relay that passed no step (0 writes/s) compares nothing: not measured rather than "met". */
const timesPositive = (k: number, x: N): number | null => (known(x) && x > 0 ? k * x : null);

/** The goal rows of one run, in GOAL_IDS order. */
export function goalTable(results: AllResults): Goal[] {
  const hubJ = sat(results, 'pos-hub', 'json');
  const hubM = sat(results, 'pos-hub', 'msgpack');
  const uwsJ = sat(results, 'uws-ceiling', 'json');
  const uwsM = sat(results, 'uws-ceiling', 'msgpack');
  const sio = sat(results, 'socketio-peer', 'json');
  const fsync = results.sqlite?.fsync.p50Ms;
  const first = (r: typeof hubJ) => r?.steps[0]?.measured.run;
  const rate = hubJ?.steps[0]?.offeredRate ?? uwsJ?.steps[0]?.offeredRate;
  const at = `at ${known(rate) ? rate : '—'} writes/s`;
  const [hubAck, uwsAck] = [first(hubJ)?.ack, first(uwsJ)?.ack];
  const [hubProp, uwsProp] = [first(hubJ)?.propagation, first(uwsJ)?.propagation];
  const storm = (t: string) => results.storm?.find((s) => s.target === t);
  const stormMs = (t: string) => {
    const s = storm(t);
    // A storm where some terminals never got in sync has no comparable time.
    return s === undefined || s.connect.failed > 0 ? null : s.connect.allInSyncMs;
  };
  const stormCpu = (t: string) => {
    const s = storm(t);
    return s === undefined || s.connect.ok === 0 ? null : s.serverCpuMs / s.connect.ok;
  };
  const idle = (t: string) => {
    const s = results.idle?.find((i) => i.target === t);
    return s === undefined || s.connected !== s.terminals ? null : s.rssKBPerTerminal;
  };
  const scrapeUs = results.http?.find((h) => h.path === '/metrics')?.hubCpuUsPerRequest;
  const v = results.venue?.measured.run;
  const vl = results.venueLarge?.measured.run;
  const vlSize = results.venueLarge === undefined ? '' : ` (${results.venueLarge.connect.ok} terminals)`;
  const uwsPlusFsync = (x: N) => `uWS relay ${show(x)} + one fsync ${show(fsync, 3)} + 0.5`;

  return [
    goal(
      'ack-p50',
      `ack p50 ${at}, JSON`,
      'ms',
      hubAck?.p50Ms,
      '≤',
      sum(uwsAck?.p50Ms, fsync, 0.5),
      uwsPlusFsync(uwsAck?.p50Ms),
    ),
    goal(
      'ack-p99',
      `ack p99 ${at}, JSON`,
      'ms',
      hubAck?.p99Ms,
      '≤',
      sum(uwsAck?.p99Ms, 2),
      `uWS relay ${show(uwsAck?.p99Ms)} + 2`,
    ),
    goal(
      'propagation-p50',
      `propagation p50 ${at} (A sends → B gets ORDER_UPDATED)`,
      'ms',
      hubProp?.p50Ms,
      '≤',
      sum(uwsProp?.p50Ms, fsync, 0.5),
      uwsPlusFsync(uwsProp?.p50Ms),
    ),
    goal(
      'propagation-p99',
      `propagation p99 ${at}`,
      'ms',
      hubProp?.p99Ms,
      '≤',
      sum(uwsProp?.p99Ms, 2),
      `uWS relay ${show(uwsProp?.p99Ms)} + 2`,
    ),
    goal(
      'sustained-json-uws',
      'sustained writes/s with p99 ack < 10 ms, JSON, vs the uWS relay',
      'writes/s',
      hubJ?.sustainedPerS,
      '≥',
      timesPositive(0.5, uwsJ?.sustainedPerS),
      `0.5 × uWS relay ${show(uwsJ?.sustainedPerS, 0)}`,
    ),
    goal(
      'sustained-json-socketio',
      'sustained writes/s with p99 ack < 10 ms, JSON, vs Socket.IO',
      'writes/s',
      hubJ?.sustainedPerS,
      '≥',
      timesPositive(2, sio?.sustainedPerS),
      `2 × Socket.IO ${show(sio?.sustainedPerS, 0)}`,
    ),
    goal(
      'sustained-msgpack-uws',
      'sustained writes/s with p99 ack < 10 ms, msgpack, vs the uWS relay (msgpack)',
      'writes/s',
      hubM?.sustainedPerS,
      '≥',
      timesPositive(0.5, uwsM?.sustainedPerS),
      `0.5 × uWS relay msgpack ${show(uwsM?.sustainedPerS, 0)}`,
    ),
    goal(
      'sustained-msgpack-socketio',
      'sustained writes/s with p99 ack < 10 ms, msgpack, vs Socket.IO (JSON: no msgpack parser installed)',
      'writes/s',
      hubM?.sustainedPerS,
      '≥',
      timesPositive(2, sio?.sustainedPerS),
      `2 × Socket.IO JSON ${show(sio?.sustainedPerS, 0)}`,
    ),
    goal(
      'cpu-per-write-json',
      'server CPU per write at the highest rate kept up with, JSON',
      'µs',
      hubJ?.cpuUsPerWrite,
      '≤',
      times(2, uwsJ?.cpuUsPerWrite),
      `2 × uWS relay ${show(uwsJ?.cpuUsPerWrite, 0)}`,
    ),
    goal(
      'cpu-per-write-msgpack',
      'server CPU per write at the highest rate kept up with, msgpack',
      'µs',
      hubM?.cpuUsPerWrite,
      '≤',
      times(2, uwsM?.cpuUsPerWrite),
      `2 × uWS relay msgpack ${show(uwsM?.cpuUsPerWrite, 0)}`,
    ),
    goal('venue-p99', 'busy venue: ack p99', 'ms', v?.ack.p99Ms, '≤', results.venue === undefined ? null : 5, '5'),
    goal('venue-max', 'busy venue: ack max', 'ms', v?.ack.maxMs, '≤', results.venue === undefined ? null : 25, '25'),
    goal(
      'venue-large-p99',
      `venue four times larger${vlSize}: ack p99`,
      'ms',
      vl?.ack.p99Ms,
      '≤',
      results.venueLarge === undefined ? null : 5,
      '5 (the busy venue’s goal)',
    ),
    goal(
      'storm-time',
      `reconnect storm (${storm('pos-hub')?.terminals ?? '—'} terminals): all in sync`,
      'ms',
      stormMs('pos-hub'),
      '≤',
      times(1.3, stormMs('uws-ceiling')),
      `1.3 × uWS relay ${show(stormMs('uws-ceiling'), 0)}`,
    ),
    goal(
      'storm-cpu',
      'reconnect storm: server CPU per terminal brought in sync',
      'ms',
      stormCpu('pos-hub'),
      '≤',
      times(2, stormCpu('uws-ceiling')),
      `2 × uWS relay ${show(stormCpu('uws-ceiling'))}`,
    ),
    goal(
      'idle-footprint',
      'idle footprint per signed-in terminal',
      'kB RSS',
      idle('pos-hub'),
      '≤',
      times(1.2, idle('uws-ceiling')),
      `1.2 × uWS relay ${show(idle('uws-ceiling'), 1)}`,
    ),
    goal(
      'metrics-scrape-cpu',
      '`/metrics`: hub CPU per scrape',
      'ms',
      known(scrapeUs) ? scrapeUs / 1000 : null,
      '≤',
      results.http === undefined ? null : 0.2,
      '0.2',
    ),
  ];
}

/** The goal table as markdown, with a count of met / missed / not measured. */
export function renderGoals(goals: readonly Goal[]): string {
  const verdict = (g: Goal) => (g.met === null ? 'not measured' : g.met ? '**met**' : 'missed');
  const count = (m: boolean | null) => goals.filter((g) => g.met === m).length;
  return [
    table(
      ['goal (issue 16)', 'pos-hub', 'target (this run)', 'target from', 'verdict'],
      goals.map((g) => [
        g.goal,
        `${show(g.measured)} ${g.unit}`,
        `${g.comparison} ${show(g.target)} ${g.unit}`,
        g.basis,
        verdict(g),
      ]),
    ),
    `\n${count(true)} met, ${count(false)} missed, ${count(null)} not measured.`,
  ].join('\n');
}
