/**
 * The CPU a pg_auto_failover cluster on this box spends, split the way the pg bench reports it: the two
 * data nodes' Postgres (each postmaster's tree: backends, WAL sender and receiver, walwriter, checkpointer
 * — the work a write causes, counted per write next to the hub's own CPU) and the HA agents (the keepers
 * and the monitor: they poll on a clock, so they are reported as a share of a core, not per write).
 * Reads scripts/ha/cluster.sh's files: BASE/<node>/postmaster.pid and the process-group ids in BASE/<node>.pid.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupTicks, processTicks, readProcTable, ticksToMs, treeTicks, type ProcStat } from '../lib/proc-tree.js';

export interface ClusterCpuSample {
  /** Both data nodes' postmaster trees, ms. */
  readonly postgresMs: number;
  /** Keepers (node groups minus their postmaster trees) and the whole monitor group, ms. */
  readonly agentsMs: number;
}

export interface ClusterCpuDelta extends ClusterCpuSample {
  readonly elapsedMs: number;
}

const DATA_NODES = ['node1', 'node2'] as const;

function firstLineNumber(path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').split('\n')[0]);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/**
 * The ids are read afresh each time: a keeper restarts its postmaster under a new pid after a crash.
 * Postgres gives each of its children a process group of its own, so a node's group is its keeper
 * processes plus the postmaster itself; the postmaster's tree is counted once, as Postgres.
 */
export function sampleClusterCpu(base: string, table: readonly ProcStat[] = readProcTable()): ClusterCpuSample {
  let postgres = 0;
  let agents = 0;
  for (const node of [...DATA_NODES, 'monitor'] as const) {
    const postmaster = firstLineNumber(join(base, node, 'postmaster.pid'));
    const tree = postmaster === null ? 0 : treeTicks(table, postmaster);
    const group = firstLineNumber(join(base, `${node}.pid`));
    const inGroup = postmaster !== null && table.some((p) => p.pid === postmaster && p.pgrp === group);
    const keeper = group === null ? 0 : groupTicks(table, group) - (inGroup ? processTicks(table, postmaster) : 0);
    // The monitor's Postgres is an HA agent too: it does no work per write.
    if (node === 'monitor') agents += tree + keeper;
    else {
      postgres += tree;
      agents += keeper;
    }
  }
  return { postgresMs: ticksToMs(postgres), agentsMs: ticksToMs(Math.max(0, agents)) };
}

/** Measure `body` and return the cluster's CPU over it. */
export async function clusterCpuOver<T>(
  base: string,
  body: () => Promise<T>,
): Promise<{ value: T; cpu: ClusterCpuDelta }> {
  const before = sampleClusterCpu(base);
  const started = performance.now();
  const value = await body();
  const after = sampleClusterCpu(base);
  return {
    value,
    cpu: {
      postgresMs: after.postgresMs - before.postgresMs,
      agentsMs: after.agentsMs - before.agentsMs,
      elapsedMs: performance.now() - started,
    },
  };
}
