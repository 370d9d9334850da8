/**
 * directTransport against the Odoo 12 simulator: paid orders go through create_from_ui exactly once
 * (search_read by pos_reference first), another terminal sees them by polling every 2 s, and while
 * Odoo is down or answers 502 after committing, the outbox keeps the order and replays it without
 * creating a duplicate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTransport } from '../../../src/client/create-transport.js';
import type { DirectTransport } from '../../../src/client/direct-transport.js';
import { memoryOutboxStore } from '../../../src/client/outbox-store.js';
import type { OrderUpdate } from '../../../src/client/types.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { line, snapshot } from '../../fixtures/client-orders.js';
import { sdkClock } from '../../helpers/clocks.js';
import { MANAGER_SESSION_ID, startOdooSim, WAITER_SESSION_ID, type StartedOdooSim } from '../../helpers/odoo-sim.js';
import { changesOf, until, within } from '../../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function odoo(): Promise<StartedOdooSim> {
  const sim = await startOdooSim();
  cleanups.push(() => sim.close());
  return sim;
}

function direct(url: string, token: string, extra: Record<string, unknown> = {}, deps: Record<string, unknown> = {}): DirectTransport {
  const t = createTransport(
    { nu_hub_enabled: false, deviceId: `dev-${token.slice(0, 4)}`, token, odoo_url: url, session_id: 42, pricelist_id: 1, pollIntervalMs: 100, outboxBackoff: { baseMs: 50, factor: 2, maxMs: 200 }, ...extra },
    { outboxStore: memoryOutboxStore(), pageOrigin: null, ...deps },
  ) as DirectTransport;
  cleanups.push(() => t.disconnect());
  return t;
}

function paid(posReference: string): OrderSnapshot {
  const base = snapshot(posReference, [line('p1', 2, 90), line('p2', 1, 160)]);
  return {
    ...base,
    state: 'paid',
    kitchenStatus: 'paid',
    payments: [{ uid: 'pay1', journalId: 7, statementId: 420, amount: base.amountTotal, name: 'Cash' }],
    amountPaid: base.amountTotal,
  };
}

describe('directTransport (Odoo simulator)', () => {
  it('finalizes a paid order once through create_from_ui; another terminal sees it by polling', async () => {
    const sim = await odoo();
    const a = direct(sim.url, MANAGER_SESSION_ID);
    const b = direct(sim.url, WAITER_SESSION_ID);
    const seenByB: OrderUpdate[] = [];
    b.onOrderUpdated((u) => seenByB.push(u));
    await a.connect();
    await b.connect();
    expect([a.mode, a.state, b.state]).toEqual(['direct', 'online', 'online']);

    const ref = 'NU/CFG1/S42/1764000000000-d001';
    const result = await a.finalizeOrder(ref, paid(ref), 1);
    expect(result).toMatchObject({ status: 'finalized', posReference: ref });
    expect(sim.sim.ordersFor(ref)).toBe(1);
    await until(() => seenByB.some((u) => u.posReference === ref), 'B to poll the new order', changesOf(a, b));
    const seen = seenByB.find((u) => u.posReference === ref)!;
    expect(seen.snapshot.state).toBe('paid');
    expect(seen.snapshot.lines.map((l) => [l.productId, l.qty])).toEqual([
      [101, 2],
      [101, 1],
    ]);
    // Finalizing again (a retry after a crash) does not create a second order.
    await a.finalizeOrder(ref, paid(ref), 1);
    expect(sim.sim.ordersFor(ref)).toBe(1);
  });

  it('Odoo down: the order waits in the outbox and is created once when Odoo is back', async () => {
    const sim = await odoo();
    const a = direct(sim.url, MANAGER_SESSION_ID);
    await a.connect();
    await sim.sim.refuse();
    const ref = 'NU/CFG1/S42/1764000000000-d002';
    const result = await a.finalizeOrder(ref, paid(ref), 1);
    expect(result.status).toBe('queued');
    expect(a.outboxCount).toBe(1);
    expect(a.outboxEntries()[0]).toMatchObject({ action: 'orders/create', attempts: 1 });
    expect(a.outboxEntries()[0]!.lastError).toMatch(/ODOO_UNREACHABLE/);
    await until(() => a.state === 'offline', 'the poll to notice Odoo is down', changesOf(a));
    await sim.sim.accept();
    await until(() => a.outboxCount === 0, 'the outbox to drain', changesOf(a));
    expect(sim.sim.ordersFor(ref)).toBe(1);
    expect(a.state).toBe('online');
  });

  it('a 502 after Odoo committed the order: the replay finds it by pos_reference and creates nothing', async () => {
    const sim = await odoo();
    const a = direct(sim.url, MANAGER_SESSION_ID);
    const finalized: string[] = [];
    a.onOrderFinalized((r) => finalized.push(r.status));
    await a.connect();
    sim.sim.setFaults({ http: { status: 502, count: 1, match: 'pos.order.create_from_ui', phase: 'after' } });
    const ref = 'NU/CFG1/S42/1764000000000-d003';
    const result = await a.finalizeOrder(ref, paid(ref), 1);
    expect(result.status).toBe('queued');
    expect(sim.sim.ordersFor(ref)).toBe(1);
    await until(() => a.outboxCount === 0, 'the replay', changesOf(a));
    expect(sim.sim.ordersFor(ref)).toBe(1);
    expect(sim.sim.calls('pos.order.create_from_ui')).toBe(1);
    expect(finalized).toEqual(['finalized']);
  });

  it('polls every 2 s by default (simulated clock)', async () => {
    const sim = await odoo();
    const clock = sdkClock();
    const a = direct(sim.url, MANAGER_SESSION_ID, { pollIntervalMs: undefined }, { clock });
    await a.connect();
    const after = sim.sim.calls('pos.order.search_read');
    expect(after).toBe(1);
    clock.advance(1_999);
    expect(sim.sim.calls('pos.order.search_read')).toBe(1);
    clock.advance(1);
    await within(sim.sim.waitForHandled('pos.order.search_read', 2), 'the second poll');
  });
});
