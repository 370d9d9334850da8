/**
 * Issue 12, item 2, on the front thread: an outbound message that cannot be encoded (here a BigInt past 64 bits, which
 * neither JSON nor this msgpack setup can write) is left out — logged, counted once per message, not once
 * per socket — and the messages around it still reach every terminal. It used to throw out of fan-out.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { WsConnection } from '../../../src/adapters/uws/server.js';
import { parseConfig } from '../../../src/config.js';
import { Front } from '../../../src/front/front.js';
import { markReady } from '../../../src/front/terminal-registry.js';
import type { Caller, Contract } from '../../../src/threads/rpc.js';
import type { Session } from '../../../src/front/session.js';
import { noopMetrics, type QuarantineKind } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import { fixedClock } from '../../helpers/clocks.js';
import { fakeTopics, type FakeTopics } from '../../helpers/fake-topics.js';

function channel<C extends Contract>(): Caller<C> {
  return { emit: () => undefined, request: () => new Promise(() => undefined) };
}

function socket(state: Session, topics: FakeTopics): WsConnection<Session> & { sent: (string | Uint8Array)[] } {
  const sent: (string | Uint8Array)[] = [];
  return topics.attach({
    state,
    sent,
    closed: false,
    send: (data) => {
      sent.push(data);
      return 'ok';
    },
    sendMany: (frames: readonly (string | Uint8Array)[]) => {
      sent.push(...frames);
      return 'ok';
    },
    bufferedAmount: () => 0,
    end: () => undefined,
  });
}

describe('front encode guard', () => {
  it('leaves out a message that cannot be encoded and delivers the rest to every terminal', () => {
    const counted: QuarantineKind[] = [];
    const front = new Front({
      config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' }),
      clock: fixedClock(),
      log: createLogger({ level: 'silent' }),
      metrics: { ...noopMetrics, quarantined: (kind) => counted.push(kind) },
      tokenValidator: { validate: () => new Promise(() => undefined) },
      shards: [channel()],
      writer: channel(),
      onChange: () => undefined,
    });
    const topics = fakeTopics();
    const sockets = (['json', 'json', 'msgpack'] as const).map((encoding, i) => {
      const conn = socket(front.newSession(encoding), topics);
      markReady(conn);
      conn.state.terminalId = `t${i}`;
      conn.state.role = 'cashier';
      front.byTerminal.set(`t${i}`, conn);
      return conn;
    });
    const status = (n: number): HubMessage => ({ type: 'HUB_STATUS', connectedTerminals: n, odooReachable: false, pendingForward: 0, serverTime: 1 });
    const poisoned = { ...status(2), extra: 2n ** 70n } as unknown as HubMessage;
    const stats = { seq: 0, orders: 0, activeLeases: 0, activeLocks: 0, pendingForward: 0, totalForwarded: 0, deadLetters: 0, lastOdooSync: null, odooReachable: false, lastOdooError: null };
    expect(() => front.onWriterMessage({ type: 'deliver', input: { deliveries: [{ out: [{ to: 'all', msg: status(1) }, { to: 'all', msg: poisoned }, { to: 'all', msg: status(3) }] }], stats } })).not.toThrow();
    for (const conn of sockets) expect(conn.sent).toHaveLength(2);
    // Once per encoding that tried it (JSON and msgpack), not once per socket.
    expect(counted).toEqual(['message', 'message']);
    expect(front.sendTo(sockets[0]!, poisoned)).toBe(false);
  });
});
