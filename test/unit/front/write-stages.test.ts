/**
 * Issue 16, per-stage latency on the front: `decode` (frame in → its work emitted) is recorded for work sent
 * to a shard or the writer and its reading is the `sentAt` stamped on that work; on a `deliver`, `to_front`
 * (from the writer's stamp, when present) and `fan_out` are recorded once per committed write. A stepping
 * clock stands in for performance.now(), so each figure is exact.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { WsConnection } from '../../../src/adapters/uws/server.js';
import { parseConfig } from '../../../src/config.js';
import { Front } from '../../../src/front/front.js';
import { markReady } from '../../../src/front/terminal-registry.js';
import type { Session } from '../../../src/front/session.js';
import { noopMetrics, stageTimer, type HubMetrics, type WriteStage } from '../../../src/ports/metrics.js';
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

function socket(state: Session, topics: FakeTopics): WsConnection<Session> & { frames: string[] } {
  const frames: string[] = [];
  return topics.attach({
    state,
    closed: false,
    frames,
    send: (data) => {
      frames.push(String(data));
      return 'ok';
    },
    sendMany: (list: readonly (string | Uint8Array)[]) => {
      for (const f of list) frames.push(typeof f === 'string' ? f : new TextDecoder().decode(f));
      return 'ok';
    },
    bufferedAmount: () => 0,
    end: () => undefined,
  });
}

const frame = (msg: object): ArrayBuffer => new TextEncoder().encode(JSON.stringify(msg)).buffer;

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
  const recorded: Array<[WriteStage, number]> = [];
  const metrics: HubMetrics = { ...noopMetrics, writeStage: (stage, seconds) => void recorded.push([stage, seconds]) };
  // Every reading is 2 ms after the one before it.
  let t = 10_000;
  const stages = stageTimer(metrics, () => (t += 2));
  const shard = channel<FrontToShard>();
  const writer = channel<FrontToWriter>();
  const front = new Front({
    config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' }),
    clock: fixedClock(),
    log: createLogger({ level: 'silent' }),
    metrics,
    stages,
    tokenValidator: { validate: () => new Promise(() => undefined) },
    shards: [shard],
    writer,
    onChange: () => undefined,
  });
  const topics = fakeTopics();
  const conns = ['pos-1', 'pos-2'].map((terminalId) => {
    const conn = socket(front.newSession('json', '10.0.0.2'), topics);
    markReady(conn);
    conn.state.terminalId = terminalId;
    conn.state.role = 'manager';
    front.byTerminal.set(terminalId, conn);
    return conn;
  });
  return { front, shard, writer, recorded, conns, now: () => t };
}

describe('write stages on the front', () => {
  it('records decode for work emitted to a shard and stamps the same reading as its sentAt', () => {
    const { front, shard, recorded, conns } = setup();
    front.onMessage(
      conns[0]!,
      frame({ type: 'LEASE_ACQUIRE', posReference: 'Order 00001-001-0001', baseVersion: 0 }),
      false,
    );
    expect(recorded).toEqual([['decode', 0.002]]);
    expect(shard.posted).toHaveLength(1);
    expect(shard.posted[0]).toMatchObject({ type: 'terminal', input: { sentAt: 10_004 } });
  });

  it('records decode for a venue-wide write sent straight to the writer and stamps its unit', () => {
    const { front, writer, recorded, conns } = setup();
    front.onMessage(conns[0]!, frame({ type: 'TICKET_NUMBER_REQUEST', orderType: 'takeout' }), false);
    expect(recorded).toEqual([['decode', 0.002]]);
    expect(writer.posted[0]).toMatchObject({ type: 'units', input: { units: [{ sentAt: 10_004 }] } });
  });

  it('records no stage for a frame that starts no write', () => {
    const { front, recorded, conns } = setup();
    front.onMessage(conns[0]!, frame({ type: 'HEARTBEAT' }), false);
    front.onMessage(conns[0]!, frame({ type: 'NOT_A_TYPE' }), false);
    expect(recorded).toEqual([]);
  });

  it('records to_front from the writer stamp and fan_out once per committed write; no to_front without a stamp', () => {
    const { front, recorded, conns } = setup();
    const updated = {
      type: 'ORDER_UPDATED',
      posReference: 'Order 00001-001-0001',
      version: 1,
      seq: 1,
    } as unknown as HubMessage;
    front.onWriterMessage({
      type: 'deliver',
      input: {
        stats: STATS,
        deliveries: [
          { out: [{ to: 'others', except: 'pos-1', msg: updated }], sentAt: 9_995 },
          { out: [{ to: 'terminal', terminalId: 'pos-1', msg: updated }] },
        ],
      },
    });
    // Readings: 10_002 as the deliver arrives (7 ms after the writer's stamp), 10_004 after the fan-out.
    expect(recorded).toEqual([
      ['to_front', 0.007],
      ['fan_out', 0.002],
      ['fan_out', 0.002],
    ]);
    expect(conns[1]!.frames).toHaveLength(1);
    expect(conns[0]!.frames).toHaveLength(1);
  });
});
