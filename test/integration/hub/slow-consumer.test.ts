/**
 * Slow consumers (issue 14 item 5), with a terminal that really stops reading (a bare TCP socket after
 * the WebSocket handshake, and the SDK's own `ws` socket paused): the hub closes it with 4003 behind the
 * frames already queued, the terminal that reads again gets all of them and then a readable 4003, and
 * reconnecting with `lastSeq` resumes exactly where it stopped. The resume window is tested at its edge.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocketCtor } from '../../../src/client/deps.js';
import type { OrderUpdate, ResyncInfo } from '../../../src/client/types.js';
import { hubClient } from '../../fixtures/client-orders.js';
import { RawWsClient } from '../../helpers/raw-ws.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal, snapshotWithLines } from '../../helpers/terminal.js';
import { anyOf, changesOf, fromEmitter, until, type EventSource } from '../../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hubWith(env: Record<string, string>): Promise<StartedHub> {
  const hub = await startHub({ env });
  cleanups.push(() => hub.close());
  return hub;
}

async function connectedTerminals(hub: StartedHub): Promise<number> {
  return ((await (await fetch(`${hub.url}/health`)).json()) as { connectedTerminals: number }).connectedTerminals;
}

/** Large ORDER_UPDATED broadcasts (~240 kB each) until the hub has dropped the slow terminal; bounded. */
async function floodUntilDropped(
  hub: StartedHub,
  writer: TestTerminal,
  posReference: string,
  connectedBefore: number,
): Promise<number> {
  writer.send({ type: 'LEASE_ACQUIRE', posReference, baseVersion: 0, tableId: 12 });
  await writer.awaitType('LEASE_GRANTED');
  let version = 0;
  while (version < 200 && (await connectedTerminals(hub)) === connectedBefore) {
    version += 1;
    const v = version;
    writer.send({
      type: 'ORDER_SNAPSHOT',
      posReference,
      baseVersion: v - 1,
      snapshot: snapshotWithLines(posReference, 12, 1500 + v),
    });
    await writer.awaitType('ORDER_ACK', (m) => m.version === v);
  }
  expect(await connectedTerminals(hub)).toBe(connectedBefore - 1);
  return version;
}

