/**
 * The closing table: pos-hub side by side with the transport ceiling (bare uWS relay), the
 * durability ceiling (SQLite group commit, FULL) and the peer (Socket.IO relay), as ratios — the
 * figures that survive a noisy 2-core box better than absolute numbers.
 */
import { table } from '../lib/results.js';
import type { SqliteCeiling } from '../ceilings/sqlite-commit.js';
import { renderGoals, type Goal } from './goals.js';
import type { HttpResult } from './http.js';
import type { MeasuredRun } from './measure.js';
import type { IdleResult } from './idle.js';
import type { PgResult } from './pg.js';
import type { FloorResult } from './floor.js';
import type { ProfileResult } from './profile.js';
import type { SaturationResult } from './saturation.js';
import type { StormResult } from './storm.js';
import type { VenueResult } from './venue.js';

export interface AllResults {
  venue?: VenueResult;
  /** The same rush in a venue four times larger. */
  venueLarge?: VenueResult;
  saturation?: SaturationResult[];
  storm?: StormResult[];
  idle?: IdleResult[];
  http?: HttpResult[];
  sqlite?: SqliteCeiling;
  profile?: ProfileResult | null;
  /** Opt-in: Postgres with a synchronous standby next to SQLite. */
  pg?: PgResult;
  /** Opt-in: the pipeline floor next to the uWS relay. */
  floor?: FloorResult;
  failures: string[];
}

