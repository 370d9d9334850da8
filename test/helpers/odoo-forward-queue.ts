/**
 * Test doubles for the Odoo gateway tests: an in-memory (asynchronous) ForwardQueue that records every transition
 * (and throws on a double markForwarded, so exactly-once breaks loudly), a manual Clock advanced by
 * hand, and a finalized-order snapshot built from the simulator's seeded catalog.
 */
import type { FinalizeSuccess, ForwardQueue, PendingFinalize } from '../../src/ports/forwarding.js';
import type { OrderSnapshot } from '../../src/protocol/snapshot.js';
import { SIM_POS_SESSION, SIM_PRICELIST, SIM_PRODUCTS, SIM_USERS } from '../../src/odoo-sim/seed.js';

interface QueuedEvent {
  event: PendingFinalize;
  status: 'pending' | 'forwarded' | 'dead';
  nextAttemptAt: number;
  result?: FinalizeSuccess;
  error?: string;
}

export class MemoryForwardQueue implements ForwardQueue {
  readonly events: QueuedEvent[] = [];
  /** eventIds in the order markForwarded was called. */
  readonly forwardedOrder: number[] = [];
  private nextId = 1;

  add(snapshot: OrderSnapshot, terminalId = 'terminal-1'): PendingFinalize {
    const event: PendingFinalize = { eventId: this.nextId++, posReference: snapshot.posReference, snapshot, configId: 1, terminalId, attempts: 0 };
    this.events.push({ event, status: 'pending', nextAttemptAt: 0 });
    return event;
  }

  pending(limit: number, now: number): Promise<PendingFinalize[]> {
    return Promise.resolve(this.events
      .filter((e) => e.status === 'pending' && e.nextAttemptAt <= now)
      .slice(0, limit)
      .map((e) => e.event));
  }

  markForwarded(eventId: number, result: FinalizeSuccess): Promise<void> {
    const e = this.find(eventId);
    if (e.status !== 'pending') throw new Error(`event ${eventId} marked forwarded while ${e.status}`);
    e.status = 'forwarded';
    e.result = result;
    this.forwardedOrder.push(eventId);
    return Promise.resolve();
  }

  markAttemptFailed(eventId: number, error: string, nextAttemptAt: number): Promise<void> {
    const e = this.find(eventId);
    if (e.status !== 'pending') throw new Error(`event ${eventId} failed while ${e.status}`);
    e.event = { ...e.event, attempts: e.event.attempts + 1 };
    e.nextAttemptAt = nextAttemptAt;
    e.error = error;
    return Promise.resolve();
  }

  markDead(eventId: number, error: string): Promise<void> {
    const e = this.find(eventId);
    if (e.status !== 'pending') throw new Error(`event ${eventId} dead while ${e.status}`);
    e.status = 'dead';
    e.error = error;
    return Promise.resolve();
  }

  counts(): { pending: number; dead: number } {
    return { pending: this.events.filter((e) => e.status === 'pending').length, dead: this.events.filter((e) => e.status === 'dead').length };
  }

  statusOf(eventId: number): QueuedEvent['status'] {
    return this.find(eventId).status;
  }

  private find(eventId: number): QueuedEvent {
    const e = this.events.find((x) => x.event.eventId === eventId);
    if (!e) throw new Error(`no event ${eventId}`);
    return e;
  }
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** A paid order of `items` seeded products (tax 18% excluded), paid exactly in cash on statement 420. */
export function paidSnapshot(posReference: string, items: readonly { productId: number; qty: number }[] = [{ productId: 101, qty: 2 }, { productId: 302, qty: 1 }]): OrderSnapshot {
  const lines = items.map((item, i) => {
    const product = SIM_PRODUCTS.find((p) => p.id === item.productId);
    if (!product) throw new Error(`no product ${item.productId}`);
    const sub = round2(product.price * item.qty);
    return {
      uid: `${posReference}-l${i + 1}`,
      productId: product.id,
      name: product.name,
      qty: item.qty,
      priceUnit: product.price,
      discount: 0,
      taxIds: [1],
      priceSubtotal: sub,
      priceSubtotalIncl: round2(sub * 1.18),
    };
  });
  const total = round2(lines.reduce((a, l) => a + l.priceSubtotalIncl, 0));
  const tax = round2(lines.reduce((a, l) => a + l.priceSubtotalIncl - l.priceSubtotal, 0));
  return {
    posReference,
    tableId: 3,
    state: 'paid',
    kitchenStatus: 'paid',
    sessionId: SIM_POS_SESSION.id,
    userId: SIM_USERS.waiter.id,
    pricelistId: SIM_PRICELIST.id,
    partnerId: null,
    lines,
    payments: [{ uid: `${posReference}-p1`, journalId: 7, statementId: 420, amount: total, name: '2026-11-23T12:30:05.123Z' }],
    amountTotal: total,
    amountTax: tax,
    amountPaid: total,
    amountReturn: 0,
    createdAt: '2026-11-23T12:00:00.000Z',
  };
}
