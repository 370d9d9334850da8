/**
 * Issue 16: a reconnect storm shares one SYNC_INIT. Terminals signing in while nothing is committed get the
 * very same encoded bytes (one per encoding), the writer sends the orders across once and then answers
 * `init_same`; a commit in between gives the next terminal fresh bytes carrying it. The front here is the
 * real one over an in-process writer on a real SQLite file.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import type { WsConnection } from '../../../src/adapters/uws/server.js';
import { parseConfig } from '../../../src/config.js';
import { createDevTokenValidator } from '../../../src/front/dev-auth.js';
import { Front } from '../../../src/front/front.js';
import type { Session } from '../../../src/front/session.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import { codecFor } from '../../../src/protocol/codec.js';
import type { Encoding } from '../../../src/protocol/constants.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import type { Unit } from '../../../src/threads/actor-io.js';
import type { FrontToShard, FrontToWriter, SyncResult } from '../../../src/threads/contract.js';
import type { Caller } from '../../../src/threads/rpc.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';
import { fakeTopics } from '../../helpers/fake-topics.js';
import { fromEmitter, until, waitFor } from '../../helpers/wait.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-front-sync-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function snap(posReference: string): OrderSnapshot {
  return {
    posReference,
    tableId: 1,
    state: 'editing',
    kitchenStatus: 'open',
    sessionId: 1,
    userId: 1,
    lines: [],
    payments: [],
    amountTotal: 0,
    amountTax: 0,
    amountPaid: 0,
    amountReturn: 0,
    createdAt: '2026-01-01T10:00:00.000Z',
  };
}

function write(posReference: string): Unit {
  const updated: HubMessage = {
    type: 'ORDER_UPDATED',
    posReference,
    version: 1,
    snapshot: snap(posReference),
    sourceTerminal: 'ann',
  };
  return {
    ops: [
      {
        op: 'order_put',
        posReference,
        homeKey: 't:1',
        tableId: 1,
        version: 1,
        snapshot: snap(posReference),
        terminalId: 'ann',
        state: 'editing',
      },
      { op: 'event', type: 'ORDER_UPDATED', posReference, payload: updated, sourceTerminal: 'ann' },
    ],
    out: [{ to: 'others', except: 'ann', msg: updated, stamp: true }],
  };
}

type Sent = string | Uint8Array;
type TestConn = WsConnection<Session> & { readonly frames: Sent[]; onFrame: (() => void) | null };

/** One in-memory pub/sub for the file's sockets (sign-in subscribes a ready socket to its encoding's topic). */
const topics = fakeTopics();

function socket(state: Session): TestConn {
  const conn: Omit<TestConn, 'subscribe' | 'unsubscribe' | 'subscribers' | 'publish'> = {
    state,
    closed: false,
    frames: [],
    onFrame: null,
    send: (data) => conn.sendMany([data as Sent], false),
    sendMany: (frames) => {
      for (const f of frames) conn.frames.push(f as Sent);
      conn.onFrame?.();
      return 'ok';
    },
    bufferedAmount: () => 0,
    end: () => undefined,
  };
  return topics.attach(conn);
}

function decode(conn: TestConn, frame: Sent): Record<string, unknown> {
  const codec = conn.state.codec;
  const text = !codec.binary && typeof frame !== 'string' ? new TextDecoder().decode(frame) : frame;
  const decoded = codec.decode(text);
  if (!decoded.ok) throw new Error('undecodable frame');
  return decoded.value as Record<string, unknown>;
}

