/**
 * The SDK's failover rooms (issue 18), frame by frame through the scripted socket on a simulated clock:
 * NOT_LEADER moves the terminal to the named leader (or the best other hub it knows) and every unacked
 * write goes there once with its own mutationId; a hub below the highest epoch seen is not synced from;
 * lastSeq is kept across one replicated log and dropped across two independent hubs; the hub book is
 * persisted and read back; the direct-Odoo fallback never starts before hubLossFallbackMs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HubBook, localStorageHubBookStore, memoryHubBookStore, type HubMemory } from '../../../src/client/hub-book.js';
import { CLIENT_CLOSE } from '../../../src/client/hub-connection.js';
import type { DirectEngine } from '../../../src/client/hub-loss-fallback.js';
import { HubTransport, type HubTransportOptions } from '../../../src/client/hub-transport.js';
import { domainReconciler } from '../../../src/client/default-reconciler.js';
import { memoryOutboxStore } from '../../../src/client/outbox-store.js';
import type { FinalizeResult, OrderUpdate } from '../../../src/client/types.js';
import { resolveDeps, type TransportDeps } from '../../../src/client/deps.js';
import type { HubError } from '../../../src/protocol/errors.js';
import type { HubIdentity } from '../../../src/protocol/hub-messages.js';
import { sdkClock, type TestClock } from '../../helpers/clocks.js';
import { line, snapshot } from '../../fixtures/client-orders.js';
import { drain, scriptedSockets, type Frame, type ScriptedSocket } from '../../fixtures/client-scripted-socket.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const REF1 = 'NU/CFG1/S42/1-0001';
const REF2 = 'NU/CFG1/S42/1-0002';
const HUB_A = 'ws://hub-a.test';
const HUB_B = 'ws://hub-b.test';
const HUB_C = 'ws://hub-c.test';

type Net = ReturnType<typeof scriptedSockets>;

interface Setup {
  readonly t: HubTransport;
  readonly clock: TestClock;
  readonly net: Net;
  readonly errors: HubError[];
  readonly book: ReturnType<typeof memoryHubBookStore>;
}

function setup(
  options: {
    memory?: HubMemory;
    configured?: string;
    deps?: Partial<TransportDeps> & { directFallback?: DirectEngine };
    transport?: Partial<HubTransportOptions>;
  } = {},
): Setup {
  const clock = sdkClock();
  const net = scriptedSockets();
  const book = memoryHubBookStore(options.memory ?? null);
  const resolved = resolveDeps({
    WebSocket: net.Ctor,
    clock,
    random: () => 0.999,
    hubBookStore: book,
    pageOrigin: null,
    outboxStore: memoryOutboxStore(),
    ...options.deps,
  });
  const t = new HubTransport(
    {
      urls: async () => [options.configured ?? HUB_A],
      token: '',
      deviceId: 'dev-a',
      reconcile: domainReconciler(),
      livenessMs: 3_600_000,
      ...options.transport,
    },
    {
      ...resolved,
      WebSocket: net.Ctor,
      outboxStore: resolved.outboxStore ?? memoryOutboxStore(),
      directFallback: options.deps?.directFallback ?? null,
    },
  );
  cleanups.push(() => t.disconnect());
  const errors: HubError[] = [];
  t.onError((e) => errors.push(e));
  return { t, clock, net, errors, book };
}

/** Open the latest socket; answer AUTH with AUTH_OK naming `hub`, then `sync`. */
async function accept(
  net: Net,
  hub: HubIdentity | null,
  sync: Frame | null = { type: 'SYNC_INIT', orders: [], seq: 0 },
): Promise<{ socket: ScriptedSocket; auth: Frame }> {
  await drain();
  const socket = net.latest();
  socket.open();
  const [auth] = socket.sentOf('AUTH');
  expect(auth).toBeDefined();
  socket.receive({ type: 'AUTH_OK', terminalId: 'term-a', role: 'cashier', ...(hub === null ? {} : { hub }) });
  if (sync !== null) socket.receive(sync);
  await drain();
  return { socket, auth: auth! };
}

