/**
 * Issue 13, item 1: mutation ids are scoped to (user, device). After a device id is released to another
 * user, that user's mutationId — even one the previous owner used — is applied, not answered with the
 * previous owner's stored result; each user's retry is still answered once, after a restart too (seeds),
 * and rows written before the scoping (schema 3) still answer their device's owner after the upgrade.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, migrate } from '../../../src/adapters/sqlite/schema.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { bootHubs, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal, snapshotWithLines } from '../../helpers/terminal.js';

const ADMIN = 'mutation-scope-admin';
const MANAGER = 'dev:manager:marta';
const CASHIER = 'dev:cashier:carl';
const DEVICE = 'shared-till';
const REF = 'Scope-1';
const boot = bootHubs();
const dir = mkdtempSync(join(tmpdir(), 'pos-hub-mutation-scope-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Msg = Awaited<ReturnType<TestTerminal['awaitType']>>;

async function snapshotOnce(t: TestTerminal, baseVersion: number, lines: number): Promise<Msg> {
  t.send({
    type: 'ORDER_SNAPSHOT',
    posReference: REF,
    baseVersion,
    snapshot: snapshotWithLines(REF, 31, lines),
    mutationId: 'm-1',
  });
  return t.awaitType('ORDER_ACK');
}

async function ticketOnce(t: TestTerminal): Promise<Msg> {
  t.send({ type: 'TICKET_NUMBER_REQUEST', orderType: 'takeout', mutationId: 't-1' });
  return t.awaitType('TICKET_NUMBER');
}

async function release(hub: StartedHub): Promise<void> {
  const res = await fetch(`${hub.url}/api/devices/release`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ deviceId: DEVICE }),
  });
  expect(await res.json()).toEqual({ ok: true, released: true });
}

describe('mutation ids scoped to (user, device)', () => {
  it('applies a second user’s mutationId on a released device; each user’s retry is answered once, across a restart', async () => {
    const dbPath = join(dir, 'scope.sqlite');
    const first = await boot({ dbPath, env: { HUB_ADMIN_TOKEN: ADMIN } });
    const manager = await TestTerminal.connect(first.wsUrl, { deviceId: DEVICE, token: MANAGER });
    manager.send({ type: 'LEASE_ACQUIRE', posReference: REF, baseVersion: 0, tableId: 31 });
    await manager.awaitType('LEASE_GRANTED');
    const managerAck = await snapshotOnce(manager, 0, 1);
    expect(managerAck).toMatchObject({ posReference: REF, version: 1, mutationId: 'm-1' });
    expect(await snapshotOnce(manager, 0, 1)).toEqual(managerAck);
    const managerTicket = await ticketOnce(manager);
    expect(await ticketOnce(manager)).toEqual(managerTicket);
    manager.send({ type: 'LEASE_RELEASE', posReference: REF });
    await manager.awaitType('LEASE_RELEASED');

    await release(first);
    expect((await manager.closed).code).toBe(4001);

    // Same device, same mutation ids, another user: applied as new mutations.
    const cashier = await TestTerminal.connect(first.wsUrl, { deviceId: DEVICE, token: CASHIER });
    cashier.send({ type: 'LEASE_ACQUIRE', posReference: REF, baseVersion: 1, tableId: 31 });
    await cashier.awaitType('LEASE_GRANTED');
    const cashierAck = await snapshotOnce(cashier, 1, 2);
    expect(cashierAck).toMatchObject({ posReference: REF, version: 2, mutationId: 'm-1' });
    expect(cashierAck.seq).not.toBe(managerAck.seq);
    const cashierTicket = await ticketOnce(cashier);
    expect(cashierTicket.ticketNumber).toBe((managerTicket.ticketNumber as number) + 1);
    // …and the cashier's own retry is answered once.
    expect(await snapshotOnce(cashier, 1, 2)).toEqual(cashierAck);
    expect(await ticketOnce(cashier)).toEqual(cashierTicket);
    await cashier.close();
    await first.close();

    // After a restart the actors are seeded with the owner: the cashier's retry still replays.
    const second = await boot({ dbPath, env: { HUB_ADMIN_TOKEN: ADMIN } });
    const back = await TestTerminal.connect(second.wsUrl, { deviceId: DEVICE, token: CASHIER });
    expect(await snapshotOnce(back, 1, 2)).toEqual(cashierAck);
    expect(await ticketOnce(back)).toEqual(cashierTicket);
    await back.close();
  }, 90_000);

  it('upgrades stored mutations to their device’s owner, so a reconnecting owner’s replay still answers', () => {
    const db = new Database(join(dir, 'legacy.sqlite'));
    migrate(db);
    // Put the mutations table back as schema 3 left it: keyed on (terminal_id, mutation_id).
    db.exec(`DROP TABLE mutations;
      CREATE TABLE mutations (terminal_id TEXT NOT NULL, mutation_id TEXT NOT NULL, home_key TEXT NOT NULL, pos_reference TEXT,
        result TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (terminal_id, mutation_id));
      CREATE INDEX mutations_home ON mutations(home_key);`);
    db.pragma('user_version = 3');
    const put = db.prepare(`INSERT INTO mutations VALUES (?, ?, 't:1', 'A', ?, 'then')`);
    put.run('bound', 'm-1', JSON.stringify({ type: 'ORDER_ACK', version: 1 }));
    put.run('unbound', 'm-1', JSON.stringify({ type: 'ORDER_ACK', version: 7 }));
    put.run('damaged', 'm-1', JSON.stringify({ type: 'ORDER_ACK', version: 9 }));
    db.prepare(`INSERT INTO meta VALUES ('device:bound', ?)`).run(JSON.stringify({ owner: 'odoo:7', lastSeen: 1 }));
    db.prepare(`INSERT INTO meta VALUES ('device:damaged', '{not json')`).run();
    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare(`SELECT owner, terminal_id AS t FROM mutations ORDER BY rowid`).all()).toEqual([
      { owner: 'odoo:7', t: 'bound' },
      { owner: '', t: 'unbound' },
      { owner: '', t: 'damaged' },
    ]);
    db.close();
  });

  it('answers a stored mutation only to the owner it was stored for', () => {
    const store = new HubStore({ path: join(dir, 'store.sqlite'), sync: 'normal' });
    store.putMutation('till', 'm-1', 't:1', 'A', { type: 'ORDER_ACK', version: 1 }, 0, 'odoo:7');
    expect(store.getMutation('till', 'm-1', 'odoo:7')).toEqual({ type: 'ORDER_ACK', version: 1 });
    expect(store.getMutation('till', 'm-1', 'odoo:8')).toBeUndefined();
    store.putMutation('till', 'm-1', 't:1', 'A', { type: 'ORDER_ACK', version: 2 }, 0, 'odoo:8');
    expect(store.getMutation('till', 'm-1', 'odoo:8')).toEqual({ type: 'ORDER_ACK', version: 2 });
    expect(store.seedOf('t:1').mutations).toEqual([
      { terminalId: 'till', owner: 'odoo:7', mutationId: 'm-1' },
      { terminalId: 'till', owner: 'odoo:8', mutationId: 'm-1' },
    ]);
    store.close();
  });
});
