/**
 * CPU time of a whole process tree or process group from /proc, for a server that is many processes:
 * a Postgres node is a postmaster and its backends, WAL sender/receiver and background workers, and a
 * backend that exits takes its CPU time with it unless the parent's reaped-children counters are read.
 * So each live process counts its own time (utime + stime) plus its waited-for children's (cutime +
 * cstime): every descendant, alive or exited and reaped, is counted once. Parsing is pure (unit-tested).
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = 100; // getconf CLK_TCK on Linux x86-64 and arm64

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  /** utime + stime of the process (all its threads), clock ticks. */
  readonly ownTicks: number;
  /** cutime + cstime: children it has waited for, clock ticks. */
  readonly reapedTicks: number;
}

/**
 * One /proc/<pid>/stat line. The command name sits in parentheses and may itself hold spaces or
 * parentheses (Postgres renames its processes, "postgres: walsender postgres 127.0.0.1(5432) streaming"),
 * so fields are counted from the last ')'.
 */
export function parseStat(line: string): ProcStat {
  const close = line.lastIndexOf(')');
  const open = line.indexOf(' (');
  if (close === -1 || open === -1) throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  const pid = Number(line.slice(0, open));
  // After ") ": state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9) minflt(10) cminflt(11)
  // majflt(12) cmajflt(13) utime(14) stime(15) cutime(16) cstime(17) — index = field − 3.
  const f = line
    .slice(close + 2)
    .trim()
    .split(' ');
  const num = (field: number): number => {
    const v = Number(f[field - 3]);
    if (!Number.isFinite(v))
      throw new Error(`field ${field} of /proc/${pid}/stat is not a number: ${line.slice(0, 120)}`);
    return v;
  };
  if (!Number.isInteger(pid)) throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  return {
    pid,
    ppid: num(4),
    pgrp: num(5),
    ownTicks: num(14) + num(15),
    reapedTicks: num(16) + num(17),
  };
}

export const ticksToMs = (ticks: number): number => (ticks * 1000) / CLOCK_TICKS_PER_S;

/** Every live process now; one that exits while being read is skipped (its parent reaps its time). */
export function readProcTable(procDir = '/proc'): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync(procDir)) {
    if (!/^\d+$/.test(name)) continue;
    let line: string;
    try {
      line = readFileSync(`${procDir}/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    out.push(parseStat(line));
  }
  return out;
}

const total = (p: ProcStat): number => p.ownTicks + p.reapedTicks;

/** The root and every live descendant, each with its reaped children; 0 when the root is gone. */
export function treeTicks(table: readonly ProcStat[], rootPid: number): number {
  const children = new Map<number, ProcStat[]>();
  let root: ProcStat | undefined;
  for (const p of table) {
    if (p.pid === rootPid) root = p;
    const list = children.get(p.ppid);
    if (list === undefined) children.set(p.ppid, [p]);
    else list.push(p);
  }
  if (root === undefined) return 0;
  let sum = 0;
  const stack = [root];
  const seen = new Set<number>();
  for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    sum += total(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return sum;
}

/** One process's own and reaped-children ticks; 0 when it is gone. */
export function processTicks(table: readonly ProcStat[], pid: number): number {
  const p = table.find((q) => q.pid === pid);
  return p === undefined ? 0 : total(p);
}

/**
 * Every live member of a process group, each with its reaped children. Postgres puts each of its
 * children in a group of its own, so a node's group holds the keeper and the postmaster but not the
 * backends: count those with treeTicks.
 */
export function groupTicks(table: readonly ProcStat[], pgid: number): number {
  let sum = 0;
  for (const p of table) if (p.pgrp === pgid) sum += total(p);
  return sum;
}