async function advance(clock: TestClock, ms: number): Promise<void> {
  clock.advance(ms);
  await drain();
}

function grant(socket: ScriptedSocket, clock: TestClock, posReference: string): void {
  socket.receive({ type: 'LEASE_GRANTED', posReference, version: 0, expiresAt: clock.now() + 60_000 });
}

/** Answer the lease the write needs when it is asked for, wait for the snapshot, then ACK it. */
async function settleWrite(
  socket: ScriptedSocket,
  clock: TestClock,
  posReference: string,
  mutationId: string,
  seq: number,
): Promise<void> {
  await advance(clock, 0);
  if (socket.sentOf('LEASE_ACQUIRE').some((f) => f.posReference === posReference)) grant(socket, clock, posReference);
  await advance(clock, 0);
  expect(socket.sentOf('ORDER_SNAPSHOT').filter((f) => f.mutationId === mutationId)).toHaveLength(1);
  socket.receive({ type: 'ORDER_ACK', posReference, version: 1, mutationId, seq });
  await advance(clock, 0);
}

function closesOf(socket: ScriptedSocket): number[] {
  const codes: number[] = [];
  const close = socket.close.bind(socket);
  socket.close = (code?: number, reason?: string) => {
    codes.push(code ?? 1000);
    close(code, reason);
  };
  return codes;
}

