/**
 * ORDER_TRANSFER across shards on a real hub (HUB_SHARDS=2, worker threads, uWS, SQLite): two tables
 * that hash to different shards, items moving atomically with both versions bumped and both updates
 * broadcast, splits and moves to new orders, replays, and every refusal leaving SQLite untouched.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferLines } from '../../../src/domain/index.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { shardOf, tableKey } from '../../../src/threads/keys.js';
import { checkoutOrder, editingOrder, paidOrder } from '../../helpers/domain-orders.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal, type Msg } from '../../helpers/terminal.js';

/** The first tables (from 1) on shard 0 and shard 1 of two. */
function tablesOnBothShards(): { a: number; b: number; c: number } {
  const on = (shard: number, skip: number[] = []): number => {
    for (let t = 1; t < 1000; t++) if (shardOf(tableKey(t), 2) === shard && !skip.includes(t)) return t;
    throw new Error(`no table on shard ${shard}`);
  };
  const a = on(0);
  const b = on(1);
  return { a, b, c: on(1, [b]) };
}

interface Row {
  version: number;
  snapshot: OrderSnapshot;
  table_id: number | null;
  home_key: string;
}

describe('cross-shard ORDER_TRANSFER', () => {
  const { a, b, c } = tablesOnBothShards();
  let hub: StartedHub;
  let till: TestTerminal;
  let watcher: TestTerminal;
  beforeAll(async () => {
    hub = await startHub({ env: { HUB_SHARDS: '2' } });
    till = await TestTerminal.connect(hub.wsUrl, { deviceId: 'xfer-till' });
    watcher = await TestTerminal.connect(hub.wsUrl, { deviceId: 'xfer-watch' });
  });
  afterAll(async () => {
    await till.close();
    await watcher.close();
    await hub.close();
  });

  const rows = (): Map<string, Row> => {
    const db = new Database(hub.dbPath, { readonly: true });
    try {
      const all = db.prepare(`SELECT pos_reference, version, snapshot, table_id, home_key FROM orders`).all() as Array<
        Row & { pos_reference: string; snapshot: string }
      >;
      return new Map(
        all.map((r) => [
          r.pos_reference,
          {
            version: r.version,
            snapshot: JSON.parse(r.snapshot) as OrderSnapshot,
            table_id: r.table_id,
            home_key: r.home_key,
          },
        ]),
      );
    } finally {
      db.close();
    }
  };
  const uids = (posReference: string): string[] =>
    rows()
      .get(posReference)
      ?.snapshot.lines.map((l) => l.uid) ?? [];
  const lease = async (t: TestTerminal, posReference: string, tableId: number): Promise<void> => {
    t.send({ type: 'LEASE_ACQUIRE', posReference, baseVersion: 0, tableId });
    await t.awaitType('LEASE_GRANTED', (m) => m.posReference === posReference);
  };
  const save = async (t: TestTerminal, order: OrderSnapshot, baseVersion: number): Promise<Msg> => {
    t.send({ type: 'ORDER_SNAPSHOT', posReference: order.posReference, baseVersion, snapshot: order });
    return t.awaitType('ORDER_ACK', (m) => m.posReference === order.posReference);
  };
  const at = (order: OrderSnapshot, tableId: number): OrderSnapshot => ({ ...order, tableId });

  it('picks tables on different shards', () => {
    expect(shardOf(tableKey(a), 2)).not.toBe(shardOf(tableKey(b), 2));
  });

  it('moves items atomically, bumps both versions and tells the other terminals about both orders', async () => {
    const x = 'NU/CFG1/S42/1-xfer-x';
    const y = 'NU/CFG1/S42/1-xfer-y';
    await lease(till, x, a);
    await lease(till, y, b);
    await save(till, at(editingOrder(['x1', 'x2', 'x3', 'x4'], undefined, x), a), 0);
    await save(till, at(checkoutOrder(['y1'], undefined, y), b), 0);
    expect(rows().get(x)?.home_key).toBe(tableKey(a));
    expect(rows().get(y)?.home_key).toBe(tableKey(b));

    till.send({
      type: 'ORDER_TRANSFER',
      fromPosReference: x,
      toPosReference: y,
      lineUids: ['x1', 'x3'],
      mutationId: 'xfer-1',
    });
    const done = await till.awaitType('ORDER_TRANSFERRED');
    expect(done).toMatchObject({
      fromPosReference: x,
      toPosReference: y,
      fromVersion: 2,
      toVersion: 2,
      mutationId: 'xfer-1',
    });
    expect(typeof done.seq).toBe('number');

    const stored = rows();
    expect(stored.get(x)).toMatchObject({ version: 2 });
    expect(stored.get(y)).toMatchObject({ version: 2 });
    expect(uids(x)).toEqual(['x2', 'x4']);
    expect(uids(y)).toEqual(['y1', 'x1', 'x3']);
    // The destination was sent: its kitchen status moves to `changed`; the source stays open.
    expect(stored.get(y)?.snapshot).toMatchObject({ state: 'checkout', kitchenStatus: 'changed' });
    expect(stored.get(x)?.snapshot).toMatchObject({ state: 'editing', kitchenStatus: 'open' });
    expect(stored.get(y)?.snapshot.amountTotal).toBeCloseTo(3 * 11.8, 2);
    expect(done.fromSnapshot).toEqual(stored.get(x)?.snapshot);
    expect(done.toSnapshot).toEqual(stored.get(y)?.snapshot);

    const toY = await watcher.awaitType('ORDER_UPDATED', (m) => m.posReference === y && m.version === 2);
    const toX = await watcher.awaitType('ORDER_UPDATED', (m) => m.posReference === x && m.version === 2);
    expect(toY).toMatchObject({ sourceTerminal: 'xfer-till', snapshot: stored.get(y)?.snapshot });
    expect(toX).toMatchObject({ sourceTerminal: 'xfer-till', snapshot: stored.get(x)?.snapshot });
    expect(Number(toY.seq)).toBeLessThan(Number(toX.seq));
    // The sender gets the destination's ORDER_UPDATED (its seq is otherwise a gap), not the source's.
    expect(till.messages.filter((m) => m.type === 'ORDER_UPDATED').map((m) => [m.posReference, m.seq])).toEqual([[y, toY.seq]]);

    // Both orders changed in one transaction: their events are adjacent in the log.
    const db = new Database(hub.dbPath, { readonly: true });
    const ids = db
      .prepare(`SELECT id, pos_reference FROM events WHERE type = 'ORDER_UPDATED' AND id >= ? ORDER BY id`)
      .all(Number(toY.seq)) as Array<{ id: number; pos_reference: string }>;
    db.close();
    expect(ids.slice(0, 2).map((r) => r.pos_reference)).toEqual([y, x]);

    // A replay answers from the mutation row and moves nothing.
    till.send({
      type: 'ORDER_TRANSFER',
      fromPosReference: x,
      toPosReference: y,
      lineUids: ['x1', 'x3'],
      mutationId: 'xfer-1',
    });
    expect(await till.awaitType('ORDER_TRANSFERRED')).toEqual(done);
    expect(rows().get(x)?.version).toBe(2);

    // A snapshot of the source pipelined right behind a transfer waits for it and lands on the new
    // version; the terminal computes the moved order with the same domain function the hub runs.
    const local = transferLines(rows().get(y)!.snapshot, rows().get(x)!.snapshot, ['x3'], {
      sendChangesToKitchen: true,
    });
    if (!local.ok) throw new Error(local.message);
    till.send({
      type: 'ORDER_TRANSFER',
      fromPosReference: y,
      toPosReference: x,
      lineUids: ['x3'],
      mutationId: 'xfer-2',
    });
    till.send({
      type: 'ORDER_SNAPSHOT',
      posReference: y,
      baseVersion: 3,
      snapshot: { ...local.value.from, staffName: 'after' },
    });
    const second = await till.awaitType('ORDER_TRANSFERRED');
    expect(second).toMatchObject({
      fromVersion: 3,
      toVersion: 3,
      fromSnapshot: local.value.from,
      toSnapshot: local.value.to,
    });
    expect(await till.awaitType('ORDER_ACK', (m) => m.posReference === y)).toMatchObject({ version: 4 });
    expect(rows().get(y)?.snapshot.staffName).toBe('after');
    expect(uids(y)).toEqual(['y1', 'x1']);
    expect(uids(x)).toEqual(['x2', 'x4', 'x3']);
  });

  it('splits onto a new check and moves items to a new order on another table, granting its lease', async () => {
    const s = 'NU/CFG1/S42/1-split-src';
    const n = 'NU/CFG1/S42/1-split-new';
    const w = 'NU/CFG1/S42/1-moved-new';
    await lease(till, s, a);
    await save(till, at(checkoutOrder(['s1', 's2', 's3'], undefined, s), a), 0);

    till.send({ type: 'ORDER_TRANSFER', fromPosReference: s, toPosReference: n, lineUids: ['s1'], split: true });
    expect(await till.awaitType('LEASE_GRANTED', (m) => m.posReference === n)).toMatchObject({ version: 1, epoch: 1 });
    expect(await till.awaitType('ORDER_TRANSFERRED', (m) => m.toPosReference === n)).toMatchObject({
      fromVersion: 2,
      toVersion: 1,
    });
    let stored = rows();
    expect(stored.get(n)).toMatchObject({ version: 1, table_id: a, home_key: tableKey(a) });
    expect(stored.get(n)?.snapshot).toMatchObject({ state: 'checkout', kitchenStatus: 'sent', tableId: a });
    expect(stored.get(s)?.snapshot).toMatchObject({ kitchenStatus: 'changed' });
    expect(uids(n)).toEqual(['s1']);
    expect(stored.get(n)?.snapshot.lines[0]?.kitchenTicketId).toBe('T1');
    await watcher.awaitType('ORDER_UPDATED', (m) => m.posReference === n && m.version === 1);

    // The new check is leased to the sender: it can write it straight away.
    await save(till, { ...stored.get(n)!.snapshot, staffName: 'split' }, 1);

    till.send({ type: 'ORDER_TRANSFER', fromPosReference: s, toPosReference: w, lineUids: ['s2'], toTableId: c });
    expect(await till.awaitType('ORDER_TRANSFERRED', (m) => m.toPosReference === w)).toMatchObject({
      fromVersion: 3,
      toVersion: 1,
    });
    stored = rows();
    expect(stored.get(w)).toMatchObject({ version: 1, table_id: c, home_key: tableKey(c) });
    expect(uids(w)).toEqual(['s2']);
    expect(uids(s)).toEqual(['s3']);
    // Its home is table c's actor: the lease there answers heartbeats and releases.
    till.send({ type: 'LEASE_RELEASE', posReference: w });
    expect(await till.awaitType('LEASE_RELEASED', (m) => m.posReference === w)).toMatchObject({ version: 1 });
  });

  it('refuses without the leases, with an unknown line and from a paid order — changing nothing', async () => {
    const p = 'NU/CFG1/S42/1-ref-p';
    const q = 'NU/CFG1/S42/1-ref-q';
    const paid = 'NU/CFG1/S42/1-ref-paid';
    await lease(till, p, a);
    await save(till, at(editingOrder(['p1', 'p2'], undefined, p), a), 0);
    await lease(watcher, q, b);
    await save(watcher, at(editingOrder(['q1'], undefined, q), b), 0);
    await lease(till, paid, a);
    await save(till, at(editingOrder(['z1'], undefined, paid), a), 0);
    await save(till, at(checkoutOrder(['z1'], undefined, paid), a), 1);
    await save(till, at(paidOrder(['z1'], paid), a), 2);
    const before = rows();
    const errors = (t: TestTerminal): Promise<Msg> =>
      t.awaitMessage((m) => m.type === 'ERROR' || m.type === 'LEASE_DENIED', 'a refusal');

    // Source lease held by someone else.
    watcher.send({ type: 'ORDER_TRANSFER', fromPosReference: p, toPosReference: q, lineUids: ['p1'] });
    expect(await errors(watcher)).toMatchObject({
      type: 'LEASE_DENIED',
      posReference: p,
      holder: 'xfer-till',
      code: 'LEASE_HELD',
    });
    // Destination (on the other shard) leased to someone else.
    till.send({ type: 'ORDER_TRANSFER', fromPosReference: p, toPosReference: q, lineUids: ['p1'] });
    expect(await errors(till)).toMatchObject({
      type: 'LEASE_DENIED',
      posReference: q,
      holder: 'xfer-watch',
      code: 'LEASE_HELD',
    });
    // Destination exists but nobody holds its lease.
    watcher.send({ type: 'LEASE_RELEASE', posReference: q });
    await watcher.awaitType('LEASE_RELEASED');
    till.send({ type: 'ORDER_TRANSFER', fromPosReference: p, toPosReference: q, lineUids: ['p1'] });
    expect(await errors(till)).toMatchObject({ type: 'LEASE_DENIED', posReference: q, code: 'LEASE_NOT_HELD' });
    // Now with both leases: an unknown line.
    await lease(till, q, b);
    till.send({
      type: 'ORDER_TRANSFER',
      fromPosReference: p,
      toPosReference: q,
      lineUids: ['p1', 'nope'],
      mutationId: 'bad-1',
    });
    expect(await errors(till)).toMatchObject({
      type: 'ERROR',
      code: 'TRANSFER_INVALID',
      ref: { type: 'ORDER_TRANSFER', posReference: p, mutationId: 'bad-1' },
    });
    // A split onto an order that exists.
    till.send({ type: 'ORDER_TRANSFER', fromPosReference: p, toPosReference: q, lineUids: ['p1'], split: true });
    expect(await errors(till)).toMatchObject({ type: 'ERROR', code: 'TRANSFER_INVALID' });
    // A paid source; and a paid destination.
    till.send({ type: 'ORDER_TRANSFER', fromPosReference: paid, toPosReference: q, lineUids: ['z1'] });
    expect(await errors(till)).toMatchObject({ type: 'ERROR', code: 'ORDER_PAID', ref: { posReference: paid } });
    till.send({ type: 'ORDER_TRANSFER', fromPosReference: q, toPosReference: paid, lineUids: ['q1'] });
    expect(await errors(till)).toMatchObject({ type: 'ERROR', code: 'ORDER_PAID' });

    expect(rows()).toEqual(before);
    // The refused mutation id was not recorded: the same id still works once the request is valid.
    till.send({
      type: 'ORDER_TRANSFER',
      fromPosReference: p,
      toPosReference: q,
      lineUids: ['p1'],
      mutationId: 'bad-1',
    });
    expect(await till.awaitType('ORDER_TRANSFERRED')).toMatchObject({ fromVersion: 2, toVersion: 2 });
    expect(uids(q)).toEqual(['q1', 'p1']);
    // The fences lifted: both orders take ordinary writes again.
    await save(till, { ...rows().get(p)!.snapshot, staffName: 'free' }, 2);
    await save(till, { ...rows().get(q)!.snapshot, staffName: 'free' }, 2);
  });
});
