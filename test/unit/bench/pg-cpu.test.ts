/**
 * CPU accounting of the pg bench from /proc stat lines: a command name with spaces and parentheses
 * (Postgres renames its processes) does not shift the fields; a tree counts every live descendant once
 * plus what each reaped; the cluster split puts the data nodes' postmaster trees under Postgres and the
 * keepers and the monitor under HA agents, each tick counted once even though Postgres gives its
 * children process groups of their own.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleClusterCpu } from '../../../bench/pg/cluster-cpu.js';
import {
  groupTicks,
  parseStat,
  processTicks,
  ticksToMs,
  treeTicks,
  type ProcStat,
} from '../../../bench/lib/proc-tree.js';

/** A stat line as the kernel writes it: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime … */
function statLine(
  pid: number,
  comm: string,
  ppid: number,
  pgrp: number,
  utime: number,
  stime: number,
  cutime = 0,
  cstime = 0,
): string {
  return `${pid} (${comm}) S ${ppid} ${pgrp} ${pgrp} 0 -1 4194560 120 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 3425676 3133440 382 18446744073709551615 0 0 0`;
}

const p = (pid: number, ppid: number, pgrp: number, own: number, reaped = 0): ProcStat => ({
  pid,
  ppid,
  pgrp,
  ownTicks: own,
  reapedTicks: reaped,
});

describe('parseStat', () => {
  it('reads ppid, pgrp, own and reaped ticks after the last parenthesis', () => {
    const s = parseStat(
      statLine(
        16993,
        'postgres: walsender pgautofailover_replicator 127.0.0.1(37616) streaming',
        16432,
        16993,
        7,
        3,
        11,
        2,
      ),
    );
    expect(s).toEqual({ pid: 16993, ppid: 16432, pgrp: 16993, ownTicks: 10, reapedTicks: 13 });
  });

  it('reads a real line of this process', async () => {
    const { readFileSync } = await import('node:fs');
    const s = parseStat(readFileSync('/proc/self/stat', 'utf8'));
    expect(s.pid).toBe(process.pid);
    expect(s.ppid).toBe(process.ppid);
    expect(s.ownTicks).toBeGreaterThanOrEqual(0);
  });

  it('refuses what is not a stat line', () => {
    expect(() => parseStat('garbage')).toThrow(/not a \/proc stat line/);
    expect(() => parseStat('12 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 1 0 0')).toThrow(/field 14/);
  });

  it('converts ticks at 100 per second', () => {
    expect(ticksToMs(250)).toBe(2500);
  });
});

describe('treeTicks / groupTicks', () => {
  // 100 postmaster (group 50, the keeper's) → 101 walwriter, 102 backend → 103 (a child of the backend);
  // 200 is unrelated; 50 is the keeper, the group leader.
  const table = [
    p(50, 1, 50, 5, 1),
    p(100, 50, 50, 10, 40),
    p(101, 100, 101, 3),
    p(102, 100, 102, 7, 2),
    p(103, 102, 103, 1),
    p(200, 1, 200, 99),
  ];

  it('sums the root and every live descendant, each with what it reaped', () => {
    expect(treeTicks(table, 100)).toBe(10 + 40 + 3 + 7 + 2 + 1);
  });

  it('is 0 for a root that is gone', () => {
    expect(treeTicks(table, 999)).toBe(0);
  });

  it('a group holds only its members: Postgres children in groups of their own are not in it', () => {
    expect(groupTicks(table, 50)).toBe(5 + 1 + 10 + 40);
    expect(processTicks(table, 100)).toBe(50);
    expect(processTicks(table, 999)).toBe(0);
  });
});

describe('sampleClusterCpu', () => {
  let base: string | null = null;
  afterEach(() => {
    if (base !== null) rmSync(base, { recursive: true, force: true });
  });

  it('puts the data nodes’ postmaster trees under Postgres, keepers and the monitor under agents, each once', () => {
    base = mkdtempSync(join(tmpdir(), 'pos-hub-pg-cpu-test-'));
    const layout = { monitor: [10, 11], node1: [20, 21], node2: [30, 31] } as const;
    for (const [node, [group, postmaster]] of Object.entries(layout)) {
      mkdirSync(join(base, node));
      writeFileSync(join(base, `${node}.pid`), `${group}\n`);
      writeFileSync(join(base, node, 'postmaster.pid'), `${postmaster}\n/data\n1796196542\n`);
    }
    const table = [
      // monitor: keeper group 10 (keeper 10 own 4), postmaster 11 in it (own 6), a health-check worker 12 (own 5, own group)
      p(10, 1, 10, 4),
      p(11, 10, 10, 6),
      p(12, 11, 12, 5),
      // node1: keeper 20 (own 3), postmaster 21 (own 2, reaped 8), walsender 22 (own 9)
      p(20, 1, 20, 3),
      p(21, 20, 20, 2, 8),
      p(22, 21, 22, 9),
      // node2: keeper 30 (own 1), postmaster 31 (own 2), walreceiver 32 (own 7)
      p(30, 1, 30, 1),
      p(31, 30, 30, 2),
      p(32, 31, 32, 7),
      // someone else's process
      p(40, 1, 40, 1000),
    ];
    const s = sampleClusterCpu(base, table);
    expect(s.postgresMs).toBe(ticksToMs(2 + 8 + 9 + 2 + 7));
    expect(s.agentsMs).toBe(ticksToMs(4 + 6 + 5 + 3 + 1));
  });

  it('reads 0 for a node whose files are gone (a stopped node)', () => {
    base = mkdtempSync(join(tmpdir(), 'pos-hub-pg-cpu-test-'));
    expect(sampleClusterCpu(base, [p(1, 0, 1, 5)])).toEqual({ postgresMs: 0, agentsMs: 0 });
  });
});
