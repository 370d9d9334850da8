/**
 * CPU per write on each hub thread at one fixed rate, and (with --prof) where the front's goes by function
 * group: the question of issue 16's front-thread work. A hub, the saturation generator (20 terminals,
 * 120 tables, ORDER_SNAPSHOT only), one warm-up and one measured window; per-thread CPU from schedstat.
 * Usage: node --import tsx bench/front-cpu.ts [--rate 125] [--ms 8000] [--encoding json|msgpack] [--prof [--top]] [--perf]
 * (--perf: `perf record` of the front thread on CPU time into /tmp/front-cpu.perf.data; read it with perf report.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monoUs } from './lib/clock.js';
import { bundleScripts } from './lib/bundle.js';
import { readThreads, threadDelta } from './lib/threads.js';
import { summarizeProfile } from './profile/summarize-cpuprofile.js';
import { GeneratorPool } from './venue/pool.js';
import { ROOT, startHub } from './venue/targets.js';

interface Node {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly Node[];
  readonly startTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** Inclusive-time groups: the first rule that matches any frame of a sample's stack (innermost first) takes it. */
const GROUPS: ReadonlyArray<readonly [string, (fn: string, url: string) => boolean]> = [
  ['metrics (prom-client)', (_f, u) => u.includes('prom-client') || u.includes('adapters/metrics')],
  ['pass-through walk', (f, u) => f === 'findOversizePassThrough' || u.includes('compiled-schemas')],
  ['zod validation', (_f, u) => u.includes('/zod/')],
  ['decode (scan + parse)', (f) => f === 'decode' || f === 'scanJsonText' || f === 'scanMsgpack'],
  ['encode outbound', (f) => f === 'encode' || f === 'stringify' || f === 'pack'],
  ['post to workers', (f) => f === 'postMessage' || f === 'flush'],
  ['read from workers (clone)', (f, u) => f === 'emitMessage' || (u.includes('worker_threads') && f !== 'postMessage')],
  ['fan-out (sockets)', (_f, u) => u.includes('fan-out')],
  ['routing + gates', (_f, u) => u.includes('src/front/')],
  ['uWS adapter', (_f, u) => u.includes('adapters/uws')],
];

function frontGroups(file: string, window: { fromUs: number; toUs: number }): { busyMs: number; groups: Record<string, number> } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const out: Record<string, number> = {};
  let t = p.startTime;
  let busy = 0;
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    if (t < window.fromUs || t > window.toUs) continue;
    const dt = Math.max(0, deltas[i + 1] ?? 0);
    let id: number | undefined = samples[i];
    const leaf = id === undefined ? undefined : byId.get(id);
    if (leaf === undefined || leaf.callFrame.functionName === '(idle)') continue;
    busy += dt;
    let group = leaf.callFrame.functionName === '(garbage collector)' ? 'gc' : 'other';
    outer: while (id !== undefined && group === 'other') {
      const n = byId.get(id)!;
      for (const [name, test] of GROUPS)
        if (test(n.callFrame.functionName, n.callFrame.url)) {
          group = name;
          break outer;
        }
      id = parent.get(id);
    }
    out[group] = (out[group] ?? 0) + dt;
  }
  return { busyMs: busy / 1000, groups: out };
}

async function main(): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i < 0 ? dflt : (process.argv[i + 1] ?? dflt);
  };
  const rate = Number(arg('rate', '125'));
  const ms = Number(arg('ms', '8000'));
  const encoding = arg('encoding', 'json') as 'json' | 'msgpack';
  const prof = process.argv.includes('--prof');
  const profDir = prof ? mkdtempSync(join(tmpdir(), 'front-cpu-')) : undefined;
  const scripts = bundleScripts(ROOT);
  const perf = process.argv.includes('--perf');
  const hub = await startHub({
    odooUrl: null,
    ...(profDir === undefined ? {} : { cpuProfDir: profDir }),
    ...(perf ? { nodeArgs: ['--perf-basic-prof-only-functions', '--interpreted-frames-native-stack'] } : {}),
  });
  const mix = { lockFraction: 0, finalizeAfter: 0, heartbeatMs: 0 };
  const pool = GeneratorPool.start({
    script: scripts.generator,
    processes: 3,
    terminals: 20,
    tables: 120,
    target: { kind: 'ws', url: hub.url, encoding },
    runId: `fc${Date.now().toString(36)}`,
    sampleEvery: 16,
  });
  let window = { fromUs: 0, toUs: 0 };
  try {
    await pool.connect();
    await pool.run(Math.min(rate, 125), 2000, mix, 1000);
    const load = readFileSync('/proc/loadavg', 'utf8').trim();
    const before = readThreads(hub.pid);
    // With --perf, the front thread (the process's main thread) is sampled on CPU time for the window.
    const recorder = perf
      ? spawn('perf', ['record', '-e', 'cpu-clock:u', '-F', '4000', '-g', '-t', String(hub.pid), '-o', '/tmp/front-cpu.perf.data'], { stdio: 'ignore' })
      : null;
    window = { fromUs: monoUs(), toUs: 0 };
    const run = await pool.run(rate, ms, mix, 1500);
    window.toUs = monoUs();
    if (recorder !== null) {
      recorder.kill('SIGINT');
      await new Promise((resolve) => recorder.once('exit', resolve));
    }
    const after = readThreads(hub.pid);
    const threads = threadDelta(before, after, run.accepted);
    const all = threads.reduce((s, g) => s + (g.cpuUsPerWrite ?? 0), 0);
    console.log(
      JSON.stringify({
        rate,
        encoding,
        load,
        loadAfter: readFileSync('/proc/loadavg', 'utf8').trim(),
        accepted: run.accepted,
        acceptedPerS: run.acceptedPerS,
        ack: { p50: run.ack.p50Ms, p99: run.ack.p99Ms, mean: run.ack.meanMs },
        cpuUsPerWrite: Object.fromEntries(threads.map((g) => [g.group, g.cpuUsPerWrite])),
        allUsPerWrite: all,
        errors: run.errors,
      }),
    );
    if (profDir !== undefined) (globalThis as { __accepted?: number }).__accepted = run.accepted;
  } finally {
    await pool.close();
    await hub.stop();
  }
  if (profDir !== undefined) {
    const accepted = (globalThis as { __accepted?: number }).__accepted ?? 1;
    for (const f of readdirSync(profDir)) {
      const text = readFileSync(join(profDir, f), 'utf8');
      if (!text.includes('/src/front/')) continue;
      if (text.includes('/workers/writer/writer-core') || text.includes('/workers/shard/shard-host')) continue;
      const r = frontGroups(join(profDir, f), window);
      const us = Object.fromEntries(
        Object.entries(r.groups)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => [k, Math.round(v / accepted)]),
      );
      console.log(JSON.stringify({ profile: f, busyUsPerWrite: Math.round((r.busyMs * 1000) / accepted), us }));
      if (process.argv.includes('--top'))
        for (const e of summarizeProfile(join(profDir, f), 40, window).top)
          console.log(`  ${e.percent.toFixed(1).padStart(5)} %  ${e.function}  ${e.location}`);
    }
    rmSync(profDir, { recursive: true, force: true });
  }
}

await main();
