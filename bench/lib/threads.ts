/**
 * Per-thread CPU and run-queue wait of a server and of the generator, from /proc/<pid>/task/<tid>/schedstat
 * (ns on the CPU, ns runnable but waiting for one, time slices) and the thread's name (comm). On a 2-core box
 * a write that hops front → shard → writer → front wakes four threads, and each wake can wait behind the
 * others and the generator: this is the reading that says how much of an ack is waiting for a core.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadSample {
  readonly tid: number;
  readonly group: string;
  readonly runNs: number;
  readonly waitNs: number;
  readonly slices: number;
}

/**
 * The thread's group: `main` for the process's first thread (the hub's front, a relay's only JS thread),
 * the name a hub worker gives itself without its `pos-` prefix (`writer`, `shard-0`), else `helpers`
 * (V8's platform threads, libuv's pool, the module loader).
 */
export function groupOf(tid: number, pid: number, comm: string): string {
  if (tid === pid) return 'main';
  return comm.startsWith('pos-') ? comm.slice(4) : 'helpers';
}

function readTask(pid: number, tid: number): ThreadSample | null {
  try {
    const [run, wait, slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    return { tid, group: groupOf(tid, pid, comm), runNs: run ?? 0, waitNs: wait ?? 0, slices: slices ?? 0 };
  } catch {
    return null; // the thread ended between the listing and the read, or no schedstat on this kernel
  }
}

/** Every thread of `pid` now; [] when the process or /proc is gone. */
export function readThreads(pid: number): ThreadSample[] {
  let tids: number[];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
  const out: ThreadSample[] = [];
  for (const tid of tids) {
    const s = readTask(pid, tid);
    if (s !== null) out.push(s);
  }
  return out;
}

/** The first thread of each process only (`generator` group): the JS thread that sends and receives. */
export function readMainThreads(pids: readonly number[], group: string): ThreadSample[] {
  const out: ThreadSample[] = [];
  for (const pid of pids) {
    const s = readTask(pid, pid);
    if (s !== null) out.push({ ...s, group });
  }
  return out;
}

export interface ThreadGroupFigure {
  readonly group: string;
  readonly threads: number;
  readonly cpuMs: number;
  /** Runnable but not running, summed over the group's threads. */
  readonly waitMs: number;
  readonly slices: number;
  /** Per accepted write (null without writes), µs. */
  readonly cpuUsPerWrite: number | null;
  readonly waitUsPerWrite: number | null;
  /** Mean wait each time a thread of the group got a core: the delay one wake-up costs on the write's path, µs. */
  readonly waitUsPerSlice: number | null;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** What each group used and waited between two samples (threads born in between count from zero). */
export function threadDelta(
  before: readonly ThreadSample[],
  after: readonly ThreadSample[],
  writes: number,
): ThreadGroupFigure[] {
  const start = new Map(before.map((s) => [`${s.group}/${s.tid}`, s]));
  const acc = new Map<string, { threads: number; run: number; wait: number; slices: number }>();
  for (const s of after) {
    const b = start.get(`${s.group}/${s.tid}`);
    const g = acc.get(s.group) ?? { threads: 0, run: 0, wait: 0, slices: 0 };
    g.threads += 1;
    g.run += s.runNs - (b?.runNs ?? 0);
    g.wait += s.waitNs - (b?.waitNs ?? 0);
    g.slices += s.slices - (b?.slices ?? 0);
    acc.set(s.group, g);
  }
  const order = (g: string) => ['main', 'shard', 'writer', 'helpers', 'generator'].findIndex((p) => g.startsWith(p));
  return [...acc.entries()]
    .sort((a, b) => order(a[0]) - order(b[0]) || a[0].localeCompare(b[0]))
    .map(([group, g]) => ({
      group,
      threads: g.threads,
      cpuMs: round1(g.run / 1e6),
      waitMs: round1(g.wait / 1e6),
      slices: g.slices,
      cpuUsPerWrite: writes > 0 ? Math.round(g.run / 1e3 / writes) : null,
      waitUsPerWrite: writes > 0 ? Math.round(g.wait / 1e3 / writes) : null,
      waitUsPerSlice: g.slices > 0 ? Math.round(g.wait / 1e3 / g.slices) : null,
    }));
}

/** Machine-wide CPU pressure (PSI): µs during which some runnable task waited for a core; null without PSI. */
export function cpuPressureUs(): number | null {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}