const fmt = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined || Number.isNaN(v)
    ? '—'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`;

export function sat(results: AllResults, target: string, encoding: string): SaturationResult | undefined {
  return results.saturation?.find((s) => s.target === target && s.encoding === encoding);
}

export function renderSummary(results: AllResults, header: string, goals: readonly Goal[] = []): string {
  const parts: string[] = [header];
  if (goals.length > 0) {
    parts.push('### Issue 16 goals (targets computed from this run)\n');
    parts.push(renderGoals(goals));
    parts.push('');
  }
  const hubJ = sat(results, 'pos-hub', 'json');
  const hubM = sat(results, 'pos-hub', 'msgpack');
  const uwsJ = sat(results, 'uws-ceiling', 'json');
  const uwsM = sat(results, 'uws-ceiling', 'msgpack');
  const sio = sat(results, 'socketio-peer', 'json');
  const firstRate = hubJ?.steps[0]?.offeredRate ?? uwsJ?.steps[0]?.offeredRate;
  // The same offered rate for every target: comparable even when a noisy box fails them all at 10 ms.
  const atFirst = (r: SaturationResult | undefined): string => {
    const a = r?.steps[0]?.measured.run.ack;
    return a === undefined ? '—' : `${fmt(a.p50Ms, 2)} / ${fmt(a.p99Ms, 2)}`;
  };
  const satCpu = (r: SaturationResult | undefined): string =>
    r?.atSaturation == null
      ? '—'
      : `${fmt(r.atSaturation.serverCpuPercent)} / ${fmt(r.atSaturation.generatorCpuPercent)}`;
  /** The time, and how many made it when some did not (their failure is part of the figure). */
  const stormCell = (t: string): string => {
    const r = results.storm?.find((s) => s.target === t);
    if (r === undefined) return '—';
    return r.connect.failed === 0
      ? fmt(r.connect.allInSyncMs)
      : `${fmt(r.connect.allInSyncMs)} (only ${r.connect.ok}/${r.terminals})`;
  };
  const stormCpu = (t: string) => {
    const r = results.storm?.find((s) => s.target === t);
    return r === undefined || r.connect.ok === 0 ? undefined : r.serverCpuMs / r.connect.ok;
  };
  const propFirst = (r: SaturationResult | undefined): string => {
    const p = r?.steps[0]?.measured.run.propagation;
    return p === undefined ? '—' : `${fmt(p.p50Ms, 2)} / ${fmt(p.p99Ms, 2)}`;
  };
  const storm = (t: string) => results.storm?.find((s) => s.target === t)?.connect.allInSyncMs;
  const idle = (t: string) => results.idle?.find((s) => s.target === t)?.rssKBPerTerminal;
  const idleCell = (t: string): string => {
    const r = results.idle?.find((s) => s.target === t);
    if (r === undefined) return '—';
    const range = r.rssKBPerTerminalSpread;
    const figure =
      range === null || range.min === range.max
        ? fmt(r.rssKBPerTerminal, 1)
        : `${fmt(r.rssKBPerTerminal, 1)} (${fmt(range.min, 1)}–${fmt(range.max, 1)})`;
    return r.connected === r.terminals ? figure : `${figure} (${r.connected}/${r.terminals} connected)`;
  };
  if (results.saturation !== undefined || results.storm !== undefined || results.idle !== undefined) {
    parts.push('### pos-hub against the transport ceiling and the peer\n');
    parts.push(
      table(
        ['figure', 'pos-hub', 'uWS relay (ceiling)', 'Socket.IO relay (peer)', 'pos-hub ÷ uWS', 'pos-hub ÷ Socket.IO'],
        [
          [
            'sustained writes/s, p99 ack < 10 ms, JSON',
            fmt(hubJ?.sustainedPerS),
            fmt(uwsJ?.sustainedPerS),
            fmt(sio?.sustainedPerS),
            ratio(hubJ?.sustainedPerS, uwsJ?.sustainedPerS),
            ratio(hubJ?.sustainedPerS, sio?.sustainedPerS),
          ],
          [
            'sustained writes/s, p99 ack < 10 ms, msgpack',
            fmt(hubM?.sustainedPerS),
            fmt(uwsM?.sustainedPerS),
            '—',
            ratio(hubM?.sustainedPerS, uwsM?.sustainedPerS),
            ratio(hubM?.sustainedPerS, sio?.sustainedPerS),
          ],
          [
            'highest writes/s kept up with (≥ 90% accepted, p99 < 1 s), JSON',
            fmt(hubJ?.keepsUpPerS),
            fmt(uwsJ?.keepsUpPerS),
            fmt(sio?.keepsUpPerS),
            ratio(hubJ?.keepsUpPerS, uwsJ?.keepsUpPerS),
            ratio(hubJ?.keepsUpPerS, sio?.keepsUpPerS),
          ],
          [
            'highest writes/s kept up with, msgpack',
            fmt(hubM?.keepsUpPerS),
            fmt(uwsM?.keepsUpPerS),
            '—',
            ratio(hubM?.keepsUpPerS, uwsM?.keepsUpPerS),
            '—',
          ],
          [
            'CPU at the saturating step, % of a core: server / generator, JSON',
            satCpu(hubJ),
            satCpu(uwsJ),
            satCpu(sio),
            '',
            '',
          ],
          [
            'peak accepted writes/s (any latency), JSON',
            fmt(hubJ?.peakAcceptedPerS),
            fmt(uwsJ?.peakAcceptedPerS),
            fmt(sio?.peakAcceptedPerS),
            ratio(hubJ?.peakAcceptedPerS, uwsJ?.peakAcceptedPerS),
            ratio(hubJ?.peakAcceptedPerS, sio?.peakAcceptedPerS),
          ],
          [
            'server CPU per write at the highest rate kept up with, µs (all threads), JSON',
            fmt(hubJ?.cpuUsPerWrite),
            fmt(uwsJ?.cpuUsPerWrite),
            fmt(sio?.cpuUsPerWrite),
            ratio(hubJ?.cpuUsPerWrite, uwsJ?.cpuUsPerWrite),
            ratio(hubJ?.cpuUsPerWrite, sio?.cpuUsPerWrite),
          ],
          [
            `at the first step (${fmt(firstRate)} writes/s offered, JSON): ack p50 / p99, ms`,
            atFirst(hubJ),
            atFirst(uwsJ),
            atFirst(sio),
            '',
            '',
          ],
          [
            'at the first step: propagation p50 / p99, ms (A sends → B receives ORDER_UPDATED)',
            propFirst(hubJ),
            propFirst(uwsJ),
            propFirst(sio),
            '',
            '',
          ],
          [
            `at the first step: server CPU per write, µs`,
            fmt(hubJ?.steps[0]?.measured.server.cpuUsPerWrite),
            fmt(uwsJ?.steps[0]?.measured.server.cpuUsPerWrite),
            fmt(sio?.steps[0]?.measured.server.cpuUsPerWrite),
            ratio(hubJ?.steps[0]?.measured.server.cpuUsPerWrite, uwsJ?.steps[0]?.measured.server.cpuUsPerWrite),
            ratio(hubJ?.steps[0]?.measured.server.cpuUsPerWrite, sio?.steps[0]?.measured.server.cpuUsPerWrite),
          ],
          [
            'generator CPU per write at that rate, µs (all generator processes), JSON',
            fmt(hubJ?.generatorCpuUsPerWrite),
            fmt(uwsJ?.generatorCpuUsPerWrite),
            fmt(sio?.generatorCpuUsPerWrite),
            '',
            '',
          ],
          [
            'server CPU per write at the highest rate kept up with, µs, msgpack',
            fmt(hubM?.cpuUsPerWrite),
            fmt(uwsM?.cpuUsPerWrite),
            '—',
            ratio(hubM?.cpuUsPerWrite, uwsM?.cpuUsPerWrite),
            '—',
          ],
          [
            'ack p50 / p99 at sustained, ms, JSON',
            `${fmt(hubJ?.sustainedAck?.p50Ms, 2)} / ${fmt(hubJ?.sustainedAck?.p99Ms, 2)}`,
            `${fmt(uwsJ?.sustainedAck?.p50Ms, 2)} / ${fmt(uwsJ?.sustainedAck?.p99Ms, 2)}`,
            `${fmt(sio?.sustainedAck?.p50Ms, 2)} / ${fmt(sio?.sustainedAck?.p99Ms, 2)}`,
            '',
            '',
          ],
          [
            'propagation p99 at sustained, ms, JSON',
            fmt(hubJ?.sustainedPropagation?.p99Ms, 2),
            fmt(uwsJ?.sustainedPropagation?.p99Ms, 2),
            fmt(sio?.sustainedPropagation?.p99Ms, 2),
            '',
            '',
          ],
          [
            `reconnect storm, ${results.storm?.[0]?.terminals ?? '—'} terminals all in sync, ms`,
            stormCell('pos-hub'),
            stormCell('uws-ceiling'),
            stormCell('socketio-peer'),
            ratio(storm('pos-hub'), storm('uws-ceiling')),
            ratio(storm('pos-hub'), storm('socketio-peer')),
          ],
          [
            'reconnect storm, server CPU per terminal brought in sync, ms',
            fmt(stormCpu('pos-hub'), 2),
            fmt(stormCpu('uws-ceiling'), 2),
            fmt(stormCpu('socketio-peer'), 2),
            ratio(stormCpu('pos-hub'), stormCpu('uws-ceiling')),
            ratio(stormCpu('pos-hub'), stormCpu('socketio-peer')),
          ],
          [
            `idle footprint, kB RSS per terminal (slope to ${results.idle?.[0]?.terminals ?? '—'} terminals; median (range) of ${results.idle?.[0]?.runs.length ?? '—'})`,
            idleCell('pos-hub'),
            idleCell('uws-ceiling'),
            idleCell('socketio-peer'),
            ratio(idle('pos-hub'), idle('uws-ceiling')),
            ratio(idle('pos-hub'), idle('socketio-peer')),
          ],
        ],
      ),
    );
  }
  if (results.sqlite !== undefined) {
    const s = results.sqlite;
    const hub = hubJ?.keepsUpPerS;
    parts.push(
      `\n### pos-hub against the durability ceiling (better-sqlite3, WAL, synchronous=FULL, ${s.rowBytes}-byte rows, same disk)\n`,
    );
    parts.push(
      table(
        [
          'group commit',
          'rows/s',
          'commits/s',
          'commit p50 / p99, ms',
          'pos-hub writes/s kept up with (JSON) ÷ rows/s',
        ],
        s.batches.map((b) => [
          `${b.batch} row${b.batch === 1 ? '' : 's'}`,
          fmt(b.rowsPerS),
          fmt(b.commitsPerS),
          `${fmt(b.commit.p50Ms, 2)} / ${fmt(b.commit.p99Ms, 2)}`,
          ratio(hub, b.rowsPerS),
        ]),
      ),
    );
    parts.push(`\nfsync of a 4 kB append: p50 ${fmt(s.fsync.p50Ms, 3)} ms, p99 ${fmt(s.fsync.p99Ms, 3)} ms.`);
  }
  const venues = [
    { label: 'busy venue', result: results.venue },
    { label: 'four times larger', result: results.venueLarge },
  ].filter((x): x is { label: string; result: VenueResult } => x.result !== undefined);
  if (venues.length > 0) {
    parts.push(`\n### Busy venue (dinner rush, JSON)\n`);
    parts.push(
      table(
        [
          'venue',
          'terminals',
          'accepted writes/s',
          'ack p50 / p95 / p99 / max, ms',
          'propagation p50 / p99, ms',
          'finalized',
          'hub CPU µs/write',
          'hub CPU % of a core',
          'hub peak RSS, MB',
          'errors',
        ],
        venues.map(({ label, result }) => {
          const v = result.measured;
          return [
            label,
            fmt(result.connect.ok),
            fmt(v.run.acceptedPerS, 1),
            `${fmt(v.run.ack.p50Ms, 2)} / ${fmt(v.run.ack.p95Ms, 2)} / ${fmt(v.run.ack.p99Ms, 2)} / ${fmt(v.run.ack.maxMs, 2)}`,
            `${fmt(v.run.propagation.p50Ms, 2)} / ${fmt(v.run.propagation.p99Ms, 2)}`,
            fmt(v.run.finalized),
            fmt(v.server.cpuUsPerWrite),
            fmt(v.server.cpuPercentOfCore, 1),
            fmt(v.server.peakRssMB, 1),
            fmt(v.run.errorCount),
          ];
        }),
      ),
    );
  }
  if (results.http !== undefined) {
    parts.push('\n### HTTP (autocannon)\n');
    parts.push(
      table(
        ['path', 'req/s', 'p50 / p99, ms', 'hub CPU µs/request', 'non-2xx', 'errors'],
        results.http.map((h) => [
          h.path,
          fmt(h.requestsPerS),
          `${h.latencyP50Ms} / ${h.latencyP99Ms}`,
          fmt(h.hubCpuUsPerRequest),
          h.non2xx,
          h.errors,
        ]),
      ),
    );
  }
  if (results.profile !== undefined && results.profile !== null) {
    const busiest = results.profile.threads.slice(0, 3);
    parts.push(
      `\n### Where the saturated hub's time goes (--cpu-prof at ${fmt(results.profile.rate)} writes/s offered)\n`,
    );
    for (const t of busiest) {
      parts.push(
        `\n**${t.thread} thread** (${t.file}) — ${t.busyPercent}% busy in the window; self time by area: ${t.byArea
          .slice(0, 6)
          .map((a) => `${a.area} ${a.percent}%`)
          .join(', ')}\n`,
      );
      parts.push(
        table(
          ['self %', 'function', 'where'],
          t.top.slice(0, 8).map((e) => [e.percent, `\`${e.function}\``, `\`${e.location}\``]),
        ),
      );
    }
  }
  const stages = sat(results, 'pos-hub', 'json')?.stages ?? results.saturation?.find((x) => x.stages)?.stages;
  if (stages !== undefined && stages !== null) {
    parts.push(
      "\n### Where a write's time goes, by stage (pos_hub_write_stage_seconds from the hub's /metrics after the saturation run)\n",
    );
    parts.push(
      table(
        ['stage', 'samples', 'p50, ms', 'p99, ms', 'mean, ms'],
        stages.map((st) =>
          st.count === 0
            ? [st.stage, 0, 'not instrumented', 'not instrumented', '—']
            : [st.stage, fmt(st.count), fmt(st.p50Ms, 3), fmt(st.p99Ms, 3), fmt(st.meanMs, 3)],
        ),
      ),
    );
  }
  parts.push(...renderAckBudget(results));
  if (results.pg !== undefined)
    parts.push('\n### PostgreSQL with a synchronous standby next to SQLite (`--only pg`)\n', results.pg.markdown);
  if (results.floor !== undefined)
    parts.push('\n### The pipeline floor next to the uWS relay (`--only floor`)\n', results.floor.markdown);
  if (results.failures.length > 0) parts.push(`\nScenarios that failed in this run: ${results.failures.join('; ')}`);
  return parts.join('\n');
}

