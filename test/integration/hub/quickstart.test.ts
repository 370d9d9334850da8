/**
 * The seed quickstart scripted in JSON frames against a real hub (worker threads, uWS on port 0,
 * SQLite in a temp dir): leases granted/denied/released, snapshots fanned out, CONFLICT on a stale
 * baseVersion, mutation replay, fencing, and the table lock granted/denied/forced/expired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal, snapshot, snapshotWithLines } from '../../helpers/terminal.js';

describe('hub quickstart: leases and snapshots', () => {
  let hub: StartedHub;
  const terminals: TestTerminal[] = [];
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await Promise.all(terminals.map((t) => t.close()));
    await hub.close();
  });
  const connect = async (deviceId: string, token = ''): Promise<TestTerminal> => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId, token });
    terminals.push(t);
    return t;
  };

  it('grants, denies, syncs, conflicts and releases like the reference', async () => {
    const tab1 = await connect('tab-1');
    const tab2 = await connect('tab-2', 'dev:cashier:ann');
    expect(tab1.messages[0]).toMatchObject({ type: 'AUTH_OK', terminalId: 'tab-1', role: 'manager', encoding: 'json' });
    expect(tab2.messages[0]).toMatchObject({ type: 'AUTH_OK', terminalId: 'tab-2', role: 'cashier' });
    expect(tab1.messages[1]).toMatchObject({ type: 'SYNC_INIT', orders: [] });

    tab1.send({ type: 'LEASE_ACQUIRE', posReference: 'Order-1', baseVersion: 0, tableId: 1 });
    const granted = await tab1.awaitType('LEASE_GRANTED');
    expect(granted).toMatchObject({ posReference: 'Order-1', version: 0, epoch: 1 });

    tab2.send({ type: 'LEASE_ACQUIRE', posReference: 'Order-1', baseVersion: 0 });
    expect(await tab2.awaitType('LEASE_DENIED')).toMatchObject({ posReference: 'Order-1', holder: 'tab-1', code: 'LEASE_HELD' });

    // A write by a non-holder is refused before any version check.
    tab2.send({ type: 'ORDER_SNAPSHOT', posReference: 'Order-1', baseVersion: 0, snapshot: snapshot('Order-1', 1) });
    expect(await tab2.awaitType('LEASE_DENIED')).toMatchObject({ holder: 'tab-1' });

    tab1.send({ type: 'ORDER_SNAPSHOT', posReference: 'Order-1', baseVersion: 0, snapshot: snapshotWithLines('Order-1', 1, 1), mutationId: 'm-1' });
    const ack = await tab1.awaitType('ORDER_ACK');
    expect(ack).toMatchObject({ posReference: 'Order-1', version: 1, mutationId: 'm-1' });
    const updated = await tab2.awaitType('ORDER_UPDATED');
    expect(updated).toMatchObject({ posReference: 'Order-1', version: 1, sourceTerminal: 'tab-1', seq: ack.seq });
    expect((updated.snapshot as { lines: unknown[] }).lines).toHaveLength(1);
    expect(tab1.messages.some((m) => m.type === 'ORDER_UPDATED')).toBe(false);

    // The same mutation again: its first result, not a second version.
    tab1.send({ type: 'ORDER_SNAPSHOT', posReference: 'Order-1', baseVersion: 0, snapshot: snapshotWithLines('Order-1', 1, 1), mutationId: 'm-1' });
    expect(await tab1.awaitType('ORDER_ACK')).toEqual(ack);

    tab1.send({ type: 'ORDER_SNAPSHOT', posReference: 'Order-1', baseVersion: 0, snapshot: snapshotWithLines('Order-1', 1, 3) });
    const conflict = await tab1.awaitType('CONFLICT');
    expect(conflict).toMatchObject({ posReference: 'Order-1', hubVersion: 1 });
    expect((conflict.hubSnapshot as { lines: unknown[] }).lines).toHaveLength(1);

    tab2.send({ type: 'LEASE_RELEASE', posReference: 'Order-1' });
    expect(await tab2.awaitType('ERROR')).toMatchObject({ code: 'LEASE_NOT_HELD', ref: { type: 'LEASE_RELEASE', posReference: 'Order-1' } });
    tab2.send({ type: 'LEASE_HEARTBEAT', posReference: 'Order-1' });
    expect(await tab2.awaitType('ERROR')).toMatchObject({ code: 'LEASE_NOT_HELD' });

    tab1.send({ type: 'LEASE_RELEASE', posReference: 'Order-1', finalSnapshot: snapshotWithLines('Order-1', 1, 2) });
    expect(await tab1.awaitType('ORDER_ACK')).toMatchObject({ version: 2 });
    expect(await tab1.awaitType('LEASE_RELEASED')).toMatchObject({ posReference: 'Order-1', version: 2 });
    expect(await tab2.awaitType('ORDER_UPDATED')).toMatchObject({ version: 2 });

    tab2.send({ type: 'LEASE_ACQUIRE', posReference: 'Order-1', baseVersion: 2 });
    const second = await tab2.awaitType('LEASE_GRANTED');
    expect(second).toMatchObject({ version: 2, epoch: 2 });

    // Fencing: a write carrying the older grant's epoch is refused.
    tab2.send({ type: 'ORDER_SNAPSHOT', posReference: 'Order-1', baseVersion: 2, epoch: 1, snapshot: snapshotWithLines('Order-1', 1, 2) });
    expect(await tab2.awaitType('ERROR')).toMatchObject({ code: 'STALE_EPOCH' });
    tab2.send({ type: 'ORDER_SNAPSHOT', posReference: 'Order-1', baseVersion: 2, epoch: 2, snapshot: snapshotWithLines('Order-1', 1, 4) });
    expect(await tab2.awaitType('ORDER_ACK')).toMatchObject({ version: 3 });
    expect(await tab1.awaitType('ORDER_UPDATED', (m) => m.version === 3)).toMatchObject({ sourceTerminal: 'tab-2' });

    // A new terminal's SYNC_INIT has the order, its version and its holder.
    const tab3 = await connect('tab-3');
    expect(tab3.messages[1]).toMatchObject({ type: 'SYNC_INIT', orders: [{ posReference: 'Order-1', version: 3, tableId: 1, leasedBy: 'tab-2' }] });

    const health = (await (await fetch(`${hub.url}/health`)).json()) as Record<string, unknown>;
    expect(Object.keys(health).slice(0, 8)).toEqual(['status', 'uptime', 'connectedTerminals', 'activeLeases', 'orders', 'pendingForward', 'totalForwarded', 'lastOdooSync']);
    expect(health).toMatchObject({ status: 'ok', connectedTerminals: 3, activeLeases: 1, orders: 1, pendingForward: 0, totalForwarded: 0, lastOdooSync: null, uws: 'native' });
  });

  it('answers HEARTBEAT, TABLE_UPDATE, FLOOR_PLAN_UPDATE and sequential ticket numbers', async () => {
    const a = await connect('misc-a');
    const b = await connect('misc-b');
    a.send({ type: 'HEARTBEAT' });
    expect(await a.awaitType('HEARTBEAT_ACK')).toHaveProperty('serverTime');

    a.send({ type: 'TABLE_UPDATE', tableId: 4, status: 'occupied', posReference: 'Order-4' });
    const tu = await b.awaitType('TABLE_UPDATED');
    expect(tu).toMatchObject({ tableId: 4, status: 'occupied', posReference: 'Order-4', sourceTerminal: 'misc-a' });
    expect(typeof tu.seq).toBe('number');

    a.send({ type: 'FLOOR_PLAN_UPDATE', floorId: 1, tables: [{ id: 4, name: 'T4', x: 1, y: 2 }], layoutMode: 'grid' });
    expect(await b.awaitType('FLOOR_PLAN_CHANGED')).toMatchObject({ floorId: 1, layoutMode: 'grid', sourceTerminal: 'misc-a' });

    a.send({ type: 'TICKET_NUMBER_REQUEST', orderType: 'takeout' });
    a.send({ type: 'TICKET_NUMBER_REQUEST', orderType: 'takeout', mutationId: 'tk-2' });
    a.send({ type: 'TICKET_NUMBER_REQUEST', orderType: 'delivery' });
    a.send({ type: 'TICKET_NUMBER_REQUEST', orderType: 'takeout', mutationId: 'tk-2' });
    const t1 = await a.awaitType('TICKET_NUMBER');
    const t2 = await a.awaitType('TICKET_NUMBER');
    const d1 = await a.awaitType('TICKET_NUMBER');
    const replay = await a.awaitType('TICKET_NUMBER');
    expect([t1.ticketNumber, t2.ticketNumber, d1.ticketNumber]).toEqual([1, 2, 1]);
    expect(replay).toEqual(t2);

    const c = await connect('misc-c');
    const sync = c.messages[1]!;
    expect(sync.tables).toEqual(expect.arrayContaining([expect.objectContaining({ tableId: 4, status: 'occupied', posReference: 'Order-4' })]));
    expect(sync.floorPlans).toEqual([expect.objectContaining({ floorId: 1, layoutMode: 'grid' })]);
  });
});

describe('hub quickstart: table lock', () => {
  let hub: StartedHub;
  beforeAll(async () => {
    hub = await startHub({ env: { HUB_TABLE_LOCK_TTL_MS: '1500' } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('grants, denies, refuses a cashier force, lets a manager force, and expires', async () => {
    const ann = await TestTerminal.connect(hub.wsUrl, { deviceId: 'ann', token: 'dev:cashier:ann' });
    const bob = await TestTerminal.connect(hub.wsUrl, { deviceId: 'bob', token: 'dev:cashier:bob' });
    const max = await TestTerminal.connect(hub.wsUrl, { deviceId: 'max', token: 'dev:manager:max' });

    ann.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: 5 });
    expect(await ann.awaitType('TABLE_LOCK_GRANTED')).toMatchObject({ tableId: 5, epoch: 1 });
    expect(await bob.awaitType('TABLE_LOCKED')).toMatchObject({ tableId: 5, lockedBy: 'ann' });

    bob.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: 5 });
    expect(await bob.awaitType('TABLE_LOCK_DENIED')).toMatchObject({ tableId: 5, lockedBy: 'ann', code: 'LOCK_HELD' });
    bob.send({ type: 'TABLE_LOCK_FORCE_ACQUIRE', tableId: 5 });
    expect(await bob.awaitType('TABLE_LOCK_DENIED')).toMatchObject({ lockedBy: 'ann', code: 'FORBIDDEN' });
    bob.send({ type: 'TABLE_LOCK_RELEASE', tableId: 5 });
    expect(await bob.awaitType('ERROR')).toMatchObject({ code: 'LOCK_NOT_HELD' });
    bob.send({ type: 'TABLE_UPDATE', tableId: 5, status: 'billing' });
    expect(await bob.awaitType('ERROR')).toMatchObject({ code: 'LOCK_HELD' });

    max.send({ type: 'TABLE_LOCK_FORCE_ACQUIRE', tableId: 5 });
    expect(await max.awaitType('TABLE_LOCK_GRANTED')).toMatchObject({ tableId: 5, epoch: 2 });
    expect(await ann.awaitType('TABLE_LOCK_REVOKED')).toMatchObject({ tableId: 5, by: 'max' });
    expect(await bob.awaitType('TABLE_LOCKED', (m) => m.lockedBy === 'max')).toMatchObject({ tableId: 5 });

    // Nobody heartbeats: the lock lapses after its TTL and everyone is told.
    expect(await max.awaitType('TABLE_LOCK_REVOKED')).toMatchObject({ tableId: 5, reason: 'Lock expired' });
    expect(await bob.awaitType('TABLE_LOCK_RELEASED')).toMatchObject({ tableId: 5, reason: 'expired' });
    bob.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: 5 });
    expect(await bob.awaitType('TABLE_LOCK_GRANTED')).toMatchObject({ tableId: 5, epoch: 3 });
    bob.send({ type: 'TABLE_LOCK_RELEASE', tableId: 5 });
    expect(await ann.awaitType('TABLE_LOCK_RELEASED', (m) => m.reason === 'released')).toMatchObject({ releasedBy: 'bob' });
    await Promise.all([ann.close(), bob.close(), max.close()]);
  });
});

describe('hub quickstart: disconnect grace', () => {
  let hub: StartedHub;
  beforeAll(async () => {
    hub = await startHub({ env: { HUB_GRACE_MS: '400', HUB_TABLE_LOCK_GRACE_MS: '800' } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('keeps leases and locks of a terminal that comes back in time, frees those of one that does not', async () => {
    const watcher = await TestTerminal.connect(hub.wsUrl, { deviceId: 'watcher', token: 'dev:cashier:w' });
    const back = await TestTerminal.connect(hub.wsUrl, { deviceId: 'back', token: 'dev:cashier:b' });
    const gone = await TestTerminal.connect(hub.wsUrl, { deviceId: 'gone', token: 'dev:cashier:g' });
    back.send({ type: 'LEASE_ACQUIRE', posReference: 'Kept', baseVersion: 0, tableId: 8 });
    back.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: 8 });
    gone.send({ type: 'LEASE_ACQUIRE', posReference: 'Lost', baseVersion: 0, tableId: 7 });
    gone.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: 7 });
    await back.awaitType('LEASE_GRANTED');
    await back.awaitType('TABLE_LOCK_GRANTED');
    await gone.awaitType('LEASE_GRANTED');
    await gone.awaitType('TABLE_LOCK_GRANTED');

    await back.drop();
    await gone.drop();
    const again = await TestTerminal.connect(hub.wsUrl, { deviceId: 'back', token: 'dev:cashier:b' });

    // The lock of the terminal that never came back lapses after its grace: everyone hears it.
    expect(await watcher.awaitType('TABLE_LOCK_RELEASED', (m) => m.tableId === 7)).toMatchObject({ reason: 'expired', releasedBy: 'gone' });
    watcher.send({ type: 'LEASE_ACQUIRE', posReference: 'Lost', baseVersion: 0 });
    expect(await watcher.awaitType('LEASE_GRANTED')).toMatchObject({ posReference: 'Lost', epoch: 2 });
    watcher.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: 7 });
    expect(await watcher.awaitType('TABLE_LOCK_GRANTED')).toMatchObject({ tableId: 7 });

    // The one that came back within the grace window still holds both, past that window.
    watcher.send({ type: 'LEASE_ACQUIRE', posReference: 'Kept', baseVersion: 0 });
    expect(await watcher.awaitType('LEASE_DENIED')).toMatchObject({ holder: 'back' });
    watcher.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: 8 });
    expect(await watcher.awaitType('TABLE_LOCK_DENIED')).toMatchObject({ lockedBy: 'back' });
    again.send({ type: 'ORDER_SNAPSHOT', posReference: 'Kept', baseVersion: 0, snapshot: snapshot('Kept', 8) });
    expect(await again.awaitType('ORDER_ACK')).toMatchObject({ version: 1 });
    await Promise.all([watcher.close(), again.close()]);
  });
});
