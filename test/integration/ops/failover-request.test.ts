/**
 * The Postgres side of a follower's failover request (docs/ha.md "A leader hub that keeps crashing") on a
 * real PostgreSQL 15: the cluster read carries the leader's fenced heartbeat into the rule's observation,
 * and the monitor call asks pg_auto_failover only while the monitor has every node settled (the monitor's
 * two objects are stood in for by a schema of the same names: node states and perform_failover).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failoverObservation, probeCluster } from '../../../src/adapters/postgres/cluster-view.js';
import { parsePgUrl } from '../../../src/adapters/postgres/connection.js';
import { requestFailover } from '../../../src/adapters/postgres/monitor.js';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import { LEADER_HEARTBEAT_KEY } from '../../../workers/writer/leader-heartbeat.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';

let server: PgServer;
beforeAll(async () => {
  server = await startPgServer();
}, 90_000);
afterAll(async () => {
  await server.close();
}, 30_000);

async function sql(statements: string): Promise<pg.QueryResult[]> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const out: pg.QueryResult[] = [];
    for (const statement of statements.split(';').filter((s) => s.trim() !== '')) out.push(await client.query(statement));
    return out;
  } finally {
    await client.end();
  }
}

describe('failover request, postgres side', () => {
  it("reads the leader's fenced heartbeat from the primary into the observation", async () => {
    const store = await PgStore.open({ url: server.url });
    try {
      const epoch = await store.takeOver('hub-a:8766', 1);
      await store.commit([{ ops: [{ op: 'meta_put', key: LEADER_HEARTBEAT_KEY, value: JSON.stringify({ epoch, beat: 7 }) }] }], 2, epoch);
      const probes = await probeCluster(parsePgUrl(server.url), { connectTimeoutMs: 2000, queryTimeoutMs: 5000 });
      expect(failoverObservation(probes, `127.0.0.1:${server.port}`)).toEqual({
        // Its own node is the primary here, not a standby: never a reason to ask.
        ownNodeSyncStandby: false,
        primaryCanCommit: true,
        heartbeat: JSON.stringify({ epoch, beat: 7 }),
        latest: { epoch, node: 'hub-a:8766' },
      });
    } finally {
      await store.close();
    }
  });

  it('asks the monitor only while every node is settled', async () => {
    await sql(`CREATE SCHEMA pgautofailover;
      CREATE TABLE pgautofailover.node (formationid text NOT NULL DEFAULT 'default', nodeid bigserial, groupid int NOT NULL, nodename text NOT NULL, nodehost text NOT NULL DEFAULT '127.0.0.1', nodeport int NOT NULL DEFAULT 5432, reportedstate text NOT NULL, goalstate text NOT NULL);
      CREATE TABLE pgautofailover.asked (formation text, grp int);
      CREATE FUNCTION pgautofailover.perform_failover(formation_id text DEFAULT 'default', group_id int DEFAULT 0) RETURNS void LANGUAGE sql AS 'INSERT INTO pgautofailover.asked VALUES (formation_id, group_id)';
      INSERT INTO pgautofailover.node (groupid, nodename, reportedstate, goalstate) VALUES (0, 'node_1', 'primary', 'primary'), (0, 'node_2', 'catchingup', 'secondary')`);
    const asked = async (): Promise<number> => Number((await sql('SELECT count(*) AS n FROM pgautofailover.asked'))[0]?.rows[0]?.n);

    await expect(requestFailover(server.url, 3000)).rejects.toThrow(/not settled \(node_1 primary→primary, node_2 catchingup→secondary\)/);
    expect(await asked()).toBe(0);

    await sql(`UPDATE pgautofailover.node SET reportedstate = 'secondary' WHERE nodename = 'node_2'`);
    await requestFailover(server.url, 3000);
    expect((await sql('SELECT formation, grp FROM pgautofailover.asked'))[0]?.rows).toEqual([{ formation: 'default', grp: 0 }]);
  });
});