function setup() {
  const store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
  const core = new WriterCore({
    store: new SqliteStorePort(store),
    config,
    clock: writerClock(fixedClock()),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    toFront: () => undefined,
  });
  const answers: SyncResult['mode'][] = [];
  const answered = new EventEmitter();
  const answersReach = (n: number): Promise<void> =>
    until(() => answers.length >= n, `${n} sync answers`, fromEmitter(answered, 'answer'));
  /** While held, sync answers are computed (in order) but kept from the front. */
  let gate: Promise<void> = Promise.resolve();
  const holdAnswers = (): (() => void) => {
    let release: () => void = () => undefined;
    gate = new Promise((resolve) => (release = resolve));
    return release;
  };
  const writer: Caller<FrontToWriter> = {
    request: async (type, ...input) => {
      const result = await core.request(type, ...input);
      if (type === 'sync') {
        answers.push((result as SyncResult).mode);
        answered.emit('answer');
        await gate;
      }
      return result;
    },
    emit: () => undefined,
  };
  const shard: Caller<FrontToShard> = { request: () => new Promise(() => undefined), emit: () => undefined };
  const front = new Front({
    config,
    clock: fixedClock(),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    tokenValidator: createDevTokenValidator({ devAuth: true, hubUser: 'hub' }),
    shards: [shard],
    writer,
    onChange: () => undefined,
  });
  /** Open a socket and send AUTH. */
  const open = (deviceId: string, encoding: Encoding = 'json'): TestConn => {
    const conn = socket(front.newSession(encoding, '127.0.0.1'));
    front.onOpen(conn);
    const auth = codecFor(encoding).encode({ type: 'AUTH', token: `dev:cashier:${deviceId}`, deviceId });
    const data = typeof auth === 'string' ? new TextEncoder().encode(auth) : auth;
    const frame = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    front.onMessage(conn, frame, encoding === 'msgpack');
    return conn;
  };
  /** Open a socket, sign it in and resolve with the SYNC_INIT frame it received, as sent. */
  const signIn = async (deviceId: string, encoding: Encoding = 'json'): Promise<{ conn: TestConn; frame: Sent }> => {
    // The answer comes from the writer on a later turn: watching from here misses nothing.
    const conn = open(deviceId, encoding);
    const syncInit = (): Sent | undefined => conn.frames.find((f) => decode(conn, f).type === 'SYNC_INIT');
    await waitFor<void>(
      (listener) => {
        conn.onFrame = () => listener();
        return () => (conn.onFrame = null);
      },
      () => syncInit() !== undefined,
      `SYNC_INIT for ${deviceId}`,
    );
    const frame = syncInit();
    if (frame === undefined) throw new Error('no SYNC_INIT');
    return { conn, frame };
  };
  return { front, store, core, answers, answersReach, holdAnswers, open, signIn };
}

describe('a reconnect storm shares one SYNC_INIT', () => {
  it('sends the same bytes to every terminal per encoding, and fresh bytes after a commit', async () => {
    const { store, core, answers, signIn } = setup();
    core.enqueue([write('A')]);
    core.commit();

    const a = await signIn('pos-a');
    const b = await signIn('pos-b');
    const c = await signIn('pos-c');
    // Not equal copies: the one encoded frame, written to each socket.
    expect(b.frame).toBe(a.frame);
    expect(c.frame).toBe(a.frame);
    const m1 = await signIn('pos-m1', 'msgpack');
    const m2 = await signIn('pos-m2', 'msgpack');
    expect(m2.frame).toBe(m1.frame);
    expect(m1.frame).not.toBe(a.frame);
    expect(decode(m1.conn, m1.frame)).toEqual(decode(a.conn, a.frame));
    // The orders crossed from the writer once; every later terminal got `init_same`.
    expect(answers).toEqual(['init', 'init_same', 'init_same', 'init_same', 'init_same']);
    const before = decode(a.conn, a.frame);
    expect((before.orders as Array<{ posReference: string }>).map((o) => o.posReference)).toEqual(['A']);

    core.enqueue([write('B')]);
    core.commit();
    const d = await signIn('pos-d');
    expect(d.frame).not.toBe(a.frame);
    const after = decode(d.conn, d.frame);
    expect(after.seq).toBe(store.currentSeq());
    expect((after.orders as Array<{ posReference: string }>).map((o) => o.posReference).sort()).toEqual(['A', 'B']);
    const e = await signIn('pos-e');
    expect(e.frame).toBe(d.frame);
    expect(answers.slice(5)).toEqual(['init', 'init_same']);
    store.close();
  });

  it('sends the content across once for a storm whose requests all leave before the first answer, even if its terminal left', async () => {
    const { front, store, core, answers, answersReach, holdAnswers, open, signIn } = setup();
    core.enqueue([write('A')]);
    core.commit();
    const release = holdAnswers();
    // The first terminal to ask goes away before its answer arrives: the content it carries is kept all the same.
    const gone = open('pos-gone');
    await answersReach(1);
    front.onClose(gone);
    const storm = Promise.all(['pos-1', 'pos-2', 'pos-3', 'pos-4'].map((id) => signIn(id)));
    await answersReach(5);
    release();
    const synced = await storm;
    expect(answers).toEqual(['init', 'init_same', 'init_same', 'init_same', 'init_same']);
    for (const { frame } of synced) expect(frame).toBe(synced[0]?.frame);
    expect(gone.frames.filter((f) => decode(gone, f).type === 'SYNC_INIT')).toEqual([]);
    store.close();
  });
});