describe('NOT_LEADER', () => {
  it('moves to the named leader, resumes from lastSeq and resends every unacked write there once, with the same mutationIds', async () => {
    const { t, clock, net } = setup();
    const connected = t.connect();
    const a = await accept(net, { id: 'hub-a', role: 'follower', epoch: 2 }, { type: 'SYNC_INIT', orders: [], seq: 5 });
    await connected;
    const closes = closesOf(a.socket);
    const m1 = t.sendOrderSnapshot(REF1, 0, snapshot(REF1, [line('l1')]));
    const m2 = t.sendOrderSnapshot(REF2, 0, snapshot(REF2, [line('l2')]));
    await advance(clock, 0);
    grant(a.socket, clock, REF1);
    await drain();
    expect(a.socket.sentOf('ORDER_SNAPSHOT').map((f) => f.mutationId)).toEqual([m1]);
    a.socket.receive({
      type: 'ERROR',
      code: 'NOT_LEADER',
      message: 'follower',
      retryable: true,
      ref: { type: 'ORDER_SNAPSHOT', posReference: REF1, mutationId: m1 },
      leader: { url: HUB_B, epoch: 2 },
    });
    await drain();
    expect(closes).toEqual([CLIENT_CLOSE.NOT_LEADER]);
    expect(t.outboxCount).toBe(2);
    expect(t.hubStatus).toMatchObject({ url: null, failingOver: true });

    await advance(clock, 0); // leaving for the leader reconnects at once
    expect(net.latest().url).toBe(HUB_B);
    const b = await accept(
      net,
      { id: 'hub-b', role: 'leader', epoch: 2 },
      { type: 'SYNC_RESUME', fromSeq: 6, toSeq: 5, count: 0 },
    );
    expect(b.auth.lastSeq).toBe(5); // one replicated log: the leader resumes where the follower left off
    expect(t.state).toBe('online');
    await settleWrite(b.socket, clock, REF1, m1, 6);
    await settleWrite(b.socket, clock, REF2, m2, 7);
    expect(b.socket.sentOf('ORDER_SNAPSHOT').map((f) => f.mutationId)).toEqual([m1, m2]);
    expect(a.socket.sentOf('ORDER_SNAPSHOT').map((f) => f.mutationId)).toEqual([m1]);
    expect(t.outboxCount).toBe(0);
    expect(t.lastSeq).toBe(7);
    const status = t.hubStatus;
    expect(status).toMatchObject({
      url: HUB_B,
      hubId: 'hub-b',
      hubRole: 'leader',
      epoch: 2,
      highestEpoch: 2,
      fallback: 'hub',
      hubLostSince: null,
      failingOver: false,
    });
    expect(status.knownHubs.map((h) => [h.url, h.role])).toEqual(
      expect.arrayContaining([
        [HUB_A, 'follower'],
        [HUB_B, 'leader'],
      ]),
    );
  });

  // Regression: a finalize in flight when the socket dropped was settled 'queued' and removed from the outbox, as if the hub had it.
  it('a finalize and a table update waiting on the follower are neither lost nor sent twice on the leader', async () => {
    const { t, clock, net } = setup();
    const connected = t.connect();
    const a = await accept(net, { id: 'hub-a', role: 'follower', epoch: 1 });
    await connected;
    const done = t.finalizeOrder(REF1, snapshot(REF1, [line('l1')], { state: 'paid' }), 1);
    t.sendTableUpdate(4, 'occupied');
    await advance(clock, 0);
    const [fin] = a.socket.sentOf('ORDER_FINALIZE');
    expect(fin).toBeDefined();
    a.socket.receive({
      type: 'ERROR',
      code: 'NOT_LEADER',
      message: 'follower',
      retryable: true,
      ref: { type: 'ORDER_FINALIZE', posReference: REF1, mutationId: fin!.mutationId as string },
      leader: { url: HUB_B, epoch: 1 },
    });
    // The waiting finalize settles as queued (durable in the outbox), not as an error.
    expect(await done).toMatchObject({ status: 'queued', posReference: REF1 });
    await advance(clock, 0);
    const b = await accept(net, { id: 'hub-b', role: 'leader', epoch: 1 });
    await advance(clock, 0);
    expect(b.socket.sentOf('ORDER_FINALIZE').map((f) => f.mutationId)).toEqual([fin!.mutationId]);
    b.socket.receive({ type: 'ORDER_FINALIZED', posReference: REF1, orderId: 9, lineIdMap: {} });
    await advance(clock, 0);
    const [table] = b.socket.sentOf('TABLE_UPDATE');
    expect(table).toMatchObject({ tableId: 4, status: 'occupied' });
    b.socket.receive({ type: 'TABLE_UPDATED', tableId: 4, status: 'occupied', sourceTerminal: 'term-a', seq: 1 });
    await advance(clock, 0);
    expect(b.socket.sentOf('TABLE_UPDATE')).toHaveLength(1);
    expect(t.outboxCount).toBe(0);
  });

  it('a follower that refuses even the sign-in with NOT_LEADER is left for the leader it names (the SDK does not stop)', async () => {
    const { t, clock, net, errors } = setup();
    void t.connect();
    await drain();
    const a = net.latest();
    a.open();
    a.receive({
      type: 'ERROR',
      code: 'NOT_LEADER',
      message: 'sign in at the leader',
      retryable: true,
      leader: { url: HUB_B, epoch: 1 },
    });
    await advance(clock, 0);
    expect(net.latest().url).toBe(HUB_B);
    await accept(net, { id: 'hub-b', role: 'leader', epoch: 1 });
    expect(t.state).toBe('online');
    expect(errors.map((e) => e.code)).not.toContain('AUTH_FAILED');
  });

  it('a sign-in refused RATE_LIMITED (terminals bouncing between hubs share the AUTH bucket) is retried after retryAfterMs, not given up', async () => {
    const { t, clock, net } = setup();
    const connected = t.connect();
    await drain();
    const first = net.latest();
    first.open();
    first.receive({ type: 'ERROR', code: 'RATE_LIMITED', message: 'too many AUTH attempts from this address; retry in 1500 ms', retryAfterMs: 1500 });
    await connected;
    expect(t.state).not.toBe('offline');
    // Not before the hub said: the backoff alone (100 ms here) would dial again at once.
    await advance(clock, 1_400);
    expect(net.latest()).toBe(first);
    await advance(clock, 200);
    expect(net.latest()).not.toBe(first);
    await accept(net, { id: 'hub-a', role: 'leader', epoch: 1 });
    expect(t.state).toBe('online');
  });

  it('with no leader named it tries the best other hub it remembers, and the follower last', async () => {
    const { t, clock, net } = setup({
      memory: { hubs: [{ url: HUB_C, id: 'hub-c', role: 'leader', epoch: 1, seenAt: 0 }], highestEpoch: 1 },
    });
    const connected = t.connect();
    const a = await accept(net, { id: 'hub-a', role: 'follower', epoch: 1 });
    await connected;
    a.socket.receive({ type: 'ERROR', code: 'NOT_LEADER', message: 'no leader yet', retryable: true, leader: null });
    await advance(clock, 0);
    expect(net.latest().url).toBe(HUB_C);
    net.latest().close(1006, 'unreachable'); // C is down too: the next candidate is the configured follower again
    await advance(clock, 1_000);
    expect(net.latest().url).toBe(HUB_A);
  });
});

