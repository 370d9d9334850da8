/**
 * A real hub (child process, src/main.ts) on a real PostgreSQL 15 server with HUB_STORE=postgres: two
 * terminals sign in, one takes a lease and writes, the other receives the broadcast; the hub is killed
 * with SIGKILL and started again on the same database; the terminal that was away resumes from its
 * lastSeq with nothing lost and every acked version is stored once; a finalization reaches the Odoo
 * simulator exactly once, and a restart does not send it again.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';
import { HUB_LOGIN, HUB_PASSWORD, SIM_DB, SIM_POS_CONFIG, startOdooSim, type StartedOdooSim } from '../../helpers/odoo-sim.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';
import { spawnHub, type SpawnedHub } from '../../helpers/spawn-hub.js';
import { TestTerminal, snapshot } from '../../helpers/terminal.js';

let server: PgServer | null = null;
let odoo: StartedOdooSim | null = null;
const hubs: SpawnedHub[] = [];
const terminals: TestTerminal[] = [];

beforeAll(async () => {
  server = await startPgServer();
  odoo = await startOdooSim();
}, 90_000);

afterAll(async () => {
  await odoo?.close();
  await server?.close();
});

afterEach(async () => {
  for (const t of terminals.splice(0)) await t.drop();
  for (const hub of hubs.splice(0).reverse()) await hub.kill('SIGKILL');
});

async function database(name: string): Promise<string> {
  if (server === null) throw new Error('postgres server not started');
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return `postgres://postgres@127.0.0.1:${server.port}/${name}?target_session_attrs=read-write`;
}

async function startHub(url: string): Promise<{ hub: SpawnedHub; wsUrl: string }> {
  if (odoo === null) throw new Error('odoo simulator not started');
  const hub = await spawnHub({
    env: {
      HUB_STORE: 'postgres',
      HUB_PG_URL: url,
      ODOO_URL: odoo.url,
      ODOO_DB: SIM_DB,
      ODOO_USER: HUB_LOGIN,
      ODOO_PASSWORD: HUB_PASSWORD,
      HUB_FORWARD_INTERVAL_MS: '200',
    },
  });
  hubs.push(hub);
  return { hub, wsUrl: `ws://127.0.0.1:${hub.listening!.port}` };
}

async function terminal(wsUrl: string, deviceId: string, lastSeq?: number): Promise<TestTerminal> {
  const t = await TestTerminal.connect(wsUrl, lastSeq === undefined ? { deviceId } : { deviceId, lastSeq });
  terminals.push(t);
  return t;
}

describe('a hub on PostgreSQL (HUB_STORE=postgres)', () => {
  it('serves, survives SIGKILL, resumes from lastSeq with nothing lost, and forwards a finalize once', async () => {
    const url = await database('pg_hub_e2e');
    const first = await startHub(url);
    const ann = await terminal(first.wsUrl, 'pg-ann');
    const bob = await terminal(first.wsUrl, 'pg-bob');
    // The takeover at start made this hub the leader, with the first epoch.
    expect(ann.messages[0]).toMatchObject({ type: 'AUTH_OK', hub: { role: 'leader', epoch: 1 } });

    const ref = 'PG-1';
    ann.send({ type: 'LEASE_ACQUIRE', posReference: ref, baseVersion: 0, tableId: 4 });
    await ann.awaitType('LEASE_GRANTED');
    const write = async (t: TestTerminal, version: number): Promise<number> => {
      t.send({ type: 'ORDER_SNAPSHOT', posReference: ref, baseVersion: version - 1, mutationId: `pg-${version}`, snapshot: snapshot(ref, 4, { staffName: `v${version}` }) });
      const ack = await t.awaitType('ORDER_ACK', (m) => m.mutationId === `pg-${version}`);
      expect(ack).toMatchObject({ posReference: ref, version });
      return Number(ack.seq);
    };
    const seq1 = await write(ann, 1);
    // The other terminal receives the broadcast, stamped with the same seq.
    expect(await bob.awaitType('ORDER_UPDATED', (m) => m.posReference === ref)).toMatchObject({ version: 1, seq: seq1 });
    const bobSeq = bob.lastSeq;
    await terminals.splice(terminals.indexOf(bob), 1)[0]!.close();

    // Bob is away: three more writes are acked, then the hub dies without warning.
    const acked = [seq1];
    for (let v = 2; v <= 4; v++) acked.push(await write(ann, v));
    await first.hub.kill('SIGKILL');

    const second = await startHub(url);
    // A restarted hub takes over again: a new, higher epoch.
    const back = await terminal(second.wsUrl, 'pg-bob', bobSeq);
    expect(back.messages[0]).toMatchObject({ type: 'AUTH_OK', hub: { role: 'leader', epoch: 2 } });
    const resume = back.messages[1]!;
    expect(resume).toMatchObject({ type: 'SYNC_RESUME', fromSeq: bobSeq + 1, toSeq: acked.at(-1) });
    // The replayed events follow SYNC_RESUME in frames of their own: wait for the last before counting.
    await back.awaitMessage((m) => m.type === 'ORDER_UPDATED' && m.version === 4, 'the last replayed ORDER_UPDATED');
    const missed = back.messages.filter((m) => m.type === 'ORDER_UPDATED' && m.posReference === ref);
    expect(missed.map((m) => [m.version, m.seq])).toEqual([
      [2, acked[1]],
      [3, acked[2]],
      [4, acked[3]],
    ]);

    // Stored once each, in order, with gap-free seqs.
    const db = new pg.Client({ connectionString: url.replace('?target_session_attrs=read-write', '') });
    await db.connect();
    try {
      const { rows } = await db.query<{ id: number; payload: string }>(`SELECT id, payload FROM events WHERE type = 'ORDER_UPDATED' AND pos_reference = $1 ORDER BY id`, [ref]);
      expect(rows.map((r) => (JSON.parse(r.payload) as { version: number }).version)).toEqual([1, 2, 3, 4]);
      expect(rows.map((r) => Number(r.id))).toEqual(acked);

      // A finalize: acked after its commit, forwarded to Odoo once, not again after another SIGKILL and restart.
      const annAgain = await terminal(second.wsUrl, 'pg-ann', acked.at(-1));
      const paid = 'Main/00042-001-0001';
      annAgain.send({ type: 'ORDER_FINALIZE', posReference: paid, snapshot: paidSnapshot(paid), configId: SIM_POS_CONFIG.id, mutationId: 'pg-fin' });
      await annAgain.awaitType('ORDER_ACK', (m) => m.mutationId === 'pg-fin');
      await annAgain.awaitMessage((m) => m.type === 'ORDER_FINALIZED' && m.posReference === paid, 'ORDER_FINALIZED');
      expect(odoo!.sim.ordersFor(paid)).toBe(1);
      await second.hub.kill('SIGKILL');

      const third = await startHub(url);
      const late = await terminal(third.wsUrl, 'pg-cid');
      await late.close();
      // Marked forwarded in the same database before the kill: the restarted forwarder has nothing to send.
      const health = async (): Promise<{ pendingForward?: number; totalForwarded?: number }> =>
        (await (await fetch(`http://127.0.0.1:${third.hub.listening!.port}/health`)).json()) as { pendingForward?: number; totalForwarded?: number };
      expect(await health()).toMatchObject({ pendingForward: 0, totalForwarded: 1 });
      const { rows: finalize } = await db.query<{ status: string }>(`SELECT status FROM events WHERE type = 'ORDER_FINALIZE' AND pos_reference = $1`, [paid]);
      expect(finalize).toEqual([{ status: 'forwarded' }]);
      expect(odoo!.sim.ordersFor(paid)).toBe(1);
    } finally {
      await db.end();
    }
  }, 240_000);
});
