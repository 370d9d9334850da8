/**
 * hubTransport against a fake hub (test/fixtures/fake-hub.ts) that can misbehave on purpose:
 * edits reach the other terminal, a hub that never answers LEASE_ACQUIRE fails the request after
 * 10 s of simulated time, a dropped broadcast triggers a resync that replays it, msgpack negotiates.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HubTransport } from '../../../src/client/hub-transport.js';
import { HubError } from '../../../src/protocol/errors.js';
import type { OrderUpdate, ResyncInfo } from '../../../src/client/types.js';
import { SimClock } from '../../fixtures/client-sim-clock.js';
import { hubClient, line, snapshot } from '../../fixtures/client-orders.js';
import { startFakeHub, type FakeHub } from '../../fixtures/fake-hub.js';
import { changesOf, until } from '../../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hub(options: Parameters<typeof startFakeHub>[0] = {}): Promise<FakeHub> {
  const h = await startFakeHub(options);
  cleanups.push(() => h.close());
  return h;
}

function client(url: string, deviceId: string, ...rest: Parameters<typeof hubClient> extends [string, string, ...infer R] ? R : never): HubTransport {
  const c = hubClient(url, deviceId, ...rest);
  cleanups.push(() => c.disconnect());
  return c;
}

describe('hubTransport (fake hub)', () => {
  it('two terminals see each other\'s edits; the writer gets ORDER_ACK, not its own broadcast', async () => {
    const h = await hub();
    const a = client(h.url, 'a');
    const b = client(h.url, 'b');
    const seenByB: OrderUpdate[] = [];
    const seenByA: OrderUpdate[] = [];
    b.onOrderUpdated((u) => seenByB.push(u));
    a.onOrderUpdated((u) => seenByA.push(u));
    await a.connect();
    await b.connect();
    expect(a.state).toBe('online');
    expect(a.terminalId).toBe('term-a');

    const lease = await a.acquireLease('NU/CFG1/S42/1-0001', 0);
    expect(lease).toMatchObject({ granted: true, offline: false });
    a.sendOrderSnapshot('NU/CFG1/S42/1-0001', 0, snapshot('NU/CFG1/S42/1-0001', [line('l1')]));
    await until(() => seenByB.length === 1 && a.outboxCount === 0, 'B to see A\'s edit', [changesOf(a, b), h.frames]);
    expect(seenByB[0]).toMatchObject({ posReference: 'NU/CFG1/S42/1-0001', version: 1, sourceTerminal: 'term-a' });
    expect(seenByA).toHaveLength(0);

    // B cannot take the order while A holds it.
    const denied = await b.acquireLease('NU/CFG1/S42/1-0001', 1);
    expect(denied).toMatchObject({ granted: false, holder: 'term-a' });
  });

  it('a lease request to a hub that never answers fails after 10 s with a clear error', async () => {
    const h = await hub({ swallow: (m) => m.type === 'LEASE_ACQUIRE' });
    const clock = new SimClock();
    const a = client(h.url, 'a', { clock });
    await a.connect();
    const result = a.acquireLease('NU/CFG1/S42/1-0002', 0);
    const settled = result.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await until(() => h.received.some((r) => r.message.type === 'LEASE_ACQUIRE'), 'the hub to receive LEASE_ACQUIRE', [changesOf(a), h.frames]);
    clock.advance(9_999);
    await Promise.resolve();
    expect(await Promise.race([settled, Promise.resolve('pending')])).toBe('pending');
    clock.advance(1);
    const error = await settled;
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).code).toBe('REQUEST_TIMEOUT');
    expect((error as HubError).message).toMatch(/did not respond to LEASE_ACQUIRE .* within 10 seconds/);
  });

  it('a dropped broadcast (seq gap) triggers a resync that replays the missed update', async () => {
    let dropped = 0;
    const h = await hub({
      dropOutgoing: (m, terminalId) => {
        if (terminalId === 'term-b' && m.type === 'ORDER_UPDATED' && m.version === 1 && dropped === 0) {
          dropped += 1;
          return true;
        }
        return false;
      },
    });
    const a = client(h.url, 'a');
    const b = client(h.url, 'b');
    const resyncs: ResyncInfo[] = [];
    const versionsSeenByB: number[] = [];
    b.onResync((info) => resyncs.push(info));
    b.onOrderUpdated((u) => versionsSeenByB.push(u.version));
    await a.connect();
    await b.connect();
    const ref = 'NU/CFG1/S42/1-0003';
    await a.acquireLease(ref, 0);
    a.sendOrderSnapshot(ref, 0, snapshot(ref, [line('l1')]));
    a.sendOrderSnapshot(ref, 0, snapshot(ref, [line('l1'), line('l2')]));
    await until(() => a.outboxCount === 0 && h.applied.length >= 1, 'A to flush', [changesOf(a, b), h.frames]);
    a.sendOrderSnapshot(ref, 1, snapshot(ref, [line('l1'), line('l2'), line('l3')]));
    await until(() => versionsSeenByB.includes(h.orders.get(ref)!.version) && b.state === 'online', 'B to converge', [changesOf(a, b), h.frames]);
    expect(dropped).toBe(1);
    expect(resyncs[0]).toMatchObject({ reason: 'gap', expectedSeq: 1, receivedSeq: 2 });
    // Every version reached B, the dropped one through the resume replay; none was skipped.
    expect([...new Set(versionsSeenByB)].sort()).toEqual(h.applied.map((x) => x.version));
    expect(b.lastSeq).toBe(h.seq());
  });

  it('offline: table locks are granted at once, snapshots queue, and the outbox flushes once on reconnect', async () => {
    const h = await hub();
    const a = client(h.url, 'a');
    const ref = 'NU/CFG1/S42/1-0004';
    const lock = await a.acquireTableLock(3);
    expect(lock).toEqual({ granted: true, offline: true });
    const lease = await a.acquireLease(ref, 0);
    expect(lease).toMatchObject({ granted: true, offline: true });
    a.sendOrderSnapshot(ref, 0, snapshot(ref, [line('l1')]));
    a.sendOrderSnapshot(ref, 0, snapshot(ref, [line('l1'), line('l2')]));
    a.sendTableUpdate(3, 'occupied', ref);
    // The newer snapshot replaced the older one in the queue.
    expect(a.outboxCount).toBe(2);
    expect(a.outboxEntries().map((e) => e.action)).toEqual(['orders/update', 'tables/update']);
    await a.connect();
    await until(() => a.outboxCount === 0, 'the outbox to flush', [changesOf(a), h.frames]);
    expect(h.applied).toHaveLength(1);
    expect(h.orders.get(ref)?.snapshot.lines.map((l) => l.uid)).toEqual(['l1', 'l2']);
    await until(() => h.received.some((r) => r.message.type === 'TABLE_LOCK_ACQUIRE'), 'the lock to be re-acquired', [changesOf(a), h.frames]);
  });

  it('a write whose ACK was lost is replayed with the same mutationId and applied once', async () => {
    let dropAck = true;
    const h = await hub({
      dropOutgoing: (m) => {
        if (m.type === 'ORDER_ACK' && dropAck) {
          dropAck = false;
          return true;
        }
        return false;
      },
    });
    const a = client(h.url, 'a', {}, { requestTimeoutMs: 300 });
    await a.connect();
    const ref = 'NU/CFG1/S42/1-0005';
    await a.acquireLease(ref, 0);
    const mutationId = a.sendOrderSnapshot(ref, 0, snapshot(ref, [line('l1')]));
    await until(() => h.applied.length === 1, 'the write to be applied', [changesOf(a), h.frames]);
    // No ACK arrives: the SDK keeps the entry, reconnects, and replays it.
    h.dropAll(1001);
    await until(() => a.outboxCount === 0, 'the replay to be acknowledged', [changesOf(a), h.frames], 15_000);
    expect(h.applied).toEqual([{ posReference: ref, mutationId, version: 1 }]);
    expect(h.received.filter((r) => r.message.type === 'ORDER_SNAPSHOT').length).toBeGreaterThanOrEqual(2);
  });

  it('a CONFLICT is reconciled through the order domain and re-sent on the hub version', async () => {
    const h = await hub();
    const a = client(h.url, 'a');
    const b = client(h.url, 'b');
    await a.connect();
    await b.connect();
    const ref = 'NU/CFG1/S42/1-0006';
    await a.acquireLease(ref, 0);
    a.sendOrderSnapshot(ref, 0, snapshot(ref, [line('l1')]));
    await until(() => a.outboxCount === 0, 'first write', [changesOf(a, b), h.frames]);
    a.releaseLease(ref);
    await until(() => !h.received.every((r) => r.message.type !== 'LEASE_RELEASE'), 'release', [changesOf(a, b), h.frames]);
    // B edits at version 1 → 2; A, offline-minded, still sends on version 1 after B releases.
    await b.acquireLease(ref, 1);
    b.sendOrderSnapshot(ref, 1, snapshot(ref, [line('l1'), line('b1')]));
    await until(() => b.outboxCount === 0, 'B write', [changesOf(a, b), h.frames]);
    b.releaseLease(ref);
    await until(() => h.received.filter((r) => r.message.type === 'LEASE_RELEASE').length === 2, 'B release', [changesOf(a, b), h.frames]);
    const conflicts: Array<{ strategy: string }> = [];
    a.onConflict((c) => conflicts.push(c));
    await a.acquireLease(ref, 1);
    a.sendOrderSnapshot(ref, 1, snapshot(ref, [line('l1'), line('a1')]));
    await until(() => a.outboxCount === 0, 'A to resolve the conflict', [changesOf(a, b), h.frames]);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]!.strategy).toBe('merge');
    // Neither side's added item is lost.
    expect(h.orders.get(ref)!.snapshot.lines.map((l) => l.uid).sort()).toEqual(['a1', 'b1', 'l1']);
  });

  it('negotiates msgpack when asked and the hub accepts the subprotocol', async () => {
    const h = await hub();
    const a = client(h.url, 'a', {}, { encoding: 'msgpack' });
    const b = client(h.url, 'b');
    const seen: OrderUpdate[] = [];
    b.onOrderUpdated((u) => seen.push(u));
    await a.connect();
    await b.connect();
    expect(a.encoding).toBe('msgpack');
    expect(b.encoding).toBe('json');
    await a.acquireLease('NU/CFG1/S42/1-0007', 0);
    a.sendOrderSnapshot('NU/CFG1/S42/1-0007', 0, snapshot('NU/CFG1/S42/1-0007', [line('l1')]));
    await until(() => seen.length === 1, 'B to see a msgpack client\'s edit', [changesOf(a, b), h.frames]);
  });

  it('reports state changes: online, reconnecting after a drop, online again; 4005 forgets lastSeq', async () => {
    const h = await hub();
    const a = client(h.url, 'a');
    const states: string[] = [];
    const resyncs: ResyncInfo[] = [];
    a.onStateChange((s) => states.push(s));
    a.onResync((r) => resyncs.push(r));
    await a.connect();
    h.dropAll(4005);
    await until(() => states.filter((s) => s === 'online').length === 2, 'a reconnect', [changesOf(a), h.frames]);
    expect(states).toEqual(['reconnecting', 'online', 'reconnecting', 'online']);
    expect(resyncs).toEqual([{ reason: 'reset' }]);
    const auths = h.received.filter((r) => r.message.type === 'AUTH').map((r) => r.message);
    expect(auths[1]).not.toHaveProperty('lastSeq');
  });

  it('a newer connection of the same deviceId (close 4004) stops the older transport instead of fighting it', async () => {
    const h = await hub();
    const first = client(h.url, 'same');
    const errors: string[] = [];
    first.onError((e) => errors.push(e.code));
    await first.connect();
    const second = client(h.url, 'same');
    await second.connect();
    await until(() => first.state === 'offline', 'the older transport to stop', [changesOf(first, second), h.frames]);
    expect(errors).toContain('DEVICE_REPLACED');
    expect(second.state).toBe('online');
    expect(h.received.filter((r) => r.message.type === 'AUTH')).toHaveLength(2);
  });

  it('an order whose lease another terminal holds waits in the outbox without holding back other orders', async () => {
    const h = await hub();
    const a = client(h.url, 'a', {}, { outboxBackoff: { baseMs: 60_000, factor: 2, maxMs: 60_000 } });
    const b = client(h.url, 'b');
    const errors: string[] = [];
    a.onError((e) => errors.push(e.code));
    await a.connect();
    await b.connect();
    const held = 'NU/CFG1/S42/1-0008';
    const free = 'NU/CFG1/S42/1-0009';
    expect(await b.acquireLease(held, 0)).toMatchObject({ granted: true });
    a.sendOrderSnapshot(held, 0, snapshot(held, [line('h1')]));
    a.sendOrderSnapshot(free, 0, snapshot(free, [line('f1')]));
    await until(() => h.orders.has(free) && a.outboxCount === 1, 'the free order to go through and be acknowledged', [changesOf(a, b), h.frames]);
    expect(h.orders.has(held)).toBe(false);
    expect(a.outboxEntries().map((e) => [e.payload.pos_reference, e.attempts])).toEqual([[held, 1]]);
    expect(a.outboxEntries()[0]!.lastError).toMatch(/lease denied.*term-b/);
    expect(errors).toEqual(['LEASE_HELD']);
  });

  it('a lease and a table lock released while offline are released on the hub after reconnecting', async () => {
    const h = await hub();
    const a = client(h.url, 'a', {}, { reconnectBackoff: { baseMs: 20, factor: 2, maxMs: 100 } });
    await a.connect();
    const ref = 'NU/CFG1/S42/1-000a';
    await a.acquireLease(ref, 0);
    await a.acquireTableLock(9);
    h.dropAll(1001);
    await until(() => a.state !== 'online', 'the drop', [changesOf(a), h.frames]);
    a.releaseLease(ref);
    a.releaseTableLock(9);
    expect(a.isLeaseHeld(ref)).toBe(false);
    await until(() => a.state === 'online', 'the reconnect', [changesOf(a), h.frames]);
    await until(
      () => h.received.some((r) => r.message.type === 'LEASE_RELEASE') && h.received.some((r) => r.message.type === 'TABLE_LOCK_RELEASE'),
      'the deferred releases',
      [changesOf(a), h.frames],
    );
    // Nothing it released was taken back.
    const auths = h.received.flatMap((r, i) => (r.message.type === 'AUTH' ? [i] : []));
    expect(auths).toHaveLength(2);
    const after = h.received.slice(auths[1]);
    expect(after.some((r) => r.message.type === 'LEASE_ACQUIRE' || r.message.type === 'TABLE_LOCK_ACQUIRE')).toBe(false);
  });

  it('a lost last broadcast is caught by the seq HUB_STATUS announces, not by a later broadcast', async () => {
    let dropped = false;
    const h = await hub({
      dropOutgoing: (m, terminalId) => {
        if (!dropped && terminalId === 'term-b' && m.type === 'ORDER_UPDATED') {
          dropped = true;
          return true;
        }
        return false;
      },
    });
    const a = client(h.url, 'a');
    const b = client(h.url, 'b');
    const resyncs: ResyncInfo[] = [];
    const seen: number[] = [];
    b.onResync((r) => resyncs.push(r));
    b.onOrderUpdated((u) => seen.push(u.version));
    await a.connect();
    await b.connect();
    const ref = 'NU/CFG1/S42/1-000b';
    await a.acquireLease(ref, 0);
    a.sendOrderSnapshot(ref, 0, snapshot(ref, [line('s1')]));
    await until(() => a.outboxCount === 0 && dropped, 'the only broadcast to be lost', [changesOf(a, b), h.frames]);
    // The status may overtake a broadcast in flight: only a second one still ahead of us proves a loss.
    h.sendStatus();
    h.sendStatus();
    await until(() => seen.includes(1), 'B to recover the lost update', [changesOf(a, b), h.frames]);
    expect(resyncs[0]).toMatchObject({ reason: 'gap', expectedSeq: 1, receivedSeq: 1 });
  });
});
