/**
 * HubTransport's connection, seq gate and grant books, driven frame by frame through a scripted
 * socket (raw JSON frames, no protocol logic) on a simulated clock: a hub that never answers a lease
 * request, seq gaps and a lost last broadcast resynced by resuming, a hub reset (4005) forgetting the
 * seq, releases made offline sent after the reconnect, and a write whose ACK was lost replayed with its
 * mutationId. Behaviours that need the hub's real decisions are in test/integration/client/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_CLOSE } from '../../../src/client/hub-connection.js';
import type { HubTransport } from '../../../src/client/hub-transport.js';
import type { ResyncInfo } from '../../../src/client/types.js';
import { HubError } from '../../../src/protocol/errors.js';
import { sdkClock, type TestClock } from '../../helpers/clocks.js';
import { hubClientAt, line, snapshot } from '../../fixtures/client-orders.js';
import { drain, scriptedSockets, type Frame, type ScriptedSocket } from '../../fixtures/client-scripted-socket.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const REF = 'NU/CFG1/S42/1-0001';

function setup(): { t: HubTransport; clock: TestClock; net: ReturnType<typeof scriptedSockets>; states: string[]; resyncs: ResyncInfo[] } {
  const clock = sdkClock();
  const net = scriptedSockets();
  const t = hubClientAt(() => 'ws://hub.test', 'dev-a', { WebSocket: net.Ctor, clock, random: () => 0.999 }, { livenessMs: 3_600_000 });
  cleanups.push(() => t.disconnect());
  const states: string[] = [];
  const resyncs: ResyncInfo[] = [];
  t.onStateChange((s) => states.push(s));
  t.onResync((r) => resyncs.push(r));
  return { t, clock, net, states, resyncs };
}

/** Open the next socket and answer its AUTH with AUTH_OK and `sync` (SYNC_INIT at seq 0 by default). */
async function accept(net: ReturnType<typeof scriptedSockets>, sync: Frame = { type: 'SYNC_INIT', orders: [], seq: 0 }): Promise<{ socket: ScriptedSocket; auth: Frame }> {
  await drain();
  const socket = net.latest();
  socket.open();
  const [auth] = socket.sentOf('AUTH');
  expect(auth).toBeDefined();
  socket.receive({ type: 'AUTH_OK', terminalId: 'term-a', role: 'cashier' });
  socket.receive(sync);
  await drain();
  return { socket, auth: auth! };
}

async function advance(clock: TestClock, ms: number): Promise<void> {
  clock.advance(ms);
  await drain();
}

const updated = (version: number, seq: number): Frame => ({ type: 'ORDER_UPDATED', posReference: REF, version, snapshot: snapshot(REF, [line(`v${version}`)]), sourceTerminal: 'term-b', seq });

