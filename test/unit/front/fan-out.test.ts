/**
 * Issue 16, the fan-out of one commit: a message for many sockets is published once per encoding to the
 * ready sockets' topic; a reply goes to its socket in the outbound order; a slow socket is closed (4003); the
 * frames-out metric is counted once per (encoding, type) per commit with the same totals.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { WsConnection } from '../../../src/adapters/uws/server.js';
import { parseConfig } from '../../../src/config.js';
import { Front } from '../../../src/front/front.js';
import { markReady } from '../../../src/front/terminal-registry.js';
import type { Session } from '../../../src/front/session.js';
import { noopMetrics, type HubMetrics } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { FrontToShard, FrontToWriter, WriterStats } from '../../../src/threads/contract.js';
import type { Caller, Contract } from '../../../src/threads/rpc.js';
import { fixedClock } from '../../helpers/clocks.js';
import { fakeTopics, type FakeTopics } from '../../helpers/fake-topics.js';

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

function socket(state: Session, topics: FakeTopics): WsConnection<Session> & { frames: Array<string | Uint8Array> } {
  const frames: Array<string | Uint8Array> = [];
  return topics.attach({
    state,
    closed: false,
    frames,
    send: (data) => {
      frames.push(String(data));
      return 'ok';
    },
    sendMany: (list: readonly (string | Uint8Array)[]) => {
      for (const f of list) frames.push(f);
      return 'ok';
    },
    bufferedAmount: () => 0,
    end: () => undefined,
  });
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
  const topics = fakeTopics();
  const conns = ['pos-1', 'pos-2', 'pos-3'].map((terminalId) => {
    const conn = socket(front.newSession('json', '10.0.0.2'), topics);
    markReady(conn);
    conn.state.terminalId = terminalId;
    conn.state.role = 'manager';
    front.byTerminal.set(terminalId, conn);
    return conn;
  });
  return { front, counted, conns, topics };
}

describe('fan-out of one commit', () => {
  it('publishes a shared message once per encoding, sends a reply to its socket, and counts frames per type', () => {
    const { front, counted, conns, topics } = setup();
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
    // One publish per message to the JSON topic; uWS (here the fake) hands it to every subscriber.
    expect(topics.published.map((p) => p.topic)).toEqual(['all/json', 'all/json']);
    expect(two.frames).toEqual([JSON.stringify(updated(1)), JSON.stringify(updated(2))]);
    expect(three.frames).toEqual(two.frames);
    expect(counted.sort()).toEqual([
      ['ORDER_ACK', 'json', 1],
      ['ORDER_UPDATED', 'json', 4],
    ]);
  });

  it("keeps one commit's order for a socket that gets a reply and broadcasts, and leaves out the non-ready", () => {
    const { front, conns, topics } = setup();
    const [one, two, three] = conns as [(typeof conns)[0], (typeof conns)[0], (typeof conns)[0]];
    three.state.phase = 'syncing';
    three.unsubscribe('all/json');
    const msg = (type: string) => ({ type, tableId: 4 }) as unknown as HubMessage;
    front.onWriterMessage({
      type: 'deliver',
      input: {
        stats: STATS,
        deliveries: [
          {
            out: [
              { to: 'all', msg: msg('TABLE_LOCKED') },
              { to: 'terminal', terminalId: 'pos-1', msg: msg('ORDER_ACK') },
              { to: 'others', except: 'pos-1', msg: msg('ORDER_UPDATED') },
              { to: 'all', msg: msg('TABLE_LOCK_RELEASED') },
            ],
          },
        ],
      },
    });
    const types = (frames: Array<string | Uint8Array>) => frames.map((f) => (JSON.parse(String(f)) as { type: string }).type);
    expect(types(one.frames)).toEqual(['TABLE_LOCKED', 'ORDER_ACK', 'TABLE_LOCK_RELEASED']);
    expect(types(two.frames)).toEqual(['TABLE_LOCKED', 'ORDER_UPDATED', 'TABLE_LOCK_RELEASED']);
    expect(three.frames).toEqual([]);
    expect(topics.published).toHaveLength(3);
  });

  it('closes a socket left over HUB_MAX_BACKPRESSURE by a publish with 4003', () => {
    const { front, conns } = setup();
    const [, two] = conns as [(typeof conns)[0], (typeof conns)[0]];
    const ended: number[] = [];
    two.bufferedAmount = () => 64 * 1024 * 1024;
    two.end = (code) => void ended.push(code);
    front.broadcastStatus();
    expect(ended).toEqual([4003]);
  });
});

/**
 * Reading every socket's send buffer after every publish is O(terminals) native calls per write. The bytes
 * queued to a socket all come from our sends and publishes, so the sockets are read only when the bytes
 * published since the last reading could have taken one over HUB_MAX_BACKPRESSURE — and a terminal that
 * stops reading is still closed before more than that limit is queued to it.
 */
