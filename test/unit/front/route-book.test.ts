/**
 * Issue 15, item 3: routing on the front thread. An order's home actor is fixed at first sight (its table,
 * else itself), transfer destinations follow the source's table, and routes leave with their orders — on
 * the writer's `forget` (pruned closed orders) as well as on reset, so the map does not grow forever.
 */
import { describe, expect, it } from 'vitest';
import { RouteBook } from '../../../src/front/route-book.js';
import type { ShardMessage } from '../../../src/threads/actor-io.js';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';

const acquire = (posReference: string, tableId: number | null): ShardMessage =>
  ({ type: 'LEASE_ACQUIRE', posReference, tableId }) as ShardMessage;
const heartbeat = (posReference: string): ShardMessage => ({ type: 'LEASE_HEARTBEAT', posReference }) as ShardMessage;

describe('route book', () => {
  it('fixes an order at its first table and keeps it there when later frames name another', () => {
    const book = new RouteBook();
    expect(book.routeOf(acquire('Order 1', 4))).toBe('t:4');
    expect(book.routeOf(acquire('Order 1', 9))).toBe('t:4');
    expect(book.routeOf(heartbeat('Order 1'))).toBe('t:4');
    // A table-less order is its own actor; a heartbeat alone does not create a route.
    expect(book.routeOf(heartbeat('Order 2'))).toBe('o:Order 2');
    expect(book.size).toBe(1);
    const snapshot = { ...paidSnapshot('Order 3'), tableId: 7 };
    expect(
      book.routeOf({
        type: 'ORDER_SNAPSHOT',
        posReference: 'Order 3',
        baseVersion: 0,
        snapshot,
      } as unknown as ShardMessage),
    ).toBe('t:7');
    expect(book.routeOf({ type: 'TABLE_LOCK_ACQUIRE', tableId: 12 } as ShardMessage)).toBe('t:12');
  });

  it('forgets the routes of orders the writer pruned, and only those', () => {
    const book = new RouteBook();
    book.load([
      ['Order 1', 't:4'],
      ['Order 2', 'o:Order 2'],
      ['Order 3', 't:5'],
    ]);
    book.forget(['Order 1', 'Order 2', 'never seen']);
    expect(book.size).toBe(1);
    // A forgotten order seen again (a reused reference) is placed afresh by what its frame says.
    expect(book.routeOf(acquire('Order 1', 9))).toBe('t:9');
    expect(book.routeOf(heartbeat('Order 3'))).toBe('t:5');
    book.clear();
    expect(book.size).toBe(0);
  });

  it('places a transfer destination at its table, else at the source table, else on its own, and remembers it', () => {
    const book = new RouteBook();
    const transfer = (to: string, toTableId?: number) =>
      ({
        type: 'ORDER_TRANSFER',
        fromPosReference: 'A',
        toPosReference: to,
        ...(toTableId === undefined ? {} : { toTableId }),
      }) as never;
    expect(book.transferDestination(transfer('B', 3), 't:1')).toBe('t:3');
    expect(book.transferDestination(transfer('C'), 't:1')).toBe('t:1');
    expect(book.transferDestination(transfer('D'), 'o:A')).toBe('o:D');
    expect(book.routeOf(heartbeat('B'))).toBe('t:3');
    expect(book.routeOf(heartbeat('C'))).toBe('t:1');
  });
});
