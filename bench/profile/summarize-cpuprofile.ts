/**
 * Where the time goes: reads V8 .cpuprofile files (from `node --cpu-prof`, one per thread) and lists
 * the functions with the most self time, grouped by function and script. Used on the saturated hub;
 * also runnable by hand: `node --import tsx bench/profile/summarize-cpuprofile.ts <file|dir> [top]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileEntry {
  readonly function: string;
  readonly location: string;
  readonly selfMs: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Which hub thread this is, guessed from the code it ran: front, shard, writer, loader, other. */
  readonly thread: string;
  /** Whether only the samples inside the requested window were counted (false: the whole profile). */
  readonly windowed: boolean;
  readonly totalMs: number;
  /** Share of samples that were not (idle) — the thread's busy fraction while profiled. */
  readonly busyPercent: number;
  readonly top: ProfileEntry[];
  /** Self time grouped by where the code lives (node internals, a package, our src). */
  readonly byArea: Array<{ readonly area: string; readonly percent: number }>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function locate(url: string, line: number): string {
  if (url === '') return '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const shown = path.startsWith(ROOT) ? relative(ROOT, path) : path;
  // tsx-transpiled modules report line 0 for everything; the file is the useful part then.
  return line > 0 ? `${shown}:${line + 1}` : shown;
}

function area(url: string, fn: string): string {
  if (fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)') return fn;
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m?.[1] !== undefined) return m[1];
  const src = /\/(src|workers|actors)\/([^/]+)/.exec(url);
  return src === null ? 'other' : `${src[1]}/${src[2]}`;
}

/** A time window on CLOCK_MONOTONIC in µs — the clock V8 stamps profiles with on Linux, and bench/lib/clock's monoUs. */
export interface SampleWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

function threadKind(nodes: readonly ProfileNode[]): string {
  const urls = nodes.map((n) => n.callFrame.url);
  if (urls.some((u) => u.includes('/workers/writer/'))) return 'writer';
  if (urls.some((u) => u.includes('/workers/shard/'))) return 'shard';
  if (urls.some((u) => u.includes('/src/front/') || u.includes('/src/adapters/uws/'))) return 'front';
  if (urls.some((u) => u.includes('/node_modules/tsx/'))) return 'loader';
  return 'other';
}

function selfTimes(profile: CpuProfile, window: SampleWindow | undefined): Map<number, number> {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i += 1) {
    t += deltas[i] ?? 0;
    if (window !== undefined && (t < window.fromUs || t > window.toUs)) continue;
    // timeDeltas[i+1] is the time until the next sample, i.e. how long sample i's frame ran.
    const dt = deltas[i + 1] ?? 0;
    const id = samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  return selfUs;
}

/** Top self-time functions; with a window, only samples inside it (start-up and shutdown left out). */
export function summarizeProfile(file: string, top = 15, window?: SampleWindow): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let selfUs = selfTimes(profile, window);
  const windowed = window !== undefined && selfUs.size > 0;
  if (!windowed) selfUs = selfTimes(profile, undefined);
  const grouped = new Map<string, { fn: string; loc: string; us: number }>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const fn = node.callFrame.functionName === '' ? '(anonymous)' : node.callFrame.functionName;
    total += us;
    if (fn === '(idle)') idle += us;
    const loc = locate(node.callFrame.url, node.callFrame.lineNumber);
    const key = `${fn} ${loc}`;
    const entry = grouped.get(key) ?? { fn, loc, us: 0 };
    entry.us += us;
    grouped.set(key, entry);
    const a = area(node.callFrame.url, fn);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => (busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0);
  return {
    file: basename(file),
    thread: threadKind(profile.nodes),
    windowed,
    totalMs: Math.round(total / 1000),
    busyPercent: total > 0 ? Math.round((busy / total) * 1000) / 10 : 0,
    top: [...grouped.values()]
      .filter((e) => e.fn !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ function: e.fn, location: e.loc, selfMs: Math.round(e.us / 100) / 10, percent: pct(e.us) })),
    byArea: [...areas.entries()]
      .filter(([a]) => a !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([a, us]) => ({ area: a, percent: pct(us) })),
  };
}

export function summarizeDir(dir: string, top = 15, window?: SampleWindow): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarizeProfile(join(dir, f), top, window))
    .sort((a, b) => b.totalMs * (b.busyPercent / 100) - a.totalMs * (a.busyPercent / 100));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = process.argv[2];
  if (target === undefined) {
    process.stderr.write('usage: summarize-cpuprofile.ts <file.cpuprofile | dir> [top]\n');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? '15');
  const summaries = statSync(target).isDirectory() ? summarizeDir(target, top) : [summarizeProfile(target, top)];
  process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
}
