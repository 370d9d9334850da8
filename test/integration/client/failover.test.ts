/**
 * Issue 18, terminals: two real hubs (child processes, separate SQLite files). A terminal that once met
 * hub B and is now configured for hub A moves to B when A is SIGKILLed — from the hub book it kept in
 * its storage — resuming with AUTH.lastSeq and sending its unacked writes there with the same
 * mutationIds (each applied once, on B only). With B gone too, it does not go to Odoo before the
 * configured hubLossFallbackMs on its (simulated) clock, and does exactly at it. NOT_LEADER is covered by
 * test/unit/client/failover.test.ts (no hub sends it yet).
 */
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransport } from '../../../src/client/create-transport.js';
import type { FetchLike, WebSocketCtor } from '../../../src/client/deps.js';
import { memoryHubBookStore } from '../../../src/client/hub-book.js';
import type { HubTransport } from '../../../src/client/hub-transport.js';
import { memoryOutboxStore } from '../../../src/client/outbox-store.js';
import { line, snapshot } from '../../fixtures/client-orders.js';
import { sdkClock } from '../../helpers/clocks.js';
import { startHub } from '../../helpers/start-hub.js';
import { changesOf, fromEmitter, until } from '../../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function ref(n: number): string {
  return `NU/CFG1/S42/1764000000000-${n.toString(16).padStart(4, '0')}`;
}

/** The real `ws` client, with what the SDK sent per socket and every socket close noted for the test. */
function recordingWebSocket(): {
  Ctor: WebSocketCtor;
  sent: Array<{ url: string; frame: Record<string, unknown> }>;
  closes: () => number;
  events: EventEmitter;
} {
  const sent: Array<{ url: string; frame: Record<string, unknown> }> = [];
  const events = new EventEmitter();
  let closes = 0;
  class Recording extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('close', () => {
        closes += 1;
        events.emit('change');
      });
    }
    override send(data: unknown, ...rest: unknown[]): void {
      if (typeof data === 'string')
        sent.push({ url: this.url.replace(/\/$/, ''), frame: JSON.parse(data) as Record<string, unknown> });
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  }
  return { Ctor: Recording as unknown as WebSocketCtor, sent, closes: () => closes, events };
}

const FALLBACK_MS = 5_000;
const STEP_MS = 100;

