/**
 * What the ceiling and the peer servers do with a decoded frame: the least a relay must do to speak
 * the hub protocol to the generator — no validation, no leases held, no persistence, no threads.
 * Shared by the bare uWS relay (transport ceiling) and the Socket.IO relay (the peer), so the two
 * differ only in their transport.
 */

export interface RelayOutput {
  /** Replies to the sender, in order. */
  readonly toSender: Array<Record<string, unknown>>;
  /** One message for everyone else in the table's room. */
  readonly toRoom?: { readonly tableId: number; readonly message: Record<string, unknown> };
}

interface StoredOrder {
  version: number;
  snapshot: unknown;
  tableId: number | null;
}

export class RelayState {
  private readonly orders = new Map<string, StoredOrder>();
  private seq = 0;
  private orderIds = 0;

  handle(message: Record<string, unknown>, terminalId: string): RelayOutput {
    const posReference = typeof message.posReference === 'string' ? message.posReference : '';
    switch (message.type) {
      case 'AUTH':
        return {
          toSender: [
            { type: 'AUTH_OK', terminalId, role: 'cashier', seq: this.seq },
            {
              type: 'SYNC_INIT',
              seq: this.seq,
              orders: [...this.orders.entries()].map(([ref, o]) => ({
                posReference: ref,
                version: o.version,
                snapshot: o.snapshot,
                tableId: o.tableId,
                leasedBy: null,
              })),
            },
          ],
        };
      case 'HEARTBEAT':
        return { toSender: [{ type: 'HEARTBEAT_ACK', serverTime: 0 }] };
      case 'LEASE_ACQUIRE':
        return {
          toSender: [
            { type: 'LEASE_GRANTED', posReference, version: this.orders.get(posReference)?.version ?? 0, expiresAt: 0 },
          ],
        };
      case 'TABLE_LOCK_ACQUIRE':
        return { toSender: [{ type: 'TABLE_LOCK_GRANTED', tableId: message.tableId }] };
      case 'ORDER_SNAPSHOT': {
        const snapshot = message.snapshot as Record<string, unknown>;
        const tableId = typeof snapshot.tableId === 'number' ? snapshot.tableId : null;
        const order = this.orders.get(posReference) ?? { version: 0, snapshot, tableId };
        order.version += 1;
        order.snapshot = snapshot;
        this.orders.set(posReference, order);
        this.seq += 1;
        const ack = {
          type: 'ORDER_ACK',
          posReference,
          version: order.version,
          mutationId: message.mutationId,
          seq: this.seq,
        };
        const updated = {
          type: 'ORDER_UPDATED',
          posReference,
          version: order.version,
          snapshot,
          sourceTerminal: terminalId,
          seq: this.seq,
        };
        return tableId === null ? { toSender: [ack] } : { toSender: [ack], toRoom: { tableId, message: updated } };
      }
      case 'ORDER_FINALIZE':
        this.orders.delete(posReference);
        return { toSender: [{ type: 'ORDER_FINALIZED', posReference, orderId: (this.orderIds += 1), lineIdMap: {} }] };
      default:
        // LEASE_HEARTBEAT, TABLE_LOCK_HEARTBEAT, TABLE_LOCK_RELEASE, LEASE_RELEASE: nothing to say.
        return { toSender: [] };
    }
  }
}
