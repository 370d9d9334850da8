/**
 * Refused writes the hub says may pass later are retried, never dropped: RATE_LIMITED waits at least
 * its retryAfterMs before the same write goes again; TABLE_UPDATE and FLOOR_PLAN_UPDATE refused with
 * STORAGE_UNAVAILABLE stay queued and are resent like order writes. Driven through a scripted socket
 * (raw frames) on a simulated clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HubTransport } from '../../../src/client/hub-transport.js';
import { sdkClock, type TestClock } from '../../helpers/clocks.js';
import { hubClientAt, line, snapshot } from '../../fixtures/client-orders.js';
import { drain, scriptedSockets, type ScriptedSocket } from '../../fixtures/client-scripted-socket.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const BACKOFF = { baseMs: 1_000, factor: 2, maxMs: 60_000 };

/** A transport signed in and synced over a scripted socket. */
async function online(): Promise<{ t: HubTransport; clock: TestClock; socket: ScriptedSocket; errors: string[] }> {
  const clock = sdkClock();
  const net = scriptedSockets();
  // Jitter fixed at its top (random 0.999…): a backoff is then at most its full step.
  const t = hubClientAt(() => 'ws://hub.test', 'dev-a', { WebSocket: net.Ctor, clock, random: () => 0.999 }, { livenessMs: 3_600_000, outboxBackoff: BACKOFF });
  cleanups.push(() => t.disconnect());
  const errors: string[] = [];
  t.onError((e) => errors.push(e.code));
  const connected = t.connect();
  await drain();
  const socket = net.latest();
  socket.open();
  expect(socket.sentOf('AUTH')).toHaveLength(1);
  socket.receive({ type: 'AUTH_OK', terminalId: 'term-a', role: 'manager' });
  socket.receive({ type: 'SYNC_INIT', orders: [], seq: 0 });
  await connected;
  expect(t.state).toBe('online');
  return { t, clock, socket, errors };
}

/** Advance simulated time and let the SDK's awaits run. */
async function advance(clock: TestClock, ms: number): Promise<void> {
  clock.advance(ms);
  await drain();
}