describe('terminal failover between two real hubs', () => {
  it('moves from a killed hub to the one it remembers, syncs in full from that other log, resends unacked writes with their mutationIds, and never goes to Odoo before hubLossFallbackMs', async () => {
    // Separate SQLite files, owned by the test so they can be read after both hubs are gone.
    const dir = mkdtempSync(join(tmpdir(), 'pos-sdk-failover-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [hubA, hubB] = await Promise.all([
      startHub({ mode: 'child-process', dbPath: join(dir, 'a.sqlite') }),
      startHub({ mode: 'child-process', dbPath: join(dir, 'b.sqlite') }),
    ]);
    cleanups.push(
      () => hubA.close(),
      () => hubB.close(),
    );
    const book = memoryHubBookStore();

    // Once upon a time this terminal met hub B (the book is the terminal's storage, kept across reloads).
    const earlier = createTransport(
      { nu_hub_enabled: true, nu_hub_url: hubB.wsUrl, deviceId: 'till-1' },
      { WebSocket: recordingWebSocket().Ctor, outboxStore: memoryOutboxStore(), hubBookStore: book, pageOrigin: null },
    ) as HubTransport;
    await earlier.connect();
    expect(earlier.state).toBe('online');
    earlier.disconnect();
    expect(book.memory()?.hubs.map((h) => h.url)).toEqual([hubB.wsUrl]);

    // Now it is configured for hub A, on a simulated clock; direct mode would go through `fetch`.
    const clock = sdkClock();
    const net = recordingWebSocket();
    const odooCalls: string[] = [];
    const fetch: FetchLike = (url) => {
      odooCalls.push(url);
      return Promise.reject(new Error('no Odoo in this test'));
    };
    const t = createTransport(
      {
        nu_hub_enabled: true,
        nu_hub_url: hubA.wsUrl,
        deviceId: 'till-1',
        session_id: 42,
        odoo_url: 'http://127.0.0.1:9',
        hubLossFallbackMs: FALLBACK_MS,
        reconnectBackoff: { baseMs: STEP_MS, factor: 1, maxMs: STEP_MS },
      },
      {
        WebSocket: net.Ctor,
        outboxStore: memoryOutboxStore(),
        hubBookStore: book,
        pageOrigin: null,
        clock,
        random: () => 0.999,
        fetch,
      },
    ) as HubTransport;
    cleanups.push(() => t.disconnect());
    const changes = [changesOf(t), fromEmitter(net.events, 'change')];
    const acked = new Map<string, string>();
    t.onOrderAcked((posReference, _version, mutationId) => acked.set(mutationId, posReference));
    await t.connect();
    expect(t.hubStatus).toMatchObject({ url: hubA.wsUrl, fallback: 'hub' });

    // One write acknowledged by A.
    const r1 = ref(1);
    await t.acquireLease(r1, 0);
    const m1 = t.sendOrderSnapshot(r1, 0, snapshot(r1, [line('a1')]));
    clock.advance(0);
    await until(() => acked.has(m1), 'A to acknowledge the first write', changes);
    const seqOnA = t.lastSeq;
    expect(seqOnA).toBeGreaterThan(0);

    // A dies hard. The terminal keeps working: two new orders queue, unacknowledged.
    await hubA.kill('SIGKILL');
    await until(() => t.state !== 'online', 'the terminal to notice A is gone', changes);
    const lostAt = t.hubStatus.hubLostSince!;
    expect(t.hubStatus.fallback).toBe('waiting');
    const r2 = ref(2);
    const r3 = ref(3);
    const m2 = t.sendOrderSnapshot(r2, 0, snapshot(r2, [line('b1')]));
    const m3 = t.sendOrderSnapshot(r3, 0, snapshot(r3, [line('c1'), line('c2')]));
    expect(t.outboxCount).toBe(2);

    // The configured hub first (refused), then the remembered one.
    let closes = net.closes();
    clock.advance(STEP_MS);
    await until(() => net.closes() > closes, 'the retry of A to be refused', changes);
    const authOnB = (): (typeof net.sent)[number][] => net.sent.filter((s) => s.url === hubB.wsUrl && s.frame.type === 'AUTH');
    closes = net.closes();
    clock.advance(STEP_MS);
    // B is a standalone hub with a seq log of its own (its id names the port it listens on): the terminal
    // signs in with the lastSeq it counted in A's log, hears B's id in AUTH_OK, leaves (3003) and signs in
    // again without one, for a full sync — resuming would replay B's events as if they were A's.
    await until(() => authOnB().length === 1 && net.closes() > closes, 'the terminal to leave B for a full sync', changes);
    clock.advance(STEP_MS);
    await until(() => t.state === 'online', 'the terminal to come online on B', changes);
    expect(t.hubStatus).toMatchObject({ url: hubB.wsUrl, fallback: 'hub', hubLostSince: null });
    expect(authOnB().map((s) => s.frame.lastSeq)).toEqual([seqOnA, undefined]);
    clock.advance(0);
    await until(() => t.outboxCount === 0, 'the unacked writes to be acknowledged by B', changes);
    expect(clock.now() - lostAt).toBeLessThan(FALLBACK_MS);
    expect(odooCalls).toEqual([]);
    // Each write went to B once, with the mutationId it was queued with; the one A acknowledged did not.
    const snapshotsOnB = net.sent
      .filter((s) => s.url === hubB.wsUrl && s.frame.type === 'ORDER_SNAPSHOT')
      .map((s) => s.frame.mutationId);
    expect(snapshotsOnB.sort()).toEqual([m2, m3].sort());
    expect(acked.get(m2)).toBe(r2);
    expect(acked.get(m3)).toBe(r3);

    // B dies too. No hub at all: nothing goes to Odoo until hubLossFallbackMs has passed on the clock.
    await hubB.kill('SIGKILL');
    await until(() => t.state !== 'online', 'the terminal to notice B is gone', changes);
    const lostAgainAt = t.hubStatus.hubLostSince!;
    while (clock.now() + STEP_MS < lostAgainAt + FALLBACK_MS) {
      closes = net.closes();
      clock.advance(STEP_MS);
      await until(() => net.closes() > closes, 'a reconnect attempt to be refused', changes);
      expect(t.hubStatus.fallback).toBe('waiting');
    }
    clock.advance(lostAgainAt + FALLBACK_MS - 1 - clock.now());
    expect(t.hubStatus.fallback).toBe('waiting');
    expect(odooCalls).toEqual([]);
    clock.advance(1);
    expect(t.hubStatus.fallback).toBe('direct');
    await until(() => odooCalls.length > 0, 'the direct engine to call Odoo', changes);
    expect(odooCalls[0]).toMatch(/^http:\/\/127\.0\.0\.1:9\//);

    // What each hub stored: r1 on A, r2 and r3 on B, every mutation once.
    await Promise.all([hubA.close(), hubB.close()]);
    const rowsOf = (path: string): { orders: Array<[string, number]>; mutations: string[] } => {
      const db = new Database(path, { readonly: true });
      try {
        const orders = (
          db.prepare('SELECT pos_reference, version FROM orders ORDER BY pos_reference').all() as Array<{
            pos_reference: string;
            version: number;
          }>
        ).map((r) => [r.pos_reference, r.version] as [string, number]);
        const mutations = (
          db
            .prepare("SELECT mutation_id FROM mutations WHERE terminal_id = 'till-1' ORDER BY mutation_id")
            .all() as Array<{ mutation_id: string }>
        ).map((r) => r.mutation_id);
        return { orders, mutations };
      } finally {
        db.close();
      }
    };
    expect(rowsOf(hubA.dbPath)).toEqual({ orders: [[r1, 1]], mutations: [m1] });
    expect(rowsOf(hubB.dbPath)).toEqual({
      orders: [
        [r2, 1],
        [r3, 1],
      ],
      mutations: [m2, m3].sort(),
    });
  }, 120_000);
});
