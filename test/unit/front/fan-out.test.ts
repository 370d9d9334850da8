/**
 * Issue 16, the fan-out of one commit: a message for many sockets is encoded once and handed to every socket
 * as the same UTF-8 bytes (uWS would convert a string once per socket); a reply to one terminal stays a
 * string; the frames-out metric is counted once per (encoding, type) per commit with the same totals.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { WsConnection } from '../../../src/adapters/uws/server.js';
import { parseConfig } from '../../../src/config.js';
import { Front } from '../../../src/front/front.js';
import type { Session } from '../../../src/front/session.js';
import { noopMetrics, type HubMetrics } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { FrontToShard, FrontToWriter, WriterStats } from '../../../src/threads/contract.js';
import type { Caller, Contract } from '../../../src/threads/rpc.js';
import { fixedClock } from '../../helpers/clocks.js';

function channel<C extends Contract>(): Caller<C> & { posted: Array<{ type: string; input: unknown }> } {
  const posted: Array<{ type: string; input: unknown }> = [];
  return {
    posted,
    emit: (type, input) => void posted.push({ type, input }),
    request: (type, ...input) => {
      posted.push({ type, input: input[0] });
      return new Promise(() => undefined);
    },
  };
}

function socket(state: Session): WsConnection<Session> & { frames: Array<string | Uint8Array> } {
  const frames: Array<string | Uint8Array> = [];
  return {
    state,
    closed: false,
    frames,
    send: (data) => {
      frames.push(String(data));
      return 'ok';
    },
    sendMany: (list) => {
      for (const f of list) frames.push(f);
      return 'ok';
    },
    bufferedAmount: () => 0,
    end: () => undefined,
  };
}


const STATS: WriterStats = {
  seq: 1,
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

function setup() {
  const counted: Array<[string, string, number]> = [];
  const metrics: HubMetrics = {
    ...noopMetrics,
    frameOut: (type, encoding, count = 1) => void counted.push([type, encoding, count]),
  };
  const front = new Front({
    config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' }),
    clock: fixedClock(),
    log: createLogger({ level: 'silent' }),
    metrics,
    tokenValidator: { validate: () => new Promise(() => undefined) },
    shards: [channel<FrontToShard>()],
    writer: channel<FrontToWriter>(),
    onChange: () => undefined,
  });
  const conns = ['pos-1', 'pos-2', 'pos-3'].map((terminalId) => {
    const conn = socket(front.newSession('json', '10.0.0.2'));
    conn.state.phase = 'ready';
    conn.state.terminalId = terminalId;
    conn.state.role = 'manager';
    front.byTerminal.set(terminalId, conn);
    return conn;
  });
  return { front, counted, conns };
}

describe('fan-out of one commit', () => {
  it('encodes a shared message once as bytes, keeps a reply a string, and counts frames once per type', () => {
    const { front, counted, conns } = setup();
    const updated = (version: number) =>
      ({ type: 'ORDER_UPDATED', posReference: 'Order 00001-001-0001', version, seq: version }) as unknown as HubMessage;
    const ack = { type: 'ORDER_ACK', posReference: 'Order 00001-001-0001', version: 2 } as unknown as HubMessage;
    front.onWriterMessage({
      type: 'deliver',
      input: {
        stats: STATS,
        deliveries: [
          {
            out: [
              { to: 'terminal', terminalId: 'pos-1', msg: ack },
              { to: 'others', except: 'pos-1', msg: updated(1) },
            ],
          },
          { out: [{ to: 'others', except: 'pos-1', msg: updated(2) }] },
        ],
      },
    });
    const [one, two, three] = conns as [(typeof conns)[0], (typeof conns)[0], (typeof conns)[0]];
    expect(one.frames).toEqual([JSON.stringify(ack)]);
    expect(two.frames).toHaveLength(2);
    expect(two.frames.every((f) => f instanceof Uint8Array)).toBe(true);
    // The same bytes object for every socket: encoded once.
    expect(three.frames[0]).toBe(two.frames[0]);
    expect(new TextDecoder().decode(two.frames[1] as Uint8Array)).toBe(JSON.stringify(updated(2)));
    expect(counted.sort()).toEqual([
      ['ORDER_ACK', 'json', 1],
      ['ORDER_UPDATED', 'json', 4],
    ]);
  });
});