describe('epochs', () => {
  it('a hub below the highest epoch seen is not synced from; the SDK reports HUB_EPOCH_STALE and takes the next hub', async () => {
    const { t, clock, net, errors } = setup({
      memory: { hubs: [{ url: HUB_B, id: 'hub-b', role: 'leader', epoch: 3, seenAt: 0 }], highestEpoch: 3 },
    });
    const inits: number[] = [];
    t.onSyncInit((orders) => inits.push(orders.length));
    void t.connect();
    await drain();
    const a = net.latest();
    expect(a.url).toBe(HUB_A);
    const closes = closesOf(a);
    a.open();
    a.receive({
      type: 'AUTH_OK',
      terminalId: 'term-a',
      role: 'cashier',
      hub: { id: 'hub-a', role: 'standalone', epoch: 2 },
    });
    a.receive({
      type: 'SYNC_INIT',
      orders: [{ posReference: REF1, version: 4, snapshot: snapshot(REF1, [line('old')]), tableId: 1, leasedBy: null }],
      seq: 40,
    });
    await drain();
    expect(closes).toEqual([CLIENT_CLOSE.STALE_EPOCH]);
    expect(errors.map((e) => e.code)).toContain('HUB_EPOCH_STALE');
    expect(inits).toEqual([]);
    expect(t.state).not.toBe('online');
    await advance(clock, 1_000);
    expect(net.latest().url).toBe(HUB_B);
    await accept(net, { id: 'hub-b', role: 'leader', epoch: 3 });
    expect(t.state).toBe('online');
    expect(inits).toEqual([0]);
    expect(t.hubStatus).toMatchObject({ url: HUB_B, epoch: 3, highestEpoch: 3 });
  });

  it('a hub whose HUB_STATUS shows it fell behind a newer epoch is left', async () => {
    const { t, clock, net, errors } = setup();
    const connected = t.connect();
    const a = await accept(net, { id: 'hub-a', role: 'leader', epoch: 1 });
    await connected;
    const closes = closesOf(a.socket);
    // The terminal learns epoch 2 from the hub it is on (a takeover happened; this box is the new leader)...
    a.socket.receive({
      type: 'HUB_STATUS',
      connectedTerminals: 1,
      odooReachable: true,
      pendingForward: 0,
      serverTime: clock.now(),
      hub: { id: 'hub-a', role: 'leader', epoch: 2 },
    });
    await drain();
    expect(closes).toEqual([]);
    expect(t.hubStatus.highestEpoch).toBe(2);
    t.disconnect();
    // ...so a hub answering with epoch 1 later is stale.
    void t.connect();
    await drain();
    const again = net.latest();
    const againCloses = closesOf(again);
    again.open();
    again.receive({
      type: 'AUTH_OK',
      terminalId: 'term-a',
      role: 'cashier',
      hub: { id: 'hub-a', role: 'leader', epoch: 1 },
    });
    await drain();
    expect(againCloses).toEqual([CLIENT_CLOSE.STALE_EPOCH]);
    expect(errors.filter((e) => e.code === 'HUB_EPOCH_STALE')).toHaveLength(1);
  });

  it('an mDNS advert or a NOT_LEADER hint never raises the highest epoch (a guest on the LAN cannot make every hub stale)', () => {
    const book = new HubBook(memoryHubBookStore(), sdkClock());
    book.note(HUB_A, { role: 'leader', epoch: 999_999 });
    book.follow({ url: HUB_B, epoch: 888_888 }, HUB_C);
    expect(book.highestEpoch).toBe(0);
    book.note(HUB_A, {}, true); // signed in to A, which did not name its epoch: the hint stays a hint
    expect(book.highestEpoch).toBe(0);
    book.note(HUB_C, { id: 'hub-c', role: 'leader', epoch: 4 }, true);
    expect(book.highestEpoch).toBe(4);
    expect(book.isStale(3)).toBe(true);
    expect(book.isStale(4)).toBe(false);
  });
});

