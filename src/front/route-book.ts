/**
 * Which actor owns each order: posReference → actor key, fixed the first time the order is seen (by its
 * table, else by itself) so a later frame without a table still reaches the actor holding the order.
 * Entries leave with their orders: on reset, and when the writer prunes closed orders (its `forget`).
 */
import type { TerminalMessageOf } from '../protocol/terminal-messages.js';
import type { ShardMessage } from '../threads/actor-io.js';
import { type ActorKey, orderKey, tableKey } from '../threads/keys.js';

export class RouteBook {
  private readonly routes = new Map<string, ActorKey>();

  /** Replace every route with the writer's (start-up: the homes of the orders SQLite holds). */
  load(entries: ReadonlyArray<readonly [string, ActorKey]>): void {
    this.routes.clear();
    for (const [posReference, key] of entries) this.routes.set(posReference, key);
  }

  clear(): void {
    this.routes.clear();
  }

  /** Orders pruned from SQLite: their routes would otherwise outlive them for as long as the hub runs. */
  forget(posReferences: readonly string[]): void {
    for (const posReference of posReferences) this.routes.delete(posReference);
  }

  get size(): number {
    return this.routes.size;
  }

  /** The home actor of the order (or table) a frame is about; remembered when the frame can create the order. */
  routeOf(msg: ShardMessage): ActorKey {
    switch (msg.type) {
      case 'LEASE_ACQUIRE':
        return this.home(msg.posReference, msg.tableId, true);
      case 'LEASE_RELEASE':
        return this.home(msg.posReference, msg.finalSnapshot?.tableId, false);
      case 'LEASE_HEARTBEAT':
        return this.home(msg.posReference, null, false);
      case 'ORDER_SNAPSHOT':
      case 'ORDER_FINALIZE':
        return this.home(msg.posReference, msg.snapshot.tableId, true);
      case 'ORDER_TRANSFER':
        return this.home(msg.fromPosReference, null, false);
      case 'TABLE_UPDATE':
      case 'TABLE_LOCK_ACQUIRE':
      case 'TABLE_LOCK_RELEASE':
      case 'TABLE_LOCK_HEARTBEAT':
      case 'TABLE_LOCK_FORCE_ACQUIRE':
        return tableKey(msg.tableId);
      default: {
        const unreachable: never = msg;
        throw new Error(`unroutable ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * Where a transfer's destination lives: its known home; else a new order at `toTableId`'s table, or at
   * the source's table (a split check stays where it was), or on its own. Remembered, so the new order's
   * later frames (heartbeat, release) reach the actor that will hold it.
   */
  transferDestination(msg: TerminalMessageOf<'ORDER_TRANSFER'>, fromKey: ActorKey): ActorKey {
    const known = this.routes.get(msg.toPosReference);
    if (known !== undefined) return known;
    const key = msg.toTableId
      ? tableKey(msg.toTableId)
      : fromKey.startsWith('t:')
        ? fromKey
        : orderKey(msg.toPosReference);
    this.routes.set(msg.toPosReference, key);
    return key;
  }

  private home(posReference: string, tableId: number | null | undefined, remember: boolean): ActorKey {
    const known = this.routes.get(posReference);
    if (known !== undefined) return known;
    const key = tableId ? tableKey(tableId) : orderKey(posReference);
    if (remember) this.routes.set(posReference, key);
    return key;
  }
}
