/**
 * Issue 16: the writer encodes a commit's broadcasts once (workers/writer/encode-deliveries.ts) and the front
 * publishes the JSON text unchanged. Every socket, JSON or msgpack, must get the very frames it got when the
 * front encoded the message itself, in the same order around the sender's reply, with the same counts.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { WsConnection } from '../../../src/adapters/uws/server.js';
import { parseConfig } from '../../../src/config.js';
import { Front } from '../../../src/front/front.js';
import type { Session } from '../../../src/front/session.js';
import { markReady } from '../../../src/front/terminal-registry.js';
import { noopMetrics, type HubMetrics } from '../../../src/ports/metrics.js';
import type { Encoding } from '../../../src/protocol/constants.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { FrontToShard, FrontToWriter, WriterNotice, WriterStats } from '../../../src/threads/contract.js';
import type { Caller, Contract } from '../../../src/threads/rpc.js';
import { encodeDeliveries } from '../../../workers/writer/encode-deliveries.js';
import { fixedClock } from '../../helpers/clocks.js';
import { fakeTopics } from '../../helpers/fake-topics.js';

const silent = <C extends Contract>(): Caller<C> => ({ emit: () => undefined, request: () => new Promise(() => undefined) });

const STATS: WriterStats = {
  seq: 7,
  orders: 1,
  activeLeases: 0,
  activeLocks: 0,
  pendingForward: 0,
  totalForwarded: 0,
  deadLetters: 0,
  lastOdooSync: null,
  odooReachable: false,
  lastOdooError: null,
};

/** A front with a JSON and a msgpack terminal besides the sender; every frame each socket got, and the counts. */
function deliverThrough(notice: Parameters<Front['onWriterMessage']>[0]) {
  const counted: string[] = [];
  const metrics: HubMetrics = { ...noopMetrics, frameOut: (type, encoding, count = 1) => void counted.push(`${type}/${encoding}/${count}`) };
  const front = new Front({
    config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' }),
    clock: fixedClock(),
    log: createLogger({ level: 'silent' }),
    metrics,
    tokenValidator: { validate: () => new Promise(() => undefined) },
    shards: [silent<FrontToShard>()],
    writer: silent<FrontToWriter>(),
    onChange: () => undefined,
  });
  const topics = fakeTopics();
  const frames = new Map<string, Array<string | Uint8Array>>();
  const terminals: Array<[string, Encoding]> = [
    ['pos-1', 'json'],
    ['pos-2', 'json'],
    ['pos-3', 'msgpack'],
  ];
  for (const [terminalId, encoding] of terminals) {
    const got: Array<string | Uint8Array> = [];
    frames.set(terminalId, got);
    const conn: WsConnection<Session> = topics.attach({
      state: front.newSession(encoding, '10.0.0.2'),
      closed: false,
      send: (data: string | Uint8Array) => (got.push(data), 'ok' as const),
      sendMany: (list: readonly (string | Uint8Array)[]) => (got.push(...list), 'ok' as const),
      bufferedAmount: () => 0,
      end: () => undefined,
    });
    conn.state.terminalId = terminalId;
    conn.state.role = 'manager';
    markReady(conn);
    front.byTerminal.set(terminalId, conn);
  }
  front.onWriterMessage(notice);
  return { frames: Object.fromEntries(frames), counted: counted.sort() };
}

describe('a broadcast the writer encoded', () => {
  const snapshot = { posReference: 'Order 1', lines: [{ uid: 'l1', qty: 2, note: 'ñandú "x"' }], createdAt: '2026-01-01T10:00:00Z' };
  const updated = { type: 'ORDER_UPDATED', posReference: 'Order 1', version: 3, snapshot, sourceTerminal: 'pos-1', seq: 7, serverTime: 1_780_000_000_000 } as unknown as HubMessage;
  const ack = { type: 'ORDER_ACK', posReference: 'Order 1', version: 3, seq: 7 } as unknown as HubMessage;
  const locked = { type: 'TABLE_LOCKED', tableId: 4, terminalId: 'pos-1' } as unknown as HubMessage;
  const notice: WriterNotice = {
    type: 'deliver',
    input: {
      stats: STATS,
      deliveries: [
        {
          out: [
            { to: 'terminal', terminalId: 'pos-1', msg: ack },
            { to: 'others', except: 'pos-1', msg: updated },
            { to: 'all', msg: locked },
          ],
        },
      ],
    },
  };

  it('crosses as JSON text, with the reply to one terminal left as a message', () => {
    const encoded = encodeDeliveries(notice);
    expect(encoded.type === 'deliver' && encoded.input.deliveries[0]?.out).toEqual([
      { to: 'terminal', terminalId: 'pos-1', msg: ack },
      { to: 'broadcast', except: 'pos-1', type: 'ORDER_UPDATED', json: JSON.stringify(updated) },
      { to: 'broadcast', except: null, type: 'TABLE_LOCKED', json: JSON.stringify(locked) },
    ]);
  });

  it('reaches every socket, JSON and msgpack, as the same frames in the same order, counted the same', () => {
    const asMessages = deliverThrough(notice);
    const asEncoded = deliverThrough(encodeDeliveries(notice));
    expect(asEncoded).toEqual(asMessages);
    // Not vacuous: the msgpack terminal got binary frames, the sender its reply before the lock broadcast.
    expect(asEncoded.frames['pos-3']).toHaveLength(2);
    expect(asEncoded.frames['pos-3']?.every((f) => f instanceof Uint8Array)).toBe(true);
    expect(asEncoded.frames['pos-1']).toEqual([JSON.stringify(ack), JSON.stringify(locked)]);
  });

  it('is left as a message when it cannot be stringified (the front then logs and counts it)', () => {
    const bad = { type: 'TABLE_LOCKED', tableId: 1n } as unknown as HubMessage;
    const encoded = encodeDeliveries({ type: 'deliver', input: { stats: STATS, deliveries: [{ out: [{ to: 'all', msg: bad }] }] } });
    expect(encoded.type === 'deliver' && encoded.input.deliveries[0]?.out[0]).toEqual({ to: 'all', msg: bad });
  });
});