describe('lastSeq across hubs', () => {
  it('two independent (standalone) hubs keep two seq logs: the second is asked for a full SYNC_INIT, not a resume', async () => {
    const { t, clock, net } = setup({
      memory: { hubs: [{ url: HUB_B, id: 'hub-b', role: 'standalone', epoch: 0, seenAt: 0 }], highestEpoch: 0 },
    });
    const connected = t.connect();
    const a = await accept(
      net,
      { id: 'hub-a', role: 'standalone', epoch: 0 },
      { type: 'SYNC_INIT', orders: [], seq: 12 },
    );
    await connected;
    a.socket.close(1006, 'hub A died');
    await advance(clock, 500);
    // Still hub A first (configured); it is down.
    expect(net.latest().url).toBe(HUB_A);
    net.latest().close(1006, 'down');
    await advance(clock, 1_000);
    expect(net.latest().url).toBe(HUB_B);
    const b = net.latest();
    const closes = closesOf(b);
    b.open();
    expect(b.sentOf('AUTH')[0]!.lastSeq).toBe(12);
    b.receive({
      type: 'AUTH_OK',
      terminalId: 'term-a',
      role: 'cashier',
      hub: { id: 'hub-b', role: 'standalone', epoch: 0 },
    });
    await drain();
    expect(closes).toEqual([CLIENT_CLOSE.RESYNC]);
    await advance(clock, 0);
    const full = await accept(
      net,
      { id: 'hub-b', role: 'standalone', epoch: 0 },
      { type: 'SYNC_INIT', orders: [], seq: 3 },
    );
    expect(full.socket.url).toBe(HUB_B);
    expect(full.auth.lastSeq).toBeUndefined();
    expect(t.lastSeq).toBe(3);
    expect(t.state).toBe('online');
  });
});

