/**
 * The front's CPU per hot inbound frame (issue 16): readFrame as the front calls it — bounded decode, then
 * validation — for the frames of a dinner rush (ORDER_SNAPSHOT, LEASE_HEARTBEAT, HEARTBEAT) and of a
 * reconnect storm (AUTH). CPU µs per frame by default; with --ir, instructions per frame counted by
 * valgrind's callgrind over a window of N frames after a warm-up, which is repeatable on a busy shared box
 * where time is not.
 * Run: node --import tsx bench/decode-validate.ts [--ir] [--case NAME]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { codecFor } from '../src/protocol/codec.js';
import type { Encoding } from '../src/protocol/constants.js';
import { DEFAULT_FRAME_LIMITS, DEFAULT_PASSTHROUGH_LIMITS } from '../src/protocol/frame-limits.js';
import { readFrame } from '../src/front/read-frame.js';
import type { InboundLimits } from '../src/front/inbound-limits.js';
import type { Session } from '../src/front/session.js';
import { cpuMicros } from './lib/cpu-micros.js';
import { SAMPLE_REF, sampleSnapshot } from './lib/sample-order.js';

const ref = SAMPLE_REF;
/** As the saturation generator sends it: a 10-line order and the bench's unknown `benchSentUs`. */
const orderSnapshot = { type: 'ORDER_SNAPSHOT', posReference: ref, baseVersion: 3, mutationId: 'm-0001', benchSentUs: 1709123456789, snapshot: sampleSnapshot };

const CASES: Readonly<Record<string, { readonly message: unknown; readonly encoding: Encoding }>> = {
  'ORDER_SNAPSHOT json': { message: orderSnapshot, encoding: 'json' },
  'ORDER_SNAPSHOT msgpack': { message: orderSnapshot, encoding: 'msgpack' },
  'LEASE_HEARTBEAT json': { message: { type: 'LEASE_HEARTBEAT', posReference: ref }, encoding: 'json' },
  'HEARTBEAT json': { message: { type: 'HEARTBEAT' }, encoding: 'json' },
  'AUTH json': { message: { type: 'AUTH', token: 'dev:cashier:terminal-017', deviceId: 'terminal-017', lastSeq: 48213 }, encoding: 'json' },
  'TABLE_LOCK_HEARTBEAT json': { message: { type: 'TABLE_LOCK_HEARTBEAT', tableId: 7 }, encoding: 'json' },
};

const limits: InboundLimits = {
  frame: DEFAULT_FRAME_LIMITS,
  passThrough: DEFAULT_PASSTHROUGH_LIMITS,
  preAuthMaxBytes: 16 * 1024,
  floorPlanMaxBytes: 256 * 1024,
};

/**
 * One frame through readFrame as the front calls it, each time on another of 64 ArrayBuffers (uWS hands a
 * fresh one per message; allocating them here would be counted as the front's work).
 */
function prepare(name: string): () => void {
  const spec = CASES[name];
  if (spec === undefined) throw new Error(`unknown case "${name}"; cases: ${Object.keys(CASES).join(', ')}`);
  const codec = codecFor(spec.encoding);
  const encoded = codec.encode(spec.message);
  // A copy of its own: msgpackr's output is a view into a shared pool.
  const bytes = typeof encoded === 'string' ? new TextEncoder().encode(encoded) : new Uint8Array(encoded);
  const isAuth = (spec.message as { type: string }).type === 'AUTH';
  const session = { codec, encoding: spec.encoding, phase: isAuth ? 'awaiting_auth' : 'ready' } as Session;
  const buffers = Array.from({ length: 64 }, () => bytes.slice().buffer);
  const first = readFrame(session, buffers[0]!, codec.binary, limits);
  // A refused frame would be measured as a cheap early exit.
  if (!first.ok) throw new Error(`${name}: the sample frame was refused: ${first.code} ${first.message}`);
  let next = 0;
  return () => {
    const read = readFrame(session, buffers[next++ & 63]!, codec.binary, limits);
    if (!read.ok) throw new Error('refused');
  };
}

const WARMUP = 3000;

/**
 * The child under valgrind: warm up, then exactly N frames between two calls of os.getPriority, where
 * callgrind dumps its counters (--dump-before=uv_os_getpriority): the second dump is those frames alone.
 */
function runCounted(name: string): void {
  const fn = prepare(name);
  for (let i = 0; i < WARMUP; i++) fn();
  getPriority();
  for (let i = 0; i < N; i++) fn();
  getPriority();
}

const N = 5000;

/** Bundled once (tsx's loader under valgrind would cost minutes and count its own work). */
function bundleSelf(): string {
  const root = join(fileURLToPath(import.meta.url), '..', '..');
  const outDir = join(root, 'node_modules', '.cache', 'pos-hub-bench');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `decode-validate-${process.pid}.mjs`);
  buildSync({ entryPoints: [fileURLToPath(import.meta.url)], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external' });
  return outfile;
}

function instructionsPerFrame(script: string, name: string): number {
  const out = `/tmp/decode-validate.${process.pid}.cg`;
  // --single-threaded: no concurrent JIT or GC helpers, so the count does not depend on their scheduling.
  execFileSync(
    'valgrind',
    ['--tool=callgrind', '--dump-before=uv_os_getpriority', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', script, '--child', name],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    const window = /^summary: (\d+)/m.exec(readFileSync(`${out}.2`, 'utf8'));
    if (window === null) throw new Error('callgrind wrote no summary');
    return Number(window[1]) / N;
  } finally {
    for (const file of readdirSync('/tmp')) if (file.startsWith(`decode-validate.${process.pid}.cg`)) rmSync(join('/tmp', file), { force: true });
  }
}

const args = process.argv.slice(2);
const only = args.includes('--case') ? args[args.indexOf('--case') + 1] : undefined;
const names = only === undefined ? Object.keys(CASES) : [only];
if (args[0] === '--child') {
  runCounted(args[1]!);
} else if (args.includes('--ir')) {
  const script = bundleSelf();
  try {
    console.log(`instructions per frame through readFrame (callgrind, ${N} frames after ${WARMUP} of warm-up)`);
    for (const name of names) console.log(`${name.padEnd(28)} ${Math.round(instructionsPerFrame(script, name)).toString().padStart(8)}`);
  } finally {
    rmSync(script, { force: true });
  }
} else {
  console.log('CPU µs per frame through readFrame (median of 7 rounds of 20,000)');
  for (const name of names) console.log(`${name.padEnd(28)} ${cpuMicros(prepare(name), { warmup: WARMUP }).toFixed(2).padStart(8)}`);
}
