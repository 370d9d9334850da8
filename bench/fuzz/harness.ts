/**
 * The fuzz run: a hub in a child process, a control terminal writing steadily, and many hostile sockets
 * (signed-in and not, JSON and msgpack) throwing one category of frames after another at a bounded rate.
 * A hub that dies is a crash: recorded with its category and last output, and a fresh hub is started
 * for the next category. Reports crashes, the control's ack p50/p99 before vs during, and RSS.
 */
import { pack } from 'msgpackr';
import WebSocket from 'ws';
import { MSGPACK_SUBPROTOCOL } from '../../src/protocol/constants.js';
import { Histogram, type LatencySummary } from '../lib/histogram.js';
import { sleep } from '../lib/clock.js';
import { ABUSE_LIMIT } from '../../src/front/session.js';
import { startControl, type Control } from './control.js';
import { buildPool, CATEGORIES, type Category, type Frame } from './frames.js';
import { startHubProcess, type HubProcess } from './hub-process.js';

export interface FuzzOptions {
  readonly frames: number;
  readonly categories: readonly Category[];
  readonly sockets: number;
  /** Frames per second offered in total (bounded: the harness never sends faster). */
  readonly rate: number;
  readonly seed: number;
  /** Baseline of the control terminal before any hostile frame, in ms. */
  readonly baselineMs: number;
  readonly controlIntervalMs: number;
  /** Stop early once this much time has passed (every loop is bounded in time as well as count). */
  readonly maxMs: number;
  readonly log?: (line: string) => void;
}

export interface CategoryResult {
  readonly category: Category;
  readonly sent: number;
  readonly errorsReceived: number;
  readonly closes: Record<string, number>;
  readonly crashed: boolean;
  readonly ms: number;
  /** The control terminal's acks while this category ran, and what it was refused (cumulative). */
  readonly control: LatencySummary;
  readonly controlRefusals: Record<string, number>;
}

export interface Crash {
  readonly category: Category;
  readonly code: number | null;
  readonly signal: string | null;
  readonly tail: string;
}

export interface FuzzResult {
  readonly framesSent: number;
  readonly crashes: Crash[];
  readonly categories: CategoryResult[];
  readonly controlBefore: LatencySummary;
  readonly controlDuring: LatencySummary;
  readonly p99Ratio: number;
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  readonly rssPeakBytes: number;
  readonly durationMs: number;
}

/** Limits the harness lifts: every hostile socket comes from 127.0.0.1 and reconnects after each close. */
export const FUZZ_HUB_ENV: Record<string, string> = {
  HUB_SHARDS: '2',
  HUB_MAX_UNAUTH_PER_ADDRESS: '100000',
  HUB_RATE_AUTH_PER_ADDRESS: '100000/100000',
};

interface HostileSocket {
  ws: WebSocket | null;
  readonly index: number;
  readonly msgpack: boolean;
  readonly signsIn: boolean;
  ready: boolean;
  /** Hostile frames sent on the current connection. */
  used: number;
}

/**
 * Frames per connection: one fewer than the hub's invalid-frame limit (4002 after ABUSE_LIMIT in 10 s),
 * after which the harness closes and reopens the socket itself. So every frame sent is one the hub
 * reads, instead of frames piling onto a socket the hub is already closing.
 */
const FRAMES_PER_CONNECTION = ABUSE_LIMIT - 1;

