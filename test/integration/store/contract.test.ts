/**
 * The store port's contract (src/ports/store.ts), held against both adapters: the embedded SQLite file
 * and a real PostgreSQL 15 server (one throwaway server for the file, a fresh database per test).
 * Whatever the writer relies on — gap-free seq under concurrent batches, duplicates answered not
 * applied, nothing served past the high-water mark, epochs that only grow — must hold on either engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { isFenced, type HubStorePort, type StoreOp, type StoreUnit } from '../../../src/ports/store.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';
import { pollUntil } from '../../helpers/wait.js';

const NOW = Date.UTC(2026, 11, 2, 20, 0, 0);

/** Opens a fresh empty store, and (`another`) a second handle on that same store, as a second hub would. */
interface Engine {
  open(): Promise<{ store: HubStorePort; another(): Promise<HubStorePort> }>;
}

const sqlite: Engine = {
  open() {
    const dir = mkdtempSync(join(tmpdir(), 'pos-hub-contract-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'hub.sqlite');
    const open = (): HubStorePort => track(SqliteStorePort.open({ path, sync: 'normal' }));
    return Promise.resolve({ store: open(), another: () => Promise.resolve(open()) });
  },
};

let server: PgServer | null = null;
let databases = 0;
const postgres: Engine = {
  async open() {
    if (server === null) throw new Error('postgres server not started');
    const name = `contract_${(databases += 1)}`;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = `postgres://postgres@127.0.0.1:${server.port}/${name}?target_session_attrs=read-write`;
    return { store: track(await PgStore.open({ url })), another: async () => track(await PgStore.open({ url })) };
  },
};

let cleanups: Array<() => unknown> = [];
function track(store: HubStorePort): HubStorePort {
  cleanups.push(() => store.close());
  return store;
}

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

beforeAll(async () => {
  server = await startPgServer();
}, 90_000);

afterAll(async () => {
  await server?.close();
});

const snapshot = (posReference: string, lines: number): OrderSnapshot =>
  ({
    posReference,
    lines: Array.from({ length: lines }, (_, i) => ({ id: `l${i}`, qty: 1 })),
  }) as unknown as OrderSnapshot;

const event = (posReference: string, type = 'ORDER_UPDATED'): StoreOp => ({
  op: 'event',
  type,
  posReference,
  payload: { type, posReference },
  sourceTerminal: 'T1',
});

const orderUnit = (posReference: string, version: number, events = 1): StoreUnit => ({
  ops: [
    {
      op: 'order_put',
      order: {
        posReference,
        homeKey: 't:1',
        tableId: 1,
        version,
        snapshot: snapshot(posReference, version),
        state: 'editing',
        terminalId: 'T1',
      },
    },
    ...Array.from({ length: events }, () => event(posReference)),
  ],
});

describe.each([
  ['sqlite', sqlite],
  ['postgres', postgres],
] as const)('store contract on %s', (_name, engine) => {
  it('commits a unit: its event gets the next seq, is served with it, and its rows read back', async () => {
    const { store } = await engine.open();
    const result = await store.commit([orderUnit('A/1', 1)], NOW);
    expect(result.units).toEqual([{ kind: 'applied', seq: 1, replies: [] }]);
    expect(store.highWaterMark()).toBe(1);
    expect(await store.readEvents(0, 10)).toEqual([
      { seq: 1, payload: { type: 'ORDER_UPDATED', posReference: 'A/1', seq: 1 } },
    ]);
    // A terminal is not sent back its own events on resume.
    expect(await store.readEvents(0, 10, 'T1')).toEqual([]);
    const contents = await store.contents();
    expect(contents.orders.map((o) => [o.posReference, o.version, o.snapshot?.posReference])).toEqual([
      ['A/1', 1, 'A/1'],
    ]);
    expect((await store.seedOf('t:1')).orders.map((o) => o.posReference)).toEqual(['A/1']);
  });

  it('keeps seq gap-free and in order under concurrent batches, each batch one transaction', async () => {
    const { store } = await engine.open();
    const batches = Array.from({ length: 12 }, (_, b) => [
      orderUnit(`C/${b}`, 1, 1 + (b % 3)),
      orderUnit(`D/${b}`, 1, 1),
    ]);
    const results = await Promise.all(batches.map((units) => store.commit(units, NOW)));
    const total = batches.reduce(
      (n, units) => n + units.reduce((m, u) => m + u.ops.filter((o) => o.op === 'event').length, 0),
      0,
    );
    const seqs = results.flatMap((r) => r.units.map((u) => (u.kind === 'applied' ? u.seq : null)));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(store.highWaterMark()).toBe(total);
    const served = await store.readEvents(0, 1000);
    expect(served?.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('leaves no gap after a batch that failed: nothing of it is applied and its seqs are given again', async () => {
    const { store } = await engine.open();
    await store.commit([orderUnit('F/1', 1)], NOW);
    const failing: StoreUnit = {
      ops: [
        event('F/2'),
        {
          op: 'ticket',
          businessDay: '2026-12-02',
          orderType: 'takeaway',
          terminalId: 'T1',
          reply: () => {
            throw new Error('reply refused');
          },
        },
      ],
    };
    await expect(store.commit([orderUnit('F/3', 1), failing], NOW)).rejects.toThrow('reply refused');
    expect(store.highWaterMark()).toBe(1);
    const after = await store.commit([orderUnit('F/4', 1)], NOW);
    expect(after.units[0]).toMatchObject({ kind: 'applied', seq: 2 });
    expect((await store.contents()).orders.map((o) => o.posReference)).toEqual(['F/1', 'F/4']);
  });

  it('answers a duplicate mutation id with the first reply and applies nothing', async () => {
    const { store } = await engine.open();
    const unit = (version: number): StoreUnit => ({
      dedupe: { terminalId: 'T1', mutationId: 'm-1' },
      ops: [
        ...orderUnit('M/1', version).ops,
        {
          op: 'mutation',
          terminalId: 'T1',
          mutationId: 'm-1',
          homeKey: 't:1',
          posReference: 'M/1',
          result: { type: 'ACK', mutationId: 'm-1' },
        },
      ],
    });
    const first = await store.commit([unit(1)], NOW);
    expect(first.units[0]).toEqual({ kind: 'applied', seq: 1, replies: [] });
    const retry = await store.commit([unit(2)], NOW);
    expect(retry.units[0]).toEqual({ kind: 'duplicate', reply: { type: 'ACK', mutationId: 'm-1', seq: 1 } });
    expect(store.highWaterMark()).toBe(1);
    expect((await store.contents()).orders[0]?.version).toBe(1);
    expect(await store.getMutation('T1', 'm-1')).toEqual({ type: 'ACK', mutationId: 'm-1', seq: 1 });
    // A replay op reads the stored reply into the unit's replies.
    const replay = await store.commit([{ ops: [{ op: 'replay', terminalId: 'T1', mutationId: 'm-1' }] }], NOW);
    expect(replay.units[0]).toEqual({
      kind: 'applied',
      seq: null,
      replies: [{ terminalId: 'T1', reply: { type: 'ACK', mutationId: 'm-1', seq: 1 } }],
    });
  });

  it('scopes mutation ids by the device owner: one user never answers the id of another user on the same device', async () => {
    const { store } = await engine.open();
    const unit = (owner: string, version: number): StoreUnit => ({
      dedupe: { terminalId: 'T1', owner, mutationId: 'm-1' },
      ops: [
        ...orderUnit('W/1', version).ops,
        { op: 'mutation', terminalId: 'T1', owner, mutationId: 'm-1', homeKey: 't:1', posReference: 'W/1', result: { type: 'ACK', owner } },
      ],
    });
    await store.commit([unit('ann', 1)], NOW);
    // The device went to bob: his m-1 is his own write, applied, not ann's reply.
    const bob = await store.commit([unit('bob', 2)], NOW);
    expect(bob.units[0]).toEqual({ kind: 'applied', seq: 2, replies: [] });
    const again = await store.commit([unit('ann', 3)], NOW);
    expect(again.units[0]).toEqual({ kind: 'duplicate', reply: { type: 'ACK', owner: 'ann', seq: 1 } });
    expect(await store.getMutation('T1', 'm-1', 'bob')).toEqual({ type: 'ACK', owner: 'bob', seq: 2 });
    expect(await store.getMutation('T1', 'm-1')).toBeUndefined();
    const replay = await store.commit([{ ops: [{ op: 'replay', terminalId: 'T1', owner: 'bob', mutationId: 'm-1' }] }], NOW);
    expect(replay.units[0]).toMatchObject({ replies: [{ terminalId: 'T1', reply: { owner: 'bob' } }] });
    const owners = (await store.contents()).mutations.map((m) => m.owner).sort();
    expect(owners).toEqual(['ann', 'bob']);
    expect((await store.seedOf('t:1')).mutations.map((m) => m.owner).sort()).toEqual(['ann', 'bob']);
  });

  it('numbers tickets per day and type, and answers a retried ticket with its first number', async () => {
    const { store } = await engine.open();
    const ticket = (mutationId?: string): StoreUnit => ({
      ops: [
        {
          op: 'ticket',
          businessDay: '2026-12-02',
          orderType: 'takeaway',
          terminalId: 'T1',
          ...(mutationId === undefined ? {} : { mutationId }),
          reply: (n) => ({ type: 'TICKET_NUMBER', ticketNumber: n }),
        },
      ],
    });
    const result = await store.commit([ticket('t-1'), ticket(), ticket('t-1')], NOW);
    expect(result.units.map((u) => (u.kind === 'applied' ? u.replies : u.reply))).toEqual([
      [{ terminalId: 'T1', reply: { type: 'TICKET_NUMBER', ticketNumber: 1 } }],
      [{ terminalId: 'T1', reply: { type: 'TICKET_NUMBER', ticketNumber: 2 } }],
      [{ terminalId: 'T1', reply: { type: 'TICKET_NUMBER', ticketNumber: 1 } }],
    ]);
  });

  it('serves events only up to its own high-water mark, never what another handle committed since', async () => {
    const { store, another } = await engine.open();
    await store.commit([orderUnit('H/1', 1)], NOW);
    const second = await another();
    await second.commit([orderUnit('H/2', 1, 2)], NOW);
    expect(second.highWaterMark()).toBe(3);
    // The first handle never saw those commits return: they are not served through it.
    expect(store.highWaterMark()).toBe(1);
    expect((await store.readEvents(0, 10))?.map((e) => e.seq)).toEqual([1]);
    expect(await store.readEvents(2, 10)).toBeNull();
    expect((await second.readEvents(1, 10))?.map((e) => e.seq)).toEqual([2, 3]);
  });

  it('a follower handle moves its mark by a synchronous write of its own (Postgres), and names homes and grant holders', async () => {
    const { store, another } = await engine.open();
    const leader = await another();
    const lease = { posReference: 'Q/2', homeKey: 'o:Q/2', terminalId: 'T1', role: 'cashier', tableId: null, expiresAt: NOW + 60_000, epoch: 1 };
    const lock = { tableId: 3, terminalId: 'T1', role: 'cashier', expiresAt: NOW + 45_000, epoch: 1 };
    await leader.commit([orderUnit('Q/1', 1, 2), { ops: [{ op: 'lease_put', lease }, { op: 'lock_put', lock }] }], NOW);
    // Postgres: the leader's commits returned, so they are on the standby and the follower may serve them.
    // SQLite is never replicated and never tails: its mark stays what its own commits returned.
    const expected = _name === 'postgres' ? 2 : 0;
    expect(await store.refreshMark()).toBe(expected);
    expect(store.highWaterMark()).toBe(expected);
    expect((await store.readEvents(0, 10))?.map((e) => e.seq)).toEqual(expected === 2 ? [1, 2] : []);
    const homes = await store.homesOf(['Q/1', 'Q/2', 'Q/none']);
    expect([...homes].map(([p, k]) => `${p}@${k}`).sort()).toEqual(['Q/1@t:1', 'Q/2@o:Q/2']);
    expect((await store.homesOf(null)).length).toBe(2);
    expect((await store.grantKeys()).sort()).toEqual(['o:Q/2', 't:3']);
  });

  it('gives takeover epochs that only grow, across reopen and reset', async () => {
    const { store, another } = await engine.open();
    expect(await store.currentEpoch()).toBe(0);
    const first = await store.takeOver('hub-a', NOW);
    const second = await store.takeOver('hub-b', NOW + 1);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    await store.reset();
    await store.close();
    const reopened = await another();
    expect(await reopened.currentEpoch()).toBe(second);
    expect(await reopened.takeOver('hub-a', NOW + 2)).toBeGreaterThan(second);
  });

  it('refuses a fenced commit whose epoch is not the latest: nothing applied, no seq used, the leader continues gap-free', async () => {
    const { store, another } = await engine.open();
    const mine = await store.takeOver('hub-a', NOW);
    expect((await store.commit([orderUnit('G/1', 1)], NOW, mine)).units[0]).toMatchObject({ kind: 'applied', seq: 1 });
    const second = await another();
    const theirs = await second.takeOver('hub-b', NOW + 1);
    const ticket: StoreUnit = {
      ops: [
        {
          op: 'ticket',
          businessDay: '2026-12-02',
          orderType: 'takeaway',
          terminalId: 'T1',
          mutationId: 'tk-1',
          reply: (n) => ({ type: 'TICKET_NUMBER', ticketNumber: n }),
        },
      ],
    };
    const refused: unknown = await store.commit([orderUnit('G/2', 1, 2), ticket], NOW, mine).then(
      () => 'committed',
      (error: unknown) => error,
    );
    expect(isFenced(refused)).toBe(true);
    expect((refused as { details: unknown }).details).toEqual({ classification: 'fenced', fence: mine, current: theirs });
    expect(store.highWaterMark()).toBe(1);
    // Nothing of the refused batch exists: no order, no event, no ticket number, no remembered reply.
    expect(await second.getMutation('T1', 'tk-1')).toBeUndefined();
    expect((await second.contents()).orders.map((o) => o.posReference)).toEqual(['G/1']);
    const next = await second.commit([orderUnit('G/3', 1), ticket], NOW, theirs);
    expect(next.units[0]).toMatchObject({ kind: 'applied', seq: 2 });
    expect(next.units[1]).toMatchObject({
      kind: 'applied',
      replies: [{ terminalId: 'T1', reply: { type: 'TICKET_NUMBER', ticketNumber: 1 } }],
    });
    // The refusal is an answer, not a broken handle: the old writer still reads, and the same epoch stays refused.
    await expect(store.commit([orderUnit('G/4', 1)], NOW, mine)).rejects.toSatisfy(isFenced);
    const reader = await another();
    expect((await reader.readEvents(0, 10))?.map((e) => e.seq)).toEqual([1, 2]);
    expect((await reader.contents()).orders.map((o) => o.posReference).sort()).toEqual(['G/1', 'G/3']);
  });

  it('gives two takeovers at once two different epochs, and only the newer one commits', async () => {
    const { store, another } = await engine.open();
    const second = await another();
    const [a, b] = await Promise.all([store.takeOver('hub-a', NOW), second.takeOver('hub-b', NOW)]);
    expect(a).not.toBe(b);
    const [older, newer] = a < b ? [store, second] : [second, store];
    const [olderFence, newerFence] = a < b ? [a, b] : [b, a];
    const [stale, fresh] = await Promise.allSettled([
      older.commit([orderUnit('K/old', 1)], NOW, olderFence),
      newer.commit([orderUnit('K/new', 1)], NOW, newerFence),
    ]);
    expect(stale.status === 'rejected' && isFenced(stale.reason)).toBe(true);
    expect(fresh.status === 'fulfilled' && fresh.value.units[0]).toMatchObject({ kind: 'applied', seq: 1 });
    expect(older.highWaterMark()).toBe(0);
    const reader = await another();
    expect((await reader.contents()).orders.map((o) => o.posReference)).toEqual(['K/new']);
    expect(await reader.currentEpoch()).toBe(newerFence);
  });

  it('keeps lease and lock epochs with their rows and rebuilds one actor from its home key', async () => {
    const { store } = await engine.open();
    await store.commit(
      [
        {
          ops: [
            {
              op: 'lease_put',
              lease: {
                posReference: 'L/1',
                homeKey: 't:4',
                terminalId: 'T2',
                role: 'waiter',
                tableId: 4,
                expiresAt: NOW + 30_000,
                epoch: 7,
              },
            },
            {
              op: 'lock_put',
              lock: { tableId: 4, terminalId: 'T2', role: 'waiter', expiresAt: NOW + 30_000, epoch: 3 },
            },
            { op: 'table_put', table: { tableId: 4, status: 'occupied', posReference: 'L/1' } },
            { op: 'floor_plan_put', floorId: 1, plan: { floorId: 1, name: 'Main' } },
          ],
        },
      ],
      NOW,
    );
    // A lower epoch never overwrites a higher one in the fencing table.
    await store.commit(
      [
        {
          ops: [
            {
              op: 'lock_put',
              lock: { tableId: 4, terminalId: 'T3', role: 'waiter', expiresAt: NOW + 60_000, epoch: 2 },
            },
          ],
        },
      ],
      NOW,
    );
    const seed = await store.seedOf('t:4');
    expect(seed.leases).toEqual([
      { posReference: 'L/1', terminalId: 'T2', role: 'waiter', tableId: 4, expiresAt: NOW + 30_000, epoch: 7 },
    ]);
    expect(seed.lock).toEqual({ terminalId: 'T3', role: 'waiter', expiresAt: NOW + 60_000, epoch: 2 });
    expect(seed.table).toEqual({ status: 'occupied', posReference: 'L/1' });
    expect([...seed.epochs].sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'lease:L/1', epoch: 7 },
      { key: 'lock:4', epoch: 3 },
    ]);
    expect((await store.contents()).floorPlans).toEqual([{ floorId: 1, name: 'Main' }]);
    await store.commit(
      [
        {
          ops: [
            { op: 'lease_delete', posReference: 'L/1' },
            { op: 'lock_delete', tableId: 4 },
          ],
        },
      ],
      NOW,
    );
    expect(await store.tallies()).toMatchObject({ activeLeases: 0, activeLocks: 0 });
  });

  it('queues a finalize for Odoo and records its outcome', async () => {
    const { store } = await engine.open();
    const finalize = { snapshot: snapshot('Q/1', 1), configId: 1, terminalId: 'T1' };
    await store.commit(
      [
        {
          ops: [
            ...orderUnit('Q/1', 1, 0).ops,
            { op: 'event', type: 'ORDER_FINALIZE', posReference: 'Q/1', payload: null, sourceTerminal: 'T1', finalize },
          ],
        },
      ],
      NOW,
    );
    const pending = await store.pendingForward(10, NOW);
    expect(pending.map((p) => [p.eventId, p.posReference, p.attempts])).toEqual([[1, 'Q/1', 0]]);
    expect((await store.contents()).finalizing).toEqual(['Q/1']);
    await store.markAttemptFailed(1, 'odoo down', NOW + 5000);
    expect(await store.pendingForward(10, NOW)).toEqual([]);
    expect((await store.pendingForward(10, NOW + 5000)).map((p) => p.attempts)).toEqual([1]);
    await store.markForwarded(1, { posReference: 'Q/1', orderId: 42, lineIdMap: {}, created: true }, NOW + 6000);
    expect(await store.tallies()).toMatchObject({ pendingForward: 0, totalForwarded: 1, deadLetters: 0 });
    expect((await store.contents()).orders[0]?.odooOrderId).toBe(42);
    expect(await store.meta('last_odoo_sync')).toBe(String(NOW + 6000));
  });

  it('prunes old events past retention, never those owed to Odoo, and resumes only from the floor', async () => {
    const { store } = await engine.open();
    const finalize = { snapshot: snapshot('P/0', 1), configId: 1, terminalId: 'T1' };
    await store.commit(
      [
        {
          ops: [
            { op: 'event', type: 'ORDER_FINALIZE', posReference: 'P/0', payload: null, sourceTerminal: 'T1', finalize },
          ],
        },
      ],
      NOW,
    );
    for (let i = 1; i <= 5; i++) await store.commit([orderUnit(`P/${i}`, 1)], NOW);
    const pruned = await store.prune({ closedOrders: 100, orderBytes: 1e9, retention: 2, eventBytes: 1e9 });
    expect(pruned).toMatchObject({ events: 3, resumeFloor: 4 });
    expect(await store.readEvents(3, 10)).toBeNull();
    expect((await store.readEvents(4, 10))?.map((e) => e.seq)).toEqual([5, 6]);
    expect((await store.pendingForward(10, NOW)).map((p) => p.eventId)).toEqual([1]);
    // More due than the limit: the caller falls back to a full sync.
    expect(await store.readEvents(4, 1)).toBeNull();
  });

  it('keeps meta rows (device owners) and resets data but not seq', async () => {
    const { store } = await engine.open();
    await store.setMeta('device:d1', '{"owner":"a","lastSeen":1}');
    expect(await store.meta('device:d1')).toBe('{"owner":"a","lastSeen":1}');
    expect(await store.deleteMeta('device:d1')).toBe(true);
    expect(await store.deleteMeta('device:d1')).toBe(false);
    await store.commit([orderUnit('R/1', 1)], NOW);
    await store.reset();
    expect((await store.contents()).orders).toEqual([]);
    expect(await store.readEvents(0, 10)).toBeNull();
    const next = await store.commit([orderUnit('R/2', 1)], NOW);
    expect(next.units[0]).toMatchObject({ seq: 2 });
  });

  it('quarantines a stored value too deep to send on, reading it as absent', async () => {
    const { store } = await engine.open();
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200; i++) deep = { d: deep };
    await store.commit([{ ops: [{ op: 'floor_plan_put', floorId: 9, plan: deep }] }], NOW);
    expect((await store.contents()).floorPlans).toEqual([]);
    expect(store.quarantinedRecords()).toEqual([expect.objectContaining({ kind: 'floor_plan', key: '9' })]);
  });
});

describe('store contract, postgres only', () => {
  it('serialises a fenced commit with a takeover in flight: it waits for the takeover and is refused', async () => {
    const { store } = await postgres.open();
    const mine = await store.takeOver('hub-a', NOW);
    if (server === null) throw new Error('postgres server not started');
    // A second hub's takeover, held open between its insert and its commit.
    const raw = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: `contract_${databases}` });
    await raw.connect();
    try {
      await raw.query('BEGIN');
      await raw.query('LOCK TABLE takeovers IN EXCLUSIVE MODE');
      await raw.query(`INSERT INTO takeovers (epoch, node, taken_at) VALUES ($1, 'hub-b', $2)`, [mine + 1, NOW]);
      const commit = store.commit([orderUnit('S/1', 1)], NOW, mine).then(
        () => 'committed',
        (error: unknown) => error,
      );
      // The commit is queued behind the takeover's lock (not before it, not past it).
      await pollUntil(async () => {
        const { rows } = await raw.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND relation = 'takeovers'::regclass`,
        );
        return Number(rows[0]?.n) === 1;
      }, 'the fenced commit waiting for the takeover lock');
      await raw.query('COMMIT');
      const outcome = await commit;
      expect(isFenced(outcome)).toBe(true);
      expect((outcome as { details: unknown }).details).toEqual({ classification: 'fenced', fence: mine, current: mine + 1 });
      expect(store.highWaterMark()).toBe(0);
      const { rows } = await raw.query<{ n: string }>('SELECT count(*) AS n FROM events');
      expect(Number(rows[0]?.n)).toBe(0);
    } finally {
      await raw.end();
    }
  });

  it('keeps seq gap-free when two hubs commit at once on their own connections', async () => {
    const { store, another } = await postgres.open();
    const second = await another();
    const rounds = 10;
    await Promise.all([
      (async () => {
        for (let i = 0; i < rounds; i++) await store.commit([orderUnit(`X/${i}`, 1, 2)], NOW);
      })(),
      (async () => {
        for (let i = 0; i < rounds; i++) await second.commit([orderUnit(`Y/${i}`, 1, 1)], NOW);
      })(),
    ]);
    const total = rounds * 3;
    const mark = Math.max(store.highWaterMark(), second.highWaterMark());
    expect(mark).toBe(total);
    const third = await another();
    expect((await third.readEvents(0, 1000))?.map((e) => e.seq)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
  });
});