describe('writes the hub refuses for now are retried, not dropped', () => {
  it('RATE_LIMITED: the same order write goes again no sooner than retryAfterMs, then is acknowledged', async () => {
    const { t, clock, socket } = await online();
    const ref = 'NU/CFG1/S42/1-0001';
    const mutationId = t.sendOrderSnapshot(ref, 0, snapshot(ref, [line('l1')]));
    await advance(clock, 0);
    // The write takes its lease first.
    expect(socket.sentOf('LEASE_ACQUIRE')).toHaveLength(1);
    socket.receive({ type: 'LEASE_GRANTED', posReference: ref, version: 0, expiresAt: clock.now() + 60_000 });
    await drain();
    expect(socket.sentOf('ORDER_SNAPSHOT')).toHaveLength(1);
    socket.receive({ type: 'ERROR', code: 'RATE_LIMITED', message: 'too many writes', ref: { type: 'ORDER_SNAPSHOT', posReference: ref, mutationId }, retryAfterMs: 30_000 });
    await drain();
    expect(t.outboxCount).toBe(1);
    // The outbox backoff alone would resend after at most 1 s.
    await advance(clock, 29_999);
    expect(socket.sentOf('ORDER_SNAPSHOT')).toHaveLength(1);
    await advance(clock, 1);
    const resent = socket.sentOf('ORDER_SNAPSHOT');
    expect(resent).toHaveLength(2);
    expect(resent[1]).toMatchObject({ mutationId, posReference: ref });
    socket.receive({ type: 'ORDER_ACK', posReference: ref, version: 1, mutationId, seq: 1 });
    await drain();
    expect(t.outboxCount).toBe(0);
  });

  it('RATE_LIMITED on a table update: held back for retryAfterMs, then resent and confirmed by its broadcast', async () => {
    const { t, clock, socket } = await online();
    t.sendTableUpdate(3, 'occupied');
    await advance(clock, 0);
    const [first] = socket.sentOf('TABLE_UPDATE');
    expect(first).toMatchObject({ tableId: 3, status: 'occupied' });
    socket.receive({ type: 'ERROR', code: 'RATE_LIMITED', message: 'slow down', ref: { type: 'TABLE_UPDATE', tableId: 3, mutationId: first!.mutationId }, retryAfterMs: 5_000 });
    await drain();
    await advance(clock, 4_999);
    expect(socket.sentOf('TABLE_UPDATE')).toHaveLength(1);
    await advance(clock, 1);
    expect(socket.sentOf('TABLE_UPDATE')).toHaveLength(2);
    socket.receive({ type: 'TABLE_UPDATED', tableId: 3, status: 'occupied', sourceTerminal: 'term-a', seq: 1 });
    await drain();
    expect(t.outboxCount).toBe(0);
  });

  it('TABLE_UPDATE refused with STORAGE_UNAVAILABLE stays queued and is resent with its mutationId until stored', async () => {
    const { t, clock, socket, errors } = await online();
    t.sendTableUpdate(3, 'occupied', 'NU/CFG1/S42/1-0002');
    await advance(clock, 0);
    const [first] = socket.sentOf('TABLE_UPDATE');
    expect(t.outboxCount).toBe(1);
    socket.receive({ type: 'ERROR', code: 'STORAGE_UNAVAILABLE', message: 'disk full', retryable: true, ref: { type: 'TABLE_UPDATE', tableId: 3, mutationId: first!.mutationId } });
    await drain();
    expect(t.outboxCount).toBe(1);
    expect(t.outboxEntries()[0]).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/STORAGE_UNAVAILABLE/) });
    await advance(clock, BACKOFF.baseMs);
    const resent = socket.sentOf('TABLE_UPDATE');
    expect(resent).toHaveLength(2);
    expect(resent[1]).toEqual(first);
    // Another terminal's update of the same table does not confirm ours.
    socket.receive({ type: 'TABLE_UPDATED', tableId: 3, status: 'free', sourceTerminal: 'term-b', seq: 1 });
    await drain();
    expect(t.outboxCount).toBe(1);
    socket.receive({ type: 'TABLE_UPDATED', tableId: 3, status: 'occupied', posReference: 'NU/CFG1/S42/1-0002', sourceTerminal: 'term-a', seq: 2 });
    await drain();
    expect(t.outboxCount).toBe(0);
    expect(errors).toEqual([]);
  });

  it('FLOOR_PLAN_UPDATE refused with STORAGE_UNAVAILABLE stays queued and is resent until the hub broadcasts it', async () => {
    const { t, clock, socket } = await online();
    t.sendFloorPlanUpdate(1, [{ id: 1, x: 10, y: 20 }], 'free');
    await advance(clock, 0);
    const [first] = socket.sentOf('FLOOR_PLAN_UPDATE');
    // The hub's refusal names the mutation and the message type, not the floor.
    socket.receive({ type: 'ERROR', code: 'STORAGE_UNAVAILABLE', message: 'disk full', retryable: true, ref: { type: 'FLOOR_PLAN_UPDATE', mutationId: first!.mutationId } });
    await drain();
    expect(t.outboxCount).toBe(1);
    await advance(clock, BACKOFF.baseMs);
    expect(socket.sentOf('FLOOR_PLAN_UPDATE')).toHaveLength(2);
    socket.receive({ type: 'FLOOR_PLAN_CHANGED', floorId: 1, tables: [{ id: 1, x: 10, y: 20 }], layoutMode: 'free', sourceTerminal: 'term-a', seq: 1 });
    await drain();
    expect(t.outboxCount).toBe(0);
  });

  it('a permanent refusal of a table update (FORBIDDEN, LOCK_HELD) is dropped and reported, not retried forever', async () => {
    const { t, clock, socket, errors } = await online();
    t.sendTableUpdate(4, 'occupied');
    await advance(clock, 0);
    const [first] = socket.sentOf('TABLE_UPDATE');
    socket.receive({ type: 'ERROR', code: 'FORBIDDEN', message: 'not yours', ref: { type: 'TABLE_UPDATE', tableId: 4, mutationId: first!.mutationId } });
    await drain();
    expect(t.outboxCount).toBe(0);
    expect(errors).toEqual(['FORBIDDEN']);
    // A table another terminal has locked: the hub names the table only; the status is not forced in later.
    t.sendTableUpdate(4, 'free');
    await advance(clock, 0);
    socket.receive({ type: 'ERROR', code: 'LOCK_HELD', message: 'table 4 is locked by term-b', ref: { type: 'TABLE_UPDATE', tableId: 4 } });
    await drain();
    expect(t.outboxCount).toBe(0);
    expect(errors).toEqual(['FORBIDDEN', 'LOCK_HELD']);
  });

  it('a table update with no answer at all is resent after the request timeout, not lost', async () => {
    const { t, clock, socket } = await online();
    t.sendTableUpdate(5, 'occupied');
    await advance(clock, 0);
    expect(socket.sentOf('TABLE_UPDATE')).toHaveLength(1);
    await advance(clock, 10_000);
    expect(t.outboxEntries()[0]).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/no answer to TABLE_UPDATE/) });
    await advance(clock, BACKOFF.baseMs);
    expect(socket.sentOf('TABLE_UPDATE')).toHaveLength(2);
    expect(t.outboxCount).toBe(1);
  });
});