/** Open (or reopen) one hostile socket; signed-in ones wait for AUTH_OK before they count as ready. */
function connect(port: number, s: HostileSocket, stats: { errors: number; closes: Map<string, number> }): void {
  const ws = s.msgpack
    ? new WebSocket(`ws://127.0.0.1:${port}`, [MSGPACK_SUBPROTOCOL])
    : new WebSocket(`ws://127.0.0.1:${port}`);
  s.ws = ws;
  s.ready = false;
  s.used = 0;
  // Handlers of a replaced connection must not touch the slot's current one.
  ws.on('open', () => {
    if (s.ws !== ws) return;
    if (!s.signsIn) {
      s.ready = true;
      return;
    }
    const auth = { type: 'AUTH', token: 'dev:manager:fuzz', deviceId: `fuzz-${s.index}` };
    ws.send(s.msgpack ? pack(auth) : JSON.stringify(auth));
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    // Cheap classification: no full decode of every reply.
    const head = isBinary ? data.subarray(0, 64).toString('latin1') : data.subarray(0, 64).toString('utf8');
    if (s.ws === ws && !s.ready && head.includes('AUTH_OK')) s.ready = true;
    if (head.includes('ERROR')) stats.errors += 1;
  });
  ws.on('close', (code) => {
    stats.closes.set(String(code), (stats.closes.get(String(code)) ?? 0) + 1);
    if (s.ws !== ws) return;
    s.ws = null;
    s.ready = false;
  });
  ws.on('error', () => undefined);
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const perCategory = Math.ceil(options.frames / options.categories.length);
  let hub: HubProcess = await startHubProcess(FUZZ_HUB_ENV);
  let control: Control = await startControl(hub.port, options.controlIntervalMs);
  const baseline = control.measure();
  await sleep(options.baselineMs);
  const controlBefore = baseline.summary();
  const rssBeforeBytes = hub.rss();
  let rssPeakBytes = rssBeforeBytes;
  const duringParts: Histogram[] = [];
  const crashes: Crash[] = [];
  const results: CategoryResult[] = [];
  let framesSent = 0;
  log(
    `control before: p50 ${controlBefore.p50Ms} ms, p99 ${controlBefore.p99Ms} ms; RSS ${(rssBeforeBytes / 2 ** 20).toFixed(1)} MB`,
  );

  for (const category of options.categories) {
    if (performance.now() - started > options.maxMs) break;
    if (!hub.alive()) {
      // The previous category killed it: a fresh hub (and database) so one crash does not hide the next.
      await control.close().catch(() => undefined);
      await hub.stop();
      hub = await startHubProcess(FUZZ_HUB_ENV);
      control = await startControl(hub.port, options.controlIntervalMs);
    }
    // Pools are reused round-robin: deep frames are up to ~150 kB each, so their pool is smaller.
    const pool = buildPool(
      category,
      Math.min(perCategory, category === 'deep-nesting' ? 300 : 2000),
      options.seed + results.length,
    );
    const stats = { errors: 0, closes: new Map<string, number>() };
    // A quarter of the sockets never sign in: frames before AUTH take their own path through the front.
    const sockets: HostileSocket[] = Array.from({ length: options.sockets }, (_, index) => ({
      ws: null,
      index,
      msgpack: index % 2 === 1,
      signsIn: index % 4 !== 3,
      ready: false,
      used: 0,
    }));
    for (const s of sockets) connect(hub.port, s, stats);
    const phaseStart = performance.now();
    const phaseControl = control.measure();
    duringParts.push(phaseControl);
    let sent = 0;
    let crashed = false;
    const tickMs = 20;
    const perTick = Math.max(1, Math.round((options.rate * tickMs) / 1000));
    let next = 0;
    while (sent < perCategory && performance.now() - started < options.maxMs) {
      if (!hub.alive()) {
        crashed = true;
        break;
      }
      const tickStart = performance.now();
      let budget = perTick;
      for (let tries = 0; budget > 0 && tries < perTick * 4; tries++) {
        const frame: Frame = pool[next % pool.length] as Frame;
        next += 1;
        const usable = (x: HostileSocket, i: number): boolean =>
          i % 2 === (frame.msgpack ? 1 : 0) &&
          x.ready &&
          x.ws !== null &&
          x.used < FRAMES_PER_CONNECTION &&
          x.ws.bufferedAmount < 1 << 20;
        const s = sockets.find((x, i) => usable(x, i) && (i + next) % 3 !== 0) ?? sockets.find(usable);
        if (!s || !s.ws) continue;
        s.ws.send(frame.data, { binary: frame.msgpack || Buffer.isBuffer(frame.data) });
        s.used += 1;
        sent += 1;
        budget -= 1;
        if (s.used >= FRAMES_PER_CONNECTION) {
          s.ws.close(1000);
          s.ws = null;
        }
      }
      for (const s of sockets) if (s.ws === null) connect(hub.port, s, stats);
      rssPeakBytes = Math.max(rssPeakBytes, hub.rss());
      const left = tickMs - (performance.now() - tickStart);
      await sleep(Math.max(1, left));
    }
    // Let the hub answer what is in flight; a late death is still this category's crash.
    await Promise.race([hub.exited, sleep(1500)]);
    if (!hub.alive()) {
      crashed = true;
      const end = await hub.exited;
      crashes.push({ category, code: end.code, signal: end.signal, tail: hub.tail() });
    }
    for (const s of sockets) s.ws?.terminate();
    framesSent += sent;
    const result: CategoryResult = {
      category,
      sent,
      errorsReceived: stats.errors,
      closes: Object.fromEntries(stats.closes),
      crashed,
      ms: Math.round(performance.now() - phaseStart),
      control: phaseControl.summary(),
      controlRefusals: control.refusals(),
    };
    results.push(result);
    log(
      `${category}: sent ${sent} in ${(result.ms / 1000).toFixed(1)} s, ERROR replies ${stats.errors}, closes ${JSON.stringify(result.closes)}, control p50 ${result.control.p50Ms} p99 ${result.control.p99Ms} ms, control refused ${JSON.stringify(result.controlRefusals)}${crashed ? ' — HUB CRASHED' : ''}`,
    );
  }

  await sleep(1000);
  const rssAfterBytes = hub.rss();
  const merged = new Histogram();
  for (const part of duringParts) merged.merge(part.toData());
  const controlDuring = merged.summary();
  await control.close().catch(() => undefined);
  await hub.stop();
  const p99Ratio = controlBefore.p99Ms > 0 ? Math.round((controlDuring.p99Ms / controlBefore.p99Ms) * 100) / 100 : 0;
  return {
    framesSent,
    crashes,
    categories: results,
    controlBefore,
    controlDuring,
    p99Ratio,
    rssBeforeBytes,
    rssAfterBytes,
    rssPeakBytes,
    durationMs: Math.round(performance.now() - started),
  };
}

export function parseCategories(list: string | undefined): Category[] {
  if (list === undefined || list === '' || list === 'all') return [...CATEGORIES];
  const names = list.split(',').map((c) => c.trim());
  for (const n of names)
    if (!(CATEGORIES as readonly string[]).includes(n))
      throw new Error(`unknown category "${n}"; known: ${CATEGORIES.join(', ')}`);
  return names as Category[];
}