/**
 * Where the mean ack of saturation's first step went (and the busy venue's): the hub's stages over that step
 * alone, what lies outside them, and each thread's CPU and run-queue wait per write next to the relay's.
 */
function renderAckBudget(results: AllResults): string[] {
  const hub = sat(results, 'pos-hub', 'json')?.steps[0]?.measured;
  const relay = sat(results, 'uws-ceiling', 'json')?.steps[0]?.measured;
  const venue = results.venue?.measured;
  const out: string[] = [];
  const budgetRows = (m: MeasuredRun | undefined): Map<string, string> => {
    const rows = new Map<string, string>();
    const b = m?.ackBudget;
    if (m === undefined) return rows;
    rows.set('ack (client) mean / p50', `${fmt(m.run.ack.meanMs, 2)} / ${fmt(m.run.ack.p50Ms, 2)}`);
    for (const st of m.stages ?? []) rows.set(`stage ${st.stage} (mean)`, fmt(st.meanMs, 3));
    if (b !== undefined) {
      rows.set('Σ hub stages, decode → fan_out', fmt(b.stagesMs, 2));
      rows.set('outside the stages: send → front callback, fan-out → generator callback', fmt(b.outsideMs, 2));
      rows.set('run-queue wait on the path inside the stages (shard + 2 × writer + front wake-ups, est.)', fmt(b.waitInsideMs, 2));
      rows.set('run-queue wait on the path outside the stages (front + generator wake-ups, est.)', fmt(b.waitOutsideMs, 2));
    }
    rows.set('machine CPU pressure (some task waiting), % of the phase', fmt(m.cpuPressurePercent, 1));
    return rows;
  };
  const hubRows = budgetRows(hub);
  const venueRows = budgetRows(venue);
  if (hubRows.size > 0 || venueRows.size > 0) {
    const relayAck = relay === undefined ? '—' : `${fmt(relay.run.ack.meanMs, 2)} / ${fmt(relay.run.ack.p50Ms, 2)}`;
    const keys = [...new Set([...hubRows.keys(), ...venueRows.keys()])];
    out.push(
      "\n### Where an ack goes (means, ms): saturation's first step (JSON) and the busy venue, stages of that phase alone\n",
    );
    out.push(
      table(
        ['part', 'pos-hub, first step', 'busy venue', 'uWS relay, first step'],
        keys.map((k) => [
          k,
          hubRows.get(k) ?? '—',
          venueRows.get(k) ?? '—',
          k.startsWith('ack') ? relayAck : k.startsWith('machine') ? fmt(relay?.cpuPressurePercent, 1) : '—',
        ]),
      ),
    );
  }
  if (hub !== undefined || relay !== undefined) {
    const groups = [...new Set([...(hub?.threads ?? []), ...(relay?.threads ?? [])].map((t) => t.group))];
    const cell = (m: MeasuredRun | undefined, g: string): string => {
      const t = m?.threads.find((x) => x.group === g);
      return t === undefined ? '—' : `${fmt(t.cpuUsPerWrite)} / ${fmt(t.waitUsPerWrite)} / ${fmt(t.waitUsPerSlice)}`;
    };
    out.push("\nPer thread at saturation's first step, µs: CPU per write / run-queue wait per write / wait per wake-up (`main` is the hub's front; `generator` the generator processes' JS threads)\n");
    out.push(table(['thread', 'pos-hub', 'uWS relay'], groups.map((g) => [g, cell(hub, g), cell(relay, g)])));
  }
  return out;
}
