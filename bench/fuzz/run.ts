/**
 * `npm run fuzz`: throw hostile frames at a real hub and write bench/results/<date>-fuzz.json.
 *   --frames N (default 1000000)  --categories a,b (default all)  --sockets N (32)  --rate N frames/s (5000)
 *   --seed N  --baseline-ms N  --max-ms N  --out DIR (bench/results)
 * Exits 1 when the hub crashed at least once, so a CI slice fails loudly.
 */
import { fileURLToPath } from 'node:url';
import { machineInfo } from '../lib/machine.js';
import { writeResult } from '../lib/results.js';
import { CATEGORIES } from './frames.js';
import { parseCategories, runFuzz, FUZZ_HUB_ENV } from './harness.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const num = (name: string, fallback: number): number => {
  const raw = arg(name);
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got ${raw})`);
  return n;
};

const options = {
  frames: num('frames', 1_000_000),
  categories: parseCategories(arg('categories')),
  sockets: num('sockets', 32),
  rate: num('rate', 5000),
  seed: num('seed', 12),
  baselineMs: num('baseline-ms', 5000),
  controlIntervalMs: 50,
  maxMs: num('max-ms', 30 * 60_000),
  log: (line: string) => console.log(line),
};
console.log(
  `fuzz: ${options.frames} frames over ${options.categories.join(', ')} (of ${CATEGORIES.length} categories), ${options.sockets} sockets, ${options.rate} frames/s`,
);
const startedAt = new Date();
// Ctrl-C or a kill ends through process.exit, so the hub child is reaped by its 'exit' listener.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const result = await runFuzz(options);
const mb = (b: number): string => (b / 2 ** 20).toFixed(1);
console.log(
  `fuzz: ${result.framesSent} frames in ${(result.durationMs / 1000).toFixed(0)} s; crashes ${result.crashes.length}` +
    `${result.crashes.length > 0 ? ` (${result.crashes.map((c) => c.category).join(', ')})` : ''}; control ack p50 ${result.controlBefore.p50Ms} → ${result.controlDuring.p50Ms} ms, ` +
    `p99 ${result.controlBefore.p99Ms} → ${result.controlDuring.p99Ms} ms (×${result.p99Ratio}); RSS ${mb(result.rssBeforeBytes)} → ${mb(result.rssAfterBytes)} MB (peak ${mb(result.rssPeakBytes)})`,
);
const outDir = arg('out') ?? fileURLToPath(new URL('../results/', import.meta.url));
const file = writeResult(outDir, {
  scenario: 'fuzz',
  mode: options.frames >= 1_000_000 ? 'all' : 'smoke',
  date: startedAt.toISOString().slice(0, 10),
  startedAt: startedAt.toISOString(),
  machine: machineInfo(),
  config: { ...options, log: undefined, hubEnv: FUZZ_HUB_ENV },
  results: result,
  notes: [
    'Crashes must be 0. Target: control ack p99 during ≤ 2× before. The harness lifts the per-address limits (every socket is 127.0.0.1).',
  ],
});
console.log(`fuzz: wrote ${file}`);
process.exitCode = result.crashes.length > 0 ? 1 : 0;
