/**
 * Issue 15, "Also": SHUTTING_DOWN is used. Once the hub stops accepting (shutdown has begun flushing the
 * shards), a signed-in terminal's frame that would start work gets ERROR SHUTTING_DOWN with its ref and
 * reaches no shard or writer — the SDK keeps it and resends after reconnecting; a HEARTBEAT is still
 * answered; an AUTH gets AUTH_FAIL SHUTTING_DOWN (retryable) and the socket closes with 1001.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { WsConnection } from '../../../src/adapters/uws/server.js';
import { parseConfig } from '../../../src/config.js';
import { Front } from '../../../src/front/front.js';
import { markReady } from '../../../src/front/terminal-registry.js';
import type { FrontToShard, FrontToWriter } from '../../../src/threads/contract.js';
import type { Caller, Contract } from '../../../src/threads/rpc.js';
import type { Session } from '../../../src/front/session.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import { CLOSE_CODES } from '../../../src/protocol/close-codes.js';
import { fixedClock } from '../../helpers/clocks.js';
import { fakeTopics, type FakeTopics } from '../../helpers/fake-topics.js';

/** A peer that records every event and request it is sent, and never answers a request. */
interface Recorded<C extends Contract> extends Caller<C> {
  readonly posted: Array<{ type: string; input?: unknown }>;
}

function channel<C extends Contract>(): Recorded<C> {
  const posted: Array<{ type: string; input?: unknown }> = [];
  return {
    posted,
    emit: (type, input) => void posted.push({ type, input }),
    request: (type, ...input) => {
      posted.push({ type, input: input[0] });
      return new Promise(() => undefined);
    },
  };
}

type TestConn = WsConnection<Session> & { received: () => Array<Record<string, unknown>>; endedWith: number | null };

function socket(state: Session, topics: FakeTopics): TestConn {
  const sent: string[] = [];
  const conn: TestConn = topics.attach({
    state,
    closed: false,
    endedWith: null,
    received: () => sent.map((f) => JSON.parse(f) as Record<string, unknown>),
    send: (data) => {
      sent.push(String(data));
      return 'ok';
    },
    sendMany: (frames: readonly (string | Uint8Array)[]) => {
      for (const f of frames) sent.push(String(f));
      return 'ok';
    },
    bufferedAmount: () => 0,
    end: (code: number) => {
      conn.endedWith = code ?? null;
    },
  });
  return conn;
}

const frame = (msg: object): ArrayBuffer => new TextEncoder().encode(JSON.stringify(msg)).buffer;

function setup() {
  const shard = channel<FrontToShard>();
  const writer = channel<FrontToWriter>();
  const front = new Front({
    config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' }),
    clock: fixedClock(),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    tokenValidator: { validate: () => new Promise(() => undefined) },
    shards: [shard],
    writer,
    onChange: () => undefined,
  });
  const topics = fakeTopics();
  const ready = socket(front.newSession('json', '10.0.0.2'), topics);
  markReady(ready);
  ready.state.terminalId = 'pos-1';
  ready.state.role = 'manager';
  front.byTerminal.set('pos-1', ready);
  return { front, shard, writer, ready };
}

describe('frames while the hub shuts down', () => {
  it('are routed as usual while the hub accepts', () => {
    const { front, shard, writer, ready } = setup();
    front.onMessage(
      ready,
      frame({ type: 'LEASE_ACQUIRE', posReference: 'Order 00001-001-0001', baseVersion: 0, tableId: 3 }),
      false,
    );
    front.onMessage(ready, frame({ type: 'TICKET_NUMBER_REQUEST', orderType: 'takeout' }), false);
    expect(shard.posted).toHaveLength(1);
    expect(writer.posted).toHaveLength(1);
    expect(ready.received()).toEqual([]);
  });

  it('that would start work get SHUTTING_DOWN with their ref and reach no worker; heartbeats are answered', () => {
    const { front, shard, writer, ready } = setup();
    front.stopAccepting();
    front.onMessage(
      ready,
      frame({ type: 'LEASE_ACQUIRE', posReference: 'Order 00001-001-0001', baseVersion: 0, tableId: 3 }),
      false,
    );
    front.onMessage(ready, frame({ type: 'TICKET_NUMBER_REQUEST', orderType: 'takeout', mutationId: 'm-7' }), false);
    front.onMessage(ready, frame({ type: 'HEARTBEAT' }), false);
    expect(shard.posted).toEqual([]);
    expect(writer.posted).toEqual([]);
    const received = ready.received();
    expect(received.map((m) => [m.type, m.code])).toEqual([
      ['ERROR', 'SHUTTING_DOWN'],
      ['ERROR', 'SHUTTING_DOWN'],
      ['HEARTBEAT_ACK', undefined],
    ]);
    expect(received[0]?.ref).toEqual({ type: 'LEASE_ACQUIRE', posReference: 'Order 00001-001-0001', tableId: 3 });
    expect(received[1]?.ref).toEqual({ type: 'TICKET_NUMBER_REQUEST', mutationId: 'm-7' });
    // Not counted as abuse: the terminal did nothing wrong.
    expect(ready.state.abuseCount).toBe(0);
    expect(ready.endedWith).toBeNull();
  });

  it('an AUTH gets AUTH_FAIL SHUTTING_DOWN and the socket closes with 1001', () => {
    const { front } = setup();
    const fresh = socket(front.newSession('json', '10.0.0.3'), fakeTopics());
    front.onOpen(fresh);
    front.stopAccepting();
    front.onMessage(fresh, frame({ type: 'AUTH', token: '', deviceId: 'pos-2' }), false);
    expect(fresh.received()).toMatchObject([{ type: 'AUTH_FAIL', code: 'SHUTTING_DOWN' }]);
    expect(fresh.endedWith).toBe(CLOSE_CODES.GOING_AWAY.code);
  });
});
