/**
 * The order-domain rules enforced by a real hub (worker threads, uWS on port 0, SQLite in a temp dir):
 * a second terminal's edit to a paid order and a checkout without items are refused with their
 * specific codes, and the stored order (read straight from SQLite) is unchanged.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { checkoutOrder, editingOrder, paidOrder } from '../../helpers/domain-orders.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';

interface StoredOrder {
  version: number;
  snapshot: string;
  state: string;
  terminal_id: string;
}

describe('hub enforces the order domain', () => {
  let hub: StartedHub;
  const terminals: TestTerminal[] = [];
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await Promise.all(terminals.map((t) => t.close()));
    await hub.close();
  });
  const connect = async (deviceId: string): Promise<TestTerminal> => {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId });
    terminals.push(t);
    return t;
  };
  /** The row as SQLite holds it, through a separate read-only handle. */
  const stored = (posReference: string): StoredOrder | undefined => {
    const db = new Database(hub.dbPath, { readonly: true });
    try {
      return db
        .prepare(`SELECT version, snapshot, state, terminal_id FROM orders WHERE pos_reference = ?`)
        .get(posReference) as StoredOrder | undefined;
    } finally {
      db.close();
    }
  };
  const write = async (t: TestTerminal, order: OrderSnapshot, baseVersion: number): Promise<void> => {
    t.send({ type: 'ORDER_SNAPSHOT', posReference: order.posReference, baseVersion, snapshot: order });
    await t.awaitType('ORDER_ACK', (m) => m.posReference === order.posReference && m.version === baseVersion + 1);
  };

  it('refuses an edit to a paid order from a second terminal and keeps the stored order', async () => {
    const ref = 'NU/CFG1/S42/1709123456789-paid';
    const till = await connect('dom-till');
    const waiter = await connect('dom-waiter');
    till.send({ type: 'LEASE_ACQUIRE', posReference: ref, baseVersion: 0, tableId: 5 });
    await till.awaitType('LEASE_GRANTED');
    await write(till, editingOrder(['a', 'b'], undefined, ref), 0);
    await write(till, checkoutOrder(['a', 'b'], undefined, ref), 1);
    const paid = paidOrder(['a', 'b'], ref);
    till.send({ type: 'LEASE_RELEASE', posReference: ref, finalSnapshot: paid });
    expect(await till.awaitType('LEASE_RELEASED')).toMatchObject({ posReference: ref, version: 3 });
    const before = stored(ref);
    expect(before).toMatchObject({ version: 3, state: 'paid', terminal_id: 'dom-till' });

    // The waiter takes the free lease and tries to add an item to the paid bill.
    waiter.send({ type: 'LEASE_ACQUIRE', posReference: ref, baseVersion: 3 });
    expect(await waiter.awaitType('LEASE_GRANTED')).toMatchObject({ version: 3 });
    const edited: OrderSnapshot = {
      ...paid,
      lines: [...paid.lines, { ...paid.lines[0]!, uid: 'c' }],
      amountTotal: paid.amountTotal + paid.lines[0]!.priceSubtotalIncl,
    };
    waiter.send({ type: 'ORDER_SNAPSHOT', posReference: ref, baseVersion: 3, snapshot: edited, mutationId: 'w-1' });
    const refusal = await waiter.awaitType('ERROR');
    expect(refusal).toMatchObject({
      code: 'ORDER_PAID',
      ref: { type: 'ORDER_SNAPSHOT', posReference: ref, mutationId: 'w-1' },
    });

    // Un-paying is refused too, with its own code; a LEASE_RELEASE carrying the edit as well.
    waiter.send({
      type: 'ORDER_SNAPSHOT',
      posReference: ref,
      baseVersion: 3,
      snapshot: { ...paid, state: 'editing', kitchenStatus: 'changed' },
    });
    expect(await waiter.awaitType('ERROR')).toMatchObject({ code: 'INVALID_TRANSITION' });
    waiter.send({ type: 'LEASE_RELEASE', posReference: ref, finalSnapshot: edited });
    expect(await waiter.awaitType('ERROR')).toMatchObject({ code: 'ORDER_PAID', ref: { type: 'LEASE_RELEASE' } });

    expect(stored(ref)).toEqual(before);
    expect(JSON.parse(stored(ref)!.snapshot)).toEqual(paid);
    // Nobody was told about a version that does not exist.
    expect(
      till.messages.some((m) => m.type === 'ORDER_UPDATED' && m.posReference === ref && Number(m.version) > 3),
    ).toBe(false);
  });

  it('refuses a checkout without items, for a new order and for an existing one', async () => {
    const ref = 'NU/CFG1/S42/1709123456789-empty';
    const till = await connect('dom-empty');
    till.send({ type: 'LEASE_ACQUIRE', posReference: ref, baseVersion: 0, tableId: 6 });
    await till.awaitType('LEASE_GRANTED');
    const empty = { ...editingOrder([], undefined, ref), tableId: 6 };

    till.send({
      type: 'ORDER_SNAPSHOT',
      posReference: ref,
      baseVersion: 0,
      snapshot: { ...empty, state: 'checkout', kitchenStatus: 'sent' },
    });
    expect(await till.awaitType('ERROR')).toMatchObject({ code: 'CHECKOUT_EMPTY', ref: { posReference: ref } });
    expect(stored(ref)).toBeUndefined();

    await write(till, empty, 0);
    const before = stored(ref);
    expect(before).toMatchObject({ version: 1, state: 'editing' });
    till.send({
      type: 'ORDER_SNAPSHOT',
      posReference: ref,
      baseVersion: 1,
      snapshot: { ...empty, state: 'checkout', kitchenStatus: 'sent' },
    });
    expect(await till.awaitType('ERROR')).toMatchObject({ code: 'CHECKOUT_EMPTY' });
    expect(stored(ref)).toEqual(before);
  });
});
