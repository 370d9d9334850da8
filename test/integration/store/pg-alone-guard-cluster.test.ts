/**
 * The lone-commit check against a real pg_auto_failover 2.0 monitor (adapters/postgres/alone-guard.ts,
 * docs/ha.md "A commit alone while the monitor promotes the standby"): with the standby stopped the primary
 * goes on alone (wait_primary, synchronous_standby_names = '') and its commits are acked; with the monitor
 * showing the standby being promoted — the state of the 2026-12-02 loss, forced here by writing the goal on
 * the monitor while node 1's keeper is paused so the monitor's state machine cannot move it — a commit on
 * node 1 is refused in doubt.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorAloneGuard } from '../../../src/adapters/postgres/alone-guard.js';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster.js';

let cluster: PgCluster;
let monitorUrl: string;

async function query<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Poll `read` until it returns true, or fail naming `what` after `ms`. */
async function until(what: string, ms: number, read: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await read().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (monitor: ${await cluster.state()})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const goalOf = async (node: string): Promise<string | undefined> =>
  (await query<{ g: string }>(monitorUrl, 'SELECT goalstate::text AS g FROM pgautofailover.node WHERE nodename = $1', [node]))[0]?.g;

/** SIGSTOP / SIGCONT the keeper processes of a node's group, leaving its Postgres running. */
function keeper(node: 'node1' | 'node2', signal: 'STOP' | 'CONT'): void {
  const group = readFileSync(`${cluster.base}/${node}.pid`, 'utf8').trim();
  const ps = execFileSync('ps', ['-o', 'pid=,comm=', '-g', group], { encoding: 'utf8' });
  const pids = ps.split('\n').map((l) => l.trim().split(/\s+/)).filter(([, comm]) => comm === 'pg_autoctl').map(([pid]) => pid ?? '');
  if (pids.length === 0) throw new Error(`no pg_autoctl process in ${node}'s group ${group}`);
  execFileSync('kill', [`-${signal}`, ...pids]);
}

beforeAll(async () => {
  cluster = await startPgCluster('tuned');
  monitorUrl = `postgres://postgres@127.0.0.1:${readFileSync(`${cluster.base}/port0`, 'utf8').trim()}/pg_auto_failover`;
}, 300_000);
afterAll(async () => {
  await cluster?.close();
}, 60_000);

describe('a lone commit on a real pg_auto_failover cluster', () => {
  it('is acked while the standby is down, and refused in doubt while the monitor promotes it', async () => {
    await cluster.fault('stop', 'node2');
    await until('node 1 alone (wait_primary, names empty) and node 2 catching up', 120_000, async () => {
      const [names] = await query<{ v: string }>(cluster.nodeUrl('node1'), "SELECT current_setting('synchronous_standby_names') AS v");
      return names?.v === '' && (await goalOf('node1')) === 'wait_primary' && (await goalOf('node2')) === 'catchingup';
    });
    const store = await PgStore.open({ url: cluster.url, aloneGuard: monitorAloneGuard(monitorUrl, 3000) });
    try {
      const unit = (value: string) => ({ ops: [{ op: 'meta_put' as const, key: 'probe', value }] });
      expect((await store.commit([unit('alone, standby down')], Date.now())).units).toHaveLength(1);

      keeper('node1', 'STOP');
      try {
        await query(monitorUrl, "UPDATE pgautofailover.node SET goalstate = 'prepare_promotion' WHERE nodename = 'node2'");
        const refused = await store.commit([unit('alone, standby promoted')], Date.now()).then(() => null, (error: unknown) => error);
        expect(store.classifyError(refused)).toBe('in_doubt');
        expect((refused as Error).message).toMatch(/the monitor is making another node the primary: node \d+ \(\S+\) goal prepare_promotion/);
        await query(monitorUrl, "UPDATE pgautofailover.node SET goalstate = 'catchingup' WHERE nodename = 'node2'");
      } finally {
        keeper('node1', 'CONT');
      }
      expect((await store.commit([unit('alone again')], Date.now())).units).toHaveLength(1);
    } finally {
      await store.close();
    }
  }, 240_000);
});
