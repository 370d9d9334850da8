/**
 * A follower hub's front (issue 18, docs/ha.md "Follower hubs"): every frame that would write is answered
 * ERROR NOT_LEADER (retryable) naming the leader and its epoch, with the frame's ref, and reaches no shard
 * or writer — never counted as abuse, however many come; heartbeats are answered; a sign-in checks the
 * device binding without recording it; once the hub leads, the same frames are routed as usual.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { WsConnection } from '../../../src/adapters/uws/server.js';
import { parseConfig } from '../../../src/config.js';
import { writes } from '../../../src/front/follower-gate.js';
import { Front } from '../../../src/front/front.js';
import type { Session } from '../../../src/front/session.js';
import { markReady } from '../../../src/front/terminal-registry.js';
import type { Work } from '../../../src/front/work-routing.js';
import type { ClusterView } from '../../../src/ports/cluster.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import { TERMINAL_MESSAGE_TYPES } from '../../../src/protocol/terminal-messages.js';
import type { FrontToShard, FrontToWriter } from '../../../src/threads/contract.js';
import type { Caller, Contract } from '../../../src/threads/rpc.js';
import { fixedClock } from '../../helpers/clocks.js';
import { fakeTopics, type FakeTopics } from '../../helpers/fake-topics.js';

interface Recorded<C extends Contract> extends Caller<C> {
  readonly posted: Array<{ type: string; input?: unknown }>;
}

/** Records every event and request; requests are answered by `answer` (or never). */
function channel<C extends Contract>(answer: (type: string) => unknown = () => undefined): Recorded<C> {
  const posted: Array<{ type: string; input?: unknown }> = [];
  return {
    posted,
    emit: (type, input) => void posted.push({ type, input }),
    request: (type, ...input) => {
      posted.push({ type, input: input[0] });
      const result = answer(type);
      return (result === undefined ? new Promise(() => undefined) : Promise.resolve(result)) as never;
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

const FOLLOWER: ClusterView = {
  role: 'follower',
  epoch: 6,
  leader: { url: 'ws://hub-a.local:8766/', epoch: 6 },
  replication: null,
};

function setup() {
  const shard = channel<FrontToShard>();
  const writer = channel<FrontToWriter>((type) => (type === 'device_claim' ? { ok: true, previousOwner: null } : undefined));
  let view = FOLLOWER;
  const front = new Front({
    config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' }),
    clock: fixedClock(),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    tokenValidator: {
      validate: () => Promise.resolve({ ok: true as const, identity: { userId: 7, login: 'ann', name: 'Ann', role: 'cashier' as const, dev: true as const } }),
    },
    shards: [shard],
    writer,
    onChange: () => undefined,
    cluster: () => view,
  });
  const topics = fakeTopics();
  const ready = socket(front.newSession('json', '10.0.0.2'), topics);
  markReady(ready);
  ready.state.terminalId = 'pos-1';
  ready.state.role = 'manager';
  front.byTerminal.set('pos-1', ready);
  return { front, shard, writer, ready, topics, setView: (next: ClusterView) => (view = next) };
}

const WRITES = [
  { type: 'LEASE_ACQUIRE', posReference: 'Order 00001-001-0001', baseVersion: 0, tableId: 3 },
  { type: 'LEASE_HEARTBEAT', posReference: 'Order 00001-001-0001' },
  { type: 'TICKET_NUMBER_REQUEST', orderType: 'takeout', mutationId: 'm-7' },
  { type: 'TABLE_UPDATE', tableId: 3, status: 'occupied', mutationId: 'm-8' },
  { type: 'TABLE_LOCK_ACQUIRE', tableId: 3 },
  { type: 'FLOOR_PLAN_UPDATE', floorId: 1, tables: [] },
];

describe('a follower hub front', () => {
  it('classifies every terminal frame but AUTH and HEARTBEAT as a write', () => {
    const types = TERMINAL_MESSAGE_TYPES.filter((t) => t !== 'AUTH' && t !== 'HEARTBEAT');
    expect(types.length).toBeGreaterThan(10);
    for (const type of types) expect(writes({ type } as Work)).toBe(true);
  });

  it('answers each write NOT_LEADER naming the leader, with its ref, and sends nothing to a worker', () => {
    const { front, shard, writer, ready } = setup();
    for (const msg of WRITES) front.onMessage(ready, frame(msg), false);
    front.onMessage(ready, frame({ type: 'HEARTBEAT' }), false);
    expect(shard.posted).toEqual([]);
    expect(writer.posted).toEqual([]);
    const received = ready.received();
    expect(received.map((m) => [m.type, m.code])).toEqual([
      ...WRITES.map(() => ['ERROR', 'NOT_LEADER']),
      ['HEARTBEAT_ACK', undefined],
    ]);
    for (const m of received.slice(0, WRITES.length)) {
      expect(m.retryable).toBe(true);
      expect(m.leader).toEqual({ url: 'ws://hub-a.local:8766/', epoch: 6 });
    }
    expect(received[0]?.ref).toEqual({ type: 'LEASE_ACQUIRE', posReference: 'Order 00001-001-0001', tableId: 3 });
    expect(received[2]?.ref).toEqual({ type: 'TICKET_NUMBER_REQUEST', mutationId: 'm-7' });
  });

  it('never counts NOT_LEADER as abuse, however many writes a terminal keeps sending', () => {
    const { front, ready } = setup();
    for (let i = 0; i < 200; i++) front.onMessage(ready, frame({ type: 'TABLE_UPDATE', tableId: 3, status: 'occupied' }), false);
    expect(ready.state.abuseCount).toBe(0);
    expect(ready.endedWith).toBeNull();
  });

  it('says no leader is known (leader: null) when none is', () => {
    const { front, ready, setView } = setup();
    setView({ ...FOLLOWER, leader: null });
    front.onMessage(ready, frame(WRITES[0]!), false);
    expect(ready.received()[0]).toMatchObject({ type: 'ERROR', code: 'NOT_LEADER', retryable: true, leader: null });
  });

  it('routes the same writes as usual once the hub leads', () => {
    const { front, shard, writer, ready, setView } = setup();
    setView({ role: 'leader', epoch: 7, leader: { url: 'ws://hub-b.local:8766/', epoch: 7 }, replication: null });
    for (const msg of WRITES) front.onMessage(ready, frame(msg), false);
    expect(ready.received()).toEqual([]);
    expect(shard.posted.length + writer.posted.length).toBe(WRITES.length);
  });

  it('signs a terminal in with a read-only device check, and records no use of the device', async () => {
    const { front, writer, topics } = setup();
    const fresh = socket(front.newSession('json', '10.0.0.3'), topics);
    front.onOpen(fresh);
    front.onMessage(fresh, frame({ type: 'AUTH', token: '', deviceId: 'pos-2' }), false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(fresh.received()[0]).toMatchObject({ type: 'AUTH_OK', terminalId: 'pos-2' });
    expect(writer.posted.find((p) => p.type === 'device_claim')?.input).toMatchObject({ deviceId: 'pos-2', readOnly: true });
    front.onClose(fresh);
    expect(writer.posted.map((p) => p.type)).not.toContain('device_seen');
  });
});