describe('the slow-socket check after a publish', () => {
  const LIMIT = 1024 * 1024;

  function stalled(limit = LIMIT) {
    const clock = fixedClock();
    const front = new Front({
      config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_MAX_BACKPRESSURE: String(limit) }),
      clock,
      log: createLogger({ level: 'silent' }),
      metrics: noopMetrics,
      tokenValidator: { validate: () => new Promise(() => undefined) },
      shards: [channel<FrontToShard>()],
      writer: channel<FrontToWriter>(),
      onChange: () => undefined,
    });
    const topics = fakeTopics();
    let reads = 0;
    const conns = ['pos-1', 'pos-2', 'pos-3'].map((terminalId) => {
      const conn = socket(front.newSession('json', '10.0.0.2'), topics);
      // A terminal that reads nothing: every byte sent to it stays queued.
      let queued = 0;
      const ended: number[] = [];
      Object.assign(conn, {
        send: (data: string | Uint8Array) => {
          queued += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
          return 'ok';
        },
        bufferedAmount: () => {
          reads += 1;
          return queued;
        },
        end: (code: number) => {
          ended.push(code);
          Object.assign(conn, { closed: true });
        },
      });
      markReady(conn);
      conn.state.terminalId = terminalId;
      conn.state.role = 'manager';
      front.byTerminal.set(terminalId, conn);
      return { conn, ended, queued: () => queued };
    });
    const publish = (bytes: number) =>
      front.onWriterMessage({
        type: 'deliver',
        input: {
          stats: STATS,
          deliveries: [{ out: [{ to: 'others', except: 'pos-1', msg: { type: 'ORDER_UPDATED', note: 'x'.repeat(bytes) } as unknown as HubMessage }] }],
        },
      });
    return { clock, conns, publish, reads: () => reads, front };
  }

  it('reads the sockets on the first publish, then only when the bytes published since could reach the limit', () => {
    const { clock, publish, reads } = stalled();
    publish(1000);
    const afterFirst = reads();
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) {
      clock.advance(1);
      publish(1000);
    }
    // 20 kB (at most 60 kB on the wire as UTF-8) cannot take a socket from 1 kB to 1 MB: nothing was read.
    expect(reads()).toBe(afterFirst);
  });

  it('closes a terminal that stopped reading before its queue passes the limit, publish after publish', () => {
    const { clock, conns, publish } = stalled();
    const [, two] = conns as [(typeof conns)[0], (typeof conns)[0]];
    for (let i = 0; i < 200 && two.ended.length === 0; i++) {
      clock.advance(1);
      publish(50_000);
      // Never left over the limit after a fan-out without being closed.
      if (two.queued() > LIMIT) expect(two.ended).toEqual([4003]);
    }
    expect(two.ended).toEqual([4003]);
  });

  it('counts a direct send that left a socket close to the limit: the next publish reads the sockets', () => {
    const { clock, conns, publish, reads, front } = stalled();
    const [one] = conns as [(typeof conns)[0]];
    publish(10);
    clock.advance(1);
    // A big reply to pos-1 (its SYNC_INIT, say) leaves it 50 kB under the limit.
    front.sendTo(one.conn, { type: 'HUB_STATUS', note: 'y'.repeat(LIMIT - 50_000) } as unknown as HubMessage);
    expect(one.ended).toEqual([]);
    const before = reads();
    clock.advance(1);
    publish(10);
    expect(reads()).toBeGreaterThan(before);
  });
});