describe('a terminal that stops reading', () => {
  it('reads every queued frame and then a 4003 close, and resumes from its lastSeq', async () => {
    const hub = await hubWith({ HUB_MAX_BACKPRESSURE: String(64 * 1024) });
    const writer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'bp-writer' });
    cleanups.push(() => writer.close());
    const raw = await RawWsClient.open('127.0.0.1', hub.port);
    cleanups.push(() => raw.destroy());
    raw.sendText(JSON.stringify({ type: 'AUTH', token: '', deviceId: 'bp-raw' }));
    await raw.until(() => raw.messages().some((m) => m.type === 'SYNC_INIT'), 'SYNC_INIT');
    raw.pause();
    const lastVersion = await floodUntilDropped(hub, writer, 'BP-RAW', 2);
    raw.resume();
    await raw.awaitEnd();
    expect(raw.closeCode()).toBe(4003);
    // Nothing silently skipped before the close: the versions it read are 1..k without a hole.
    const versions = raw
      .messages()
      .filter((m) => m.type === 'ORDER_UPDATED')
      .map((m) => m.version as number);
    expect(versions.length).toBeGreaterThan(0);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
    const lastSeq = Math.max(...raw.messages().map((m) => (typeof m.seq === 'number' ? m.seq : 0)));
    const back = await TestTerminal.connect(hub.wsUrl, { deviceId: 'bp-raw', lastSeq });
    cleanups.push(() => back.close());
    const sync = back.messages.find((m) => m.type === 'SYNC_RESUME');
    expect(sync).toMatchObject({ fromSeq: lastSeq + 1, count: lastVersion - versions.length });
    const resumed = back.messages.filter((m) => m.type === 'ORDER_UPDATED').map((m) => m.version as number);
    expect([...versions, ...resumed]).toEqual(Array.from({ length: lastVersion }, (_, i) => i + 1));
  });

  it('the SDK, closed with 4003, reconnects with lastSeq and resumes without a full resync', async () => {
    const hub = await hubWith({ HUB_MAX_BACKPRESSURE: String(64 * 1024) });
    const sockets: WebSocket[] = [];
    const closeCodes: number[] = [];
    const socketEvents: EventSource[] = [];
    // `ws`'s WebSocket, remembering each socket so the test can stop it reading.
    class TrackedWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
        this.on('close', (code) => closeCodes.push(code));
        socketEvents.push(fromEmitter(this, 'open', 'close'));
      }
    }
    const slow = hubClient(
      hub.wsUrl,
      'bp-sdk',
      { WebSocket: TrackedWebSocket as unknown as WebSocketCtor },
      { reconnectBackoff: { baseMs: 50, factor: 2, maxMs: 200 } },
    );
    cleanups.push(() => slow.disconnect());
    const updates: OrderUpdate[] = [];
    const resyncs: ResyncInfo[] = [];
    slow.onOrderUpdated((u) => updates.push(u));
    slow.onResync((r) => resyncs.push(r));
    await slow.connect();
    const writer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'bp-writer-2' });
    cleanups.push(() => writer.close());
    sockets[0]!.pause();
    const lastVersion = await floodUntilDropped(hub, writer, 'BP-SDK', 2);
    sockets[0]!.resume();
    await until(() => closeCodes.length >= 1, 'the first socket to close', anyOf(...socketEvents));
    expect(closeCodes[0]).toBe(4003);
    // It reconnects by itself, asking to resume from the last seq it read.
    await until(() => sockets.length >= 2 && slow.state === 'online', 'the SDK back online', changesOf(slow), 30_000);
    expect(slow.lastSeq).toBeGreaterThan(0);
    for (let v = lastVersion + 1; v <= lastVersion + 3; v++) {
      writer.send({
        type: 'ORDER_SNAPSHOT',
        posReference: 'BP-SDK',
        baseVersion: v - 1,
        snapshot: snapshotWithLines('BP-SDK', 12, 10 + v),
      });
      await writer.awaitType('ORDER_ACK', (m) => m.version === v);
    }
    await until(
      () => updates.some((u) => u.posReference === 'BP-SDK' && u.version === lastVersion + 3),
      'the versions after the reconnect',
      changesOf(slow),
    );
    expect(resyncs.filter((r) => r.reason === 'full')).toEqual([]);
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    expect(metrics).toMatch(/pos_hub_resyncs_total\{[^}]*kind="resume"[^}]*\} 1\b/);
    const seen = [...new Set(updates.filter((u) => u.posReference === 'BP-SDK').map((u) => u.version))];
    expect(seen).toEqual(Array.from({ length: lastVersion + 3 }, (_, i) => i + 1));
  });
});

describe('the lastSeq resume window equals HUB_EVENT_RETENTION', () => {
  it('resumes a terminal that missed exactly the retention; one event more gets SYNC_INIT', async () => {
    const retention = 100;
    const hub = await hubWith({ HUB_EVENT_RETENTION: String(retention) });
    const writer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'win-writer' });
    cleanups.push(() => writer.close());
    for (let i = 1; i <= retention + 20; i++) {
      writer.send({ type: 'TABLE_UPDATE', tableId: 100 + i, status: 'occupied' });
      await writer.awaitMessage(
        (m) => m.type === 'ERROR' || (m.type === 'TABLE_UPDATED' && m.tableId === 100 + i),
        `TABLE_UPDATED ${100 + i}`,
      );
    }
    const seq = ((await (await fetch(`${hub.url}/health`)).json()) as { seq: number }).seq;
    expect(seq).toBeGreaterThanOrEqual(retention + 20);
    const edge = await TestTerminal.connect(hub.wsUrl, { deviceId: 'win-edge', lastSeq: seq - retention });
    cleanups.push(() => edge.close());
    expect(edge.messages[1]).toMatchObject({
      type: 'SYNC_RESUME',
      fromSeq: seq - retention + 1,
      toSeq: seq,
      count: retention,
    });
    const past = await TestTerminal.connect(hub.wsUrl, { deviceId: 'win-past', lastSeq: seq - retention - 1 });
    cleanups.push(() => past.close());
    expect(past.messages[1]).toMatchObject({ type: 'SYNC_INIT', seq });
  });
});