describe('the hub book is remembered', () => {
  it('a reloaded terminal whose configured hub is gone dials the leader it learned before', async () => {
    const first = setup();
    const connected = first.t.connect();
    const a = await accept(first.net, { id: 'hub-a', role: 'follower', epoch: 5 });
    await connected;
    a.socket.receive({
      type: 'ERROR',
      code: 'NOT_LEADER',
      message: 'follower',
      retryable: true,
      leader: { url: HUB_B, epoch: 5 },
    });
    await drain();
    first.t.disconnect();
    const memory = first.book.memory();
    expect(memory?.highestEpoch).toBe(5);
    expect(memory?.hubs.map((h) => h.url).sort()).toEqual([HUB_A, HUB_B]);

    const reloaded = setup({ memory: memory! });
    void reloaded.t.connect();
    await drain();
    expect(reloaded.net.latest().url).toBe(HUB_A);
    reloaded.net.latest().close(1006, 'hub A is gone');
    await advance(reloaded.clock, 1_000);
    expect(reloaded.net.latest().url).toBe(HUB_B);
    expect(reloaded.t.hubStatus.knownHubs).toHaveLength(2);
  });

  it('localStorage keeps the book under pos_sync_hubs; a corrupt or foreign value is read as empty', () => {
    const items = new Map<string, string>();
    const storage = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
    };
    const store = localStorageHubBookStore(storage);
    const book = new HubBook(store, sdkClock());
    book.note(HUB_B, { id: 'hub-b', role: 'leader', epoch: 7 }, true);
    expect(JSON.parse(items.get('pos_sync_hubs')!)).toMatchObject({
      highestEpoch: 7,
      hubs: [{ url: HUB_B, role: 'leader', epoch: 7 }],
    });
    expect(new HubBook(store, sdkClock()).highestEpoch).toBe(7);
    items.set('pos_sync_hubs', '{"hubs":[{"url":"javascript:alert(1)"}],"highestEpoch":"x"}');
    expect(store.load()).toBeNull();
    items.set('pos_sync_hubs', 'not json');
    expect(new HubBook(store, sdkClock()).list()).toEqual([]);
  });

  it('a hostile hub naming endless leaders cannot grow the book past its limit', () => {
    const book = new HubBook(memoryHubBookStore(), sdkClock());
    for (let i = 0; i < 100; i++) book.follow({ url: `ws://fake-${i}.test`, epoch: 1 }, HUB_A);
    expect(book.list().length).toBeLessThanOrEqual(16);
  });
});

/** A recording stand-in for the direct-Odoo engine: the fallback room's seam, not a hub. */
function recordingEngine(): DirectEngine & { readonly calls: string[] } {
  const calls: string[] = [];
  const finalized: Array<(r: FinalizeResult) => void> = [];
  return {
    calls,
    connect: () => {
      calls.push('connect');
      return Promise.resolve();
    },
    disconnect: () => void calls.push('disconnect'),
    finalizeOrder: (posReference) => {
      calls.push(`finalize ${posReference}`);
      const result: FinalizeResult = { status: 'finalized', posReference, orderId: 77, lineIdMap: {} };
      for (const f of finalized) f(result);
      return Promise.resolve(result);
    },
    onOrderUpdated: (_h: (u: OrderUpdate) => void) => () => undefined,
    onOrderFinalized: (h) => {
      finalized.push(h);
      return () => undefined;
    },
    onSyncInit: () => () => undefined,
    onError: () => () => undefined,
  };
}

