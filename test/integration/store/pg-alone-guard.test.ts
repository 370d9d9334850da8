/**
 * A commit that goes through with synchronous_standby_names = '' is acked only if the pg_auto_failover
 * monitor promotes no other node (adapters/postgres/alone-guard.ts, docs/ha.md "A commit alone while the
 * monitor promotes the standby"). One real PostgreSQL plays the data node and, in a schema of its own, the
 * monitor's pgautofailover.node table, whose goals each test writes: the rows the monitor had when acked
 * writes were lost in monitor-down-then-primary-killed must leave the commit in doubt, not acked.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { monitorAloneGuard, type AloneCommitGuard } from '../../../src/adapters/postgres/alone-guard.js';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import { freePort, setPgSetting, startPgServer, type PgServer } from '../../helpers/pg-server.js';

let server: PgServer;
const closers: Array<() => Promise<unknown>> = [];

async function sql(text: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(text, params);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  server = await startPgServer();
  await sql(`CREATE SCHEMA pgautofailover;
    CREATE TABLE pgautofailover.node (formationid text, groupid int, nodeid bigint, nodehost text, nodeport int, goalstate text, nodename text, reportedstate text)`);
}, 90_000);
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The fake monitor's group: this server as node 1, a node 2 elsewhere. */
async function monitorSays(goal1: string, goal2: string): Promise<void> {
  await sql('DELETE FROM pgautofailover.node');
  await sql(
    `INSERT INTO pgautofailover.node VALUES ('default', 0, 1, '127.0.0.1', $1, $2, 'node_1', $2), ('default', 0, 2, '127.0.0.12', $3, $4, 'node_2', $4)`,
    [server.port, goal1, server.port + 1, goal2],
  );
}

/** The guard on the fake monitor, counting its calls. */
function guardOn(monitorUrl: string): { guard: AloneCommitGuard; calls: () => number } {
  const inner = monitorAloneGuard(monitorUrl, 2000);
  let calls = 0;
  return {
    guard: (self) => {
      calls += 1;
      return inner(self);
    },
    calls: () => calls,
  };
}

async function store(aloneGuard?: AloneCommitGuard): Promise<PgStore> {
  const s = await PgStore.open({
    url: `${server.url}?target_session_attrs=read-write`,
    ...(aloneGuard === undefined ? {} : { aloneGuard }),
  });
  closers.push(() => s.close());
  return s;
}

const NOW = 1_700_000_000_000;
const unit = (value: string) => ({ ops: [{ op: 'meta_put' as const, key: 'probe', value }] });
const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (error: unknown) => error,
  );

describe('a commit with no synchronous standby', () => {
  it('is in doubt, not acked, while the monitor promotes the other node; without the guard it was acked', async () => {
    await monitorSays('demote_timeout', 'prepare_promotion');
    const unguarded = await store();
    expect((await unguarded.commit([unit('acked alone')], NOW)).units).toHaveLength(1);

    const { guard, calls } = guardOn(server.url);
    const s = await store(guard);
    const mark = s.highWaterMark();
    const refused = await failure(s.commit([unit('in doubt')], NOW));
    expect(refused).toBeInstanceOf(Error);
    expect(s.classifyError(refused)).toBe('in_doubt');
    expect((refused as Error).message).toContain(
      `the monitor is demoting this node: node 1 (127.0.0.1:${server.port}) goal demote_timeout`,
    );
    expect(calls()).toBe(1);
    // Applied on this node (so a retry is answered by its mutation id if the node stays), never acked.
    expect(await s.meta('probe')).toBe('in doubt');
    expect(s.highWaterMark()).toBe(mark);

    // The monitor settles with this node the primary and the other one catching up: commits are acked again.
    await monitorSays('wait_primary', 'catchingup');
    expect((await s.commit([unit('acked')], NOW)).units).toHaveLength(1);
    expect(calls()).toBe(2);
  });

  it('a takeover made alone is not led under while the monitor demotes this node (a failover would drop its epoch)', async () => {
    await monitorSays('demote_timeout', 'prepare_promotion');
    const s = await store(guardOn(server.url).guard);
    const before = await s.currentEpoch();
    const refused = await failure(s.takeOver('hub-a', NOW));
    expect(s.classifyError(refused)).toBe('in_doubt');
    // Seen before the takeover's transaction: no epoch written.
    expect(await s.currentEpoch()).toBe(before);

    await monitorSays('wait_primary', 'catchingup');
    expect(await s.takeOver('hub-a', NOW)).toBe(before + 1);
  });

  it('is in doubt when the monitor does not answer', async () => {
    const s = await store(guardOn(`postgres://autoctl_node@127.0.0.1:${await freePort()}/pg_auto_failover`).guard);
    const refused = await failure(s.commit([unit('monitor gone')], NOW));
    expect(s.classifyError(refused)).toBe('in_doubt');
    expect((refused as Error).message).toContain('the monitor did not answer');
  });

  it('costs no monitor read while the node commits with a standby named', async () => {
    await monitorSays('demote_timeout', 'prepare_promotion');
    // A standby named but not waited for (local commits), so one server can play a synchronous primary.
    await setPgSetting(server.url, 'synchronous_commit', 'local', 'local');
    await setPgSetting(server.url, 'synchronous_standby_names', 'pgautofailover_standby_2', 'pgautofailover_standby_2');
    try {
      const { guard, calls } = guardOn(server.url);
      const s = await store(guard);
      expect((await s.commit([unit('with a standby')], NOW)).units).toHaveLength(1);
      expect(calls()).toBe(0);
    } finally {
      await setPgSetting(server.url, 'synchronous_standby_names', null, '');
      await setPgSetting(server.url, 'synchronous_commit', null, 'on');
    }
  });
});