describe('HubTransport (scripted socket, simulated clock)', () => {
  it('a lease request the hub never answers fails after 10 s with a clear error', async () => {
    const { t, clock, net } = setup();
    const connected = t.connect();
    const { socket } = await accept(net);
    await connected;
    const settled = t.acquireLease(REF, 0).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await drain();
    expect(socket.sentOf('LEASE_ACQUIRE')).toHaveLength(1);
    await advance(clock, 9_999);
    expect(await Promise.race([settled, Promise.resolve('pending')])).toBe('pending');
    await advance(clock, 1);
    const error = await settled;
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).code).toBe('REQUEST_TIMEOUT');
    expect((error as HubError).message).toMatch(/did not respond to LEASE_ACQUIRE .* within 10 seconds/);
  });

  it('a seq gap closes with 3003 and resumes from the last seq in order; the replay fills the gap', async () => {
    const { t, clock, net, resyncs } = setup();
    const versions: number[] = [];
    t.onOrderUpdated((u) => versions.push(u.version));
    const connected = t.connect();
    const first = await accept(net);
    await connected;
    first.socket.receive(updated(1, 1));
    first.socket.receive(updated(3, 3)); // seq 2 was lost
    await drain();
    expect(resyncs).toEqual([{ reason: 'gap', expectedSeq: 2, receivedSeq: 3 }]);
    expect(versions).toEqual([1]);
    expect(first.socket.readyState).toBe(3);
    await advance(clock, 0); // a resync reconnects at once
    const second = await accept(net, { type: 'SYNC_RESUME', fromSeq: 2, toSeq: 3, count: 2 });
    expect(second.auth.lastSeq).toBe(1);
    second.socket.receive(updated(2, 2));
    second.socket.receive(updated(3, 3));
    await drain();
    expect(versions).toEqual([1, 2, 3]);
    expect(t.lastSeq).toBe(3);
    expect(t.state).toBe('online');
  });

  it('a lost last broadcast is caught by the seq HUB_STATUS announces, not by a later broadcast', async () => {
    const { t, clock, net, resyncs } = setup();
    const connected = t.connect();
    const first = await accept(net);
    await connected;
    // Seq 1 never arrives. One status may overtake the broadcast it counts; the second proves the loss.
    first.socket.receive({ type: 'HUB_STATUS', connectedTerminals: 2, odooReachable: true, pendingForward: 0, serverTime: clock.now(), seq: 1 });
    await drain();
    expect(resyncs).toEqual([]);
    first.socket.receive({ type: 'HUB_STATUS', connectedTerminals: 2, odooReachable: true, pendingForward: 0, serverTime: clock.now(), seq: 1 });
    await drain();
    expect(resyncs).toEqual([{ reason: 'gap', expectedSeq: 1, receivedSeq: 1 }]);
    await advance(clock, 0);
    const second = await accept(net, { type: 'SYNC_RESUME', fromSeq: 1, toSeq: 1, count: 1 });
    expect(second.auth.lastSeq).toBe(0);
  });

  it('state changes on a drop and a reconnect; a hub reset (4005) forgets the seq, so the next AUTH asks for everything', async () => {
    const { t, clock, net, states, resyncs } = setup();
    const connected = t.connect();
    const first = await accept(net);
    await connected;
    first.socket.receive(updated(1, 1));
    await drain();
    first.socket.close(4005, 'hub reset');
    expect(t.state).toBe('reconnecting');
    expect(resyncs).toEqual([{ reason: 'reset' }]);
    await advance(clock, 1_000);
    const second = await accept(net);
    expect(second.auth).not.toHaveProperty('lastSeq');
    expect(states).toEqual(['reconnecting', 'online', 'reconnecting', 'online']);
  });

  it('a lease and a table lock released while offline are released after the reconnect, and not taken back', async () => {
    const { t, clock, net } = setup();
    const connected = t.connect();
    const first = await accept(net);
    await connected;
    const lease = t.acquireLease(REF, 0);
    const lock = t.acquireTableLock(9);
    await drain();
    first.socket.receive({ type: 'LEASE_GRANTED', posReference: REF, version: 0, expiresAt: clock.now() + 60_000 });
    first.socket.receive({ type: 'TABLE_LOCK_GRANTED', tableId: 9, expiresAt: clock.now() + 60_000 });
    expect(await lease).toMatchObject({ granted: true, offline: false });
    expect(await lock).toMatchObject({ granted: true, offline: false });
    first.socket.close(1006, 'network');
    t.releaseLease(REF);
    t.releaseTableLock(9);
    expect(t.isLeaseHeld(REF)).toBe(false);
    await advance(clock, 1_000);
    const second = await accept(net);
    expect(second.socket.sentOf('LEASE_RELEASE')).toEqual([{ type: 'LEASE_RELEASE', posReference: REF }]);
    expect(second.socket.sentOf('TABLE_LOCK_RELEASE')).toEqual([{ type: 'TABLE_LOCK_RELEASE', tableId: 9 }]);
    expect(second.socket.sentOf('LEASE_ACQUIRE')).toEqual([]);
    expect(second.socket.sentOf('TABLE_LOCK_ACQUIRE')).toEqual([]);
  });

  it('a write whose ACK was lost stays queued across the drop and is replayed with the same mutationId', async () => {
    const { t, clock, net } = setup();
    const connected = t.connect();
    const first = await accept(net);
    await connected;
    const mutationId = t.sendOrderSnapshot(REF, 0, snapshot(REF, [line('l1')]));
    await advance(clock, 0);
    first.socket.receive({ type: 'LEASE_GRANTED', posReference: REF, version: 0, expiresAt: clock.now() + 60_000 });
    await drain();
    expect(first.socket.sentOf('ORDER_SNAPSHOT')).toMatchObject([{ mutationId }]);
    first.socket.close(1006, 'network');
    expect(t.outboxCount).toBe(1);
    await advance(clock, 1_000);
    const second = await accept(net);
    // The lease is taken back first (the write needs it on this socket), then the same write goes again.
    second.socket.receive({ type: 'LEASE_GRANTED', posReference: REF, version: 0, expiresAt: clock.now() + 60_000 });
    await advance(clock, 0);
    expect(second.socket.sentOf('ORDER_SNAPSHOT')).toMatchObject([{ mutationId, posReference: REF, baseVersion: 0 }]);
    second.socket.receive({ type: 'ORDER_ACK', posReference: REF, version: 1, mutationId, seq: 1 });
    await drain();
    expect(t.outboxCount).toBe(0);
  });

  it('a hub silent past livenessMs + requestTimeoutMs is closed (3002) after one HEARTBEAT probe', async () => {
    const clock = sdkClock();
    const net = scriptedSockets();
    const t = hubClientAt(() => 'ws://hub.test', 'dev-a', { WebSocket: net.Ctor, clock, random: () => 0.999 }, { livenessMs: 20_000 });
    cleanups.push(() => t.disconnect());
    const closes: number[] = [];
    const connected = t.connect();
    const { socket } = await accept(net);
    await connected;
    const close = socket.close.bind(socket);
    socket.close = (code?: number, reason?: string) => {
      closes.push(code ?? 1000);
      close(code, reason);
    };
    await advance(clock, 20_000);
    expect(socket.sentOf('HEARTBEAT')).toHaveLength(1);
    expect(closes).toEqual([]);
    await advance(clock, 10_000);
    expect(closes).toEqual([CLIENT_CLOSE.LIVENESS]);
    expect(t.state).toBe('reconnecting');
  });
});