describe('hub-loss fallback', () => {
  it('never goes to Odoo before hubLossFallbackMs (59.9 s: no), goes at 60 s, and returns to the hub when one answers', async () => {
    const engine = recordingEngine();
    const { t, clock, net } = setup({ deps: { directFallback: engine } });
    const finalized: FinalizeResult[] = [];
    t.onOrderFinalized((r) => finalized.push(r));
    const connected = t.connect();
    const a = await accept(net, { id: 'hub-a', role: 'standalone', epoch: 0 });
    await connected;
    a.socket.close(1006, 'hub died');
    await drain();
    const lostAt = clock.now();
    expect(t.hubStatus).toMatchObject({ fallback: 'waiting', hubLostSince: lostAt, url: null });
    // Writes keep going to the outbox while waiting.
    expect(await t.finalizeOrder(REF1, snapshot(REF1, [line('l1')], { state: 'paid' }), 1)).toMatchObject({
      status: 'queued',
    });
    const mutationId = t.outboxEntries()[0]!.id;
    // Every reconnect attempt fails (sockets never open; each times out).
    await advance(clock, 59_899);
    await advance(clock, 1);
    expect(clock.now() - lostAt).toBe(59_900);
    expect(engine.calls).toEqual([]);
    expect(t.hubStatus.fallback).toBe('waiting');
    await advance(clock, 100);
    expect(t.hubStatus.fallback).toBe('direct');
    expect(engine.calls).toEqual(['connect', `finalize ${REF1}`]);
    expect(finalized).toMatchObject([{ status: 'finalized', posReference: REF1, orderId: 77 }]);
    // Still queued for the hub: it learns the order was paid (its gateway finds it in Odoo: once).
    expect(t.outboxCount).toBe(1);
    // A later paid order goes to Odoo at once while in fallback.
    await t.finalizeOrder(REF2, snapshot(REF2, [line('l2')], { state: 'paid' }), 1);
    expect(engine.calls).toEqual(['connect', `finalize ${REF1}`, `finalize ${REF2}`]);

    // The hub answers again: back to hub mode at once, and the outbox drains through it.
    const before = net.sockets.length;
    for (let i = 0; i < 100 && net.sockets.length === before; i++) await advance(clock, 1_000);
    const back = await accept(
      net,
      { id: 'hub-a', role: 'standalone', epoch: 0 },
      { type: 'SYNC_RESUME', fromSeq: 1, toSeq: 0, count: 0 },
    );
    expect(t.hubStatus).toMatchObject({ fallback: 'hub', hubLostSince: null, url: HUB_A });
    expect(engine.calls.at(-1)).toBe('disconnect');
    await advance(clock, 0);
    expect(back.socket.sentOf('ORDER_FINALIZE')[0]).toMatchObject({ posReference: REF1, mutationId });
  });

  it('a short configured fallback is honoured exactly, and a hub found before it stops the clock', async () => {
    const engine = recordingEngine();
    const { t, clock, net } = setup({
      deps: { directFallback: engine },
      transport: { hubLossFallbackMs: 8_000, connectTimeoutMs: 60_000 },
    });
    void t.connect();
    await advance(clock, 7_999);
    expect(t.hubStatus.fallback).toBe('waiting');
    await accept(net, null);
    expect(t.hubStatus.fallback).toBe('hub');
    await advance(clock, 60_000);
    expect(engine.calls).toEqual([]);
  });

  it('a follower is not a usable hub: the clock keeps running on it', async () => {
    const engine = recordingEngine();
    const { t, clock, net } = setup({ deps: { directFallback: engine }, transport: { hubLossFallbackMs: 10_000 } });
    void t.connect();
    await accept(net, { id: 'hub-a', role: 'follower', epoch: 1 });
    expect(t.state).toBe('online');
    expect(t.hubStatus).toMatchObject({ hubRole: 'follower', fallback: 'waiting' });
    await advance(clock, 10_000);
    expect(t.hubStatus.fallback).toBe('direct');
  });

  it('a transport stopped by a refused sign-in runs no hub-loss clock (no fallback for a refused token)', async () => {
    const engine = recordingEngine();
    const { t, clock, net } = setup({ deps: { directFallback: engine }, transport: { hubLossFallbackMs: 1_000 } });
    const connected = t.connect().catch((e: unknown) => e);
    await drain();
    net.latest().open();
    net.latest().receive({ type: 'AUTH_FAIL', reason: 'bad token', code: 'AUTH_FAILED' });
    await connected;
    expect(t.state).toBe('offline');
    await advance(clock, 5_000);
    expect(t.hubStatus).toMatchObject({ fallback: 'hub', hubLostSince: null });
    expect(engine.calls).toEqual([]);
  });

  it('without the direct-mode fields the outbox just keeps waiting (no fallback engine)', async () => {
    const { t, clock } = setup({ transport: { hubLossFallbackMs: 1_000 } });
    void t.connect();
    await advance(clock, 5_000);
    expect(t.hubStatus.fallback).toBe('waiting');
  });
});
