/**
 * The writer in-process on a real SQLite file: group commit (many units, one transaction), hub-wide
 * seq stamped on messages and stored payloads, mutation replay, ticket numbers surviving a reopen,
 * resume coverage and reset, shard seeds, the forward queue, and the seed's inspection queries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { SCHEMA_VERSION } from '../../../src/adapters/sqlite/schema.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import type { Unit } from '../../../src/threads/actor-io.js';
import type { Delivery, WriterNotice } from '../../../src/threads/contract.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';
import { inTurn } from '../../helpers/in-turn.js';
import { shardOf } from '../../../src/threads/keys.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0', HUB_EVENT_RETENTION: '100' });
let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-writer-'));
  path = join(dir, 'hub.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function snap(posReference: string, tableId: number | null): OrderSnapshot {
  return { posReference, tableId, state: 'editing', kitchenStatus: 'open', sessionId: 1, userId: 1, lines: [], payments: [], amountTotal: 0, amountTax: 0, amountPaid: 0, amountReturn: 0, createdAt: '2026-01-01T10:00:00.000Z' };
}

function writeUnit(posReference: string, version: number, terminalId = 'ann', mutationId?: string): Unit {
  const updated: HubMessage = { type: 'ORDER_UPDATED', posReference, version, snapshot: snap(posReference, 1), sourceTerminal: terminalId };
  const ack: HubMessage = { type: 'ORDER_ACK', posReference, version, ...(mutationId ? { mutationId } : {}) };
  return {
    ops: [
      { op: 'order_put', posReference, homeKey: 't:1', tableId: 1, version, snapshot: snap(posReference, 1), terminalId, state: 'editing' },
      { op: 'event', type: 'ORDER_UPDATED', posReference, payload: updated, sourceTerminal: terminalId },
      ...(mutationId ? [{ op: 'mutation' as const, terminalId, mutationId, homeKey: 't:1', posReference, result: ack }] : []),
    ],
    out: [
      { to: 'terminal', terminalId, msg: ack, stamp: true },
      { to: 'others', except: terminalId, msg: updated, stamp: true },
    ],
  };
}

function open(sync: 'full' | 'normal' = 'full') {
  const store = new HubStore({ path, sync });
  const sent: WriterNotice[] = [];
  const core = new WriterCore({ store: new SqliteStorePort(store), config, clock: writerClock(fixedClock()), log: createLogger({ level: 'silent' }), metrics: noopMetrics, toFront: (m) => sent.push(m) });
  const deliveries = (): Delivery[] => sent.flatMap((m) => (m.type === 'deliver' ? m.input.deliveries : []));
  return { store, core, sent, deliveries };
}

describe('writer core', () => {
  it('commits everything queued in one transaction and stamps seq in commit order', () => {
    const { store, core, sent, deliveries } = open();
    core.enqueue([writeUnit('A', 1), writeUnit('B', 1)]);
    core.enqueue([writeUnit('A', 2)]);
    core.commit();
    expect(sent.filter((m) => m.type === 'deliver')).toHaveLength(1);
    expect(core.batching).toMatchObject({ commits: 1, units: 3, rows: 6 });
    const seqs = deliveries().map((d) => d.out.map((o) => (o.msg as { seq?: number }).seq));
    expect(seqs).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const payload = store.db.prepare('SELECT payload FROM events WHERE id = 3').get() as { payload: string };
    expect(JSON.parse(payload.payload)).toMatchObject({ type: 'ORDER_UPDATED', posReference: 'A', version: 2, seq: 3 });
    store.close();
  });

  it('sets synchronous explicitly: FULL by default, NORMAL only when asked', () => {
    const full = new HubStore({ path, sync: 'full' });
    expect(full.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(full.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(full.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    full.close();
    const normal = new HubStore({ path, sync: 'normal' });
    expect(normal.db.pragma('synchronous', { simple: true })).toBe(1);
    normal.close();
  });

  it('replays a recorded mutation with its first result, seq included', () => {
    const { store, core, deliveries } = open();
    core.enqueue([writeUnit('A', 1, 'ann', 'm1')]);
    core.enqueue([{ ops: [{ op: 'replay', terminalId: 'ann', mutationId: 'm1' }], out: [] }]);
    core.commit();
    const [first, replay] = deliveries();
    expect(replay!.out).toEqual([{ to: 'terminal', terminalId: 'ann', msg: first!.out[0]!.msg }]);
    expect(first!.out[0]!.msg).toMatchObject({ type: 'ORDER_ACK', mutationId: 'm1', seq: 1 });
    store.close();
  });

  it('numbers tickets per business day and order type, across a reopen', () => {
    const ticket = (orderType: 'takeout' | 'delivery', businessDay = '2026-11-23'): Unit => ({ ops: [{ op: 'ticket', terminalId: 'ann', orderType, businessDay }], out: [] });
    const a = open();
    a.core.enqueue([ticket('takeout'), ticket('takeout'), ticket('delivery'), ticket('takeout', '2026-11-24')]);
    a.core.commit();
    expect(a.deliveries().map((d) => (d.out[0]!.msg as { ticketNumber: number }).ticketNumber)).toEqual([1, 2, 1, 1]);
    a.store.close();
    const b = open();
    b.core.enqueue([ticket('takeout')]);
    b.core.commit();
    expect(b.deliveries()[0]!.out[0]!.msg).toMatchObject({ ticketNumber: 3, businessDay: '2026-11-23' });
    b.store.close();
  });

  it('resumes what the log covers, excluding the terminal\'s own writes, and falls back after prune or reset', async () => {
    const { store, core } = open();
    core.enqueue([writeUnit('A', 1, 'ann'), writeUnit('A', 2, 'bob'), writeUnit('A', 3, 'ann')]);
    core.commit();
    const resume = (await core.request('sync', { terminalId: 'bob', lastSeq: 0 })) as { mode: string; events: Array<{ seq: number }> };
    expect(resume.mode).toBe('resume');
    expect(resume.events.map((e) => e.seq)).toEqual([1, 3]);
    for (let v = 4; v < 210; v++) core.enqueue([writeUnit('A', v)]);
    core.commit();
    store.prune(100);
    expect(((await core.request('sync', { terminalId: 'bob', lastSeq: 50 })) as { mode: string }).mode).toBe('init');
    expect(((await core.request('sync', { terminalId: 'bob', lastSeq: 150 })) as { mode: string }).mode).toBe('resume');
    await core.request('reset');
    expect(((await core.request('sync', { terminalId: 'bob', lastSeq: 150 })) as { mode: string; seq: number }).mode).toBe('init');
    expect(store.currentSeq()).toBe(209);
    store.close();
  });

  it('seeds each shard with the rows whose actor hashes to it', () => {
    const { store, core } = open();
    core.enqueue([
      writeUnit('A', 1),
      { ops: [{ op: 'lease_put', posReference: 'T-9', homeKey: 'o:T-9', terminalId: 'ann', role: 'cashier', tableId: null, expiresAt: 5, epoch: 3 }], out: [] },
      { ops: [{ op: 'lock_put', tableId: 4, terminalId: 'bob', role: 'cashier', expiresAt: 9, epoch: 2 }], out: [] },
    ]);
    core.commit();
    const shards = 3;
    const seeds = [0, 1, 2].map((i) => inTurn(core.loadSeed(i, shards)));
    const seedOf = (key: string) => seeds[shardOf(key, shards)]!.find((s) => s.key === key);
    // One seed per actor key, every row already in it: the shard host takes it as it is.
    expect(seeds.flat().map((s) => s.key).sort()).toEqual(['o:T-9', 't:1', 't:4']);
    expect(seedOf('t:1')!.orders.map((o) => o.posReference)).toEqual(['A']);
    expect(seedOf('o:T-9')!.leases).toEqual([expect.objectContaining({ posReference: 'T-9', epoch: 3 })]);
    expect(seedOf('t:4')!.lock).toEqual({ terminalId: 'bob', role: 'cashier', expiresAt: 9, epoch: 2 });
    expect(seeds.flat().flatMap((s) => s.epochs).map((e) => e.key).sort()).toEqual(['lease:T-9', 'lock:4']);
    // An evicted actor's seed (seedOf) has the same shape as its entry in the shard's.
    expect(store.seedOf('t:4')).toEqual(seedOf('t:4'));
    expect(store.seedOf('o:T-9')).toEqual(seedOf('o:T-9'));
    store.close();
  });

  it('queues ORDER_FINALIZE for Odoo and counts it through forwarding', () => {
    const { store, core } = open();
    core.enqueue([
      {
        ops: [
          { op: 'order_put', posReference: 'F', homeKey: 't:1', tableId: 1, version: 1, snapshot: snap('F', 1), terminalId: 'ann', state: 'paid' },
          { op: 'event', type: 'ORDER_FINALIZE', posReference: 'F', payload: { type: 'ORDER_UPDATED', posReference: 'F', version: 1, snapshot: snap('F', 1), sourceTerminal: 'ann' }, sourceTerminal: 'ann', finalize: { snapshot: snap('F', 1), configId: 1, terminalId: 'ann' } },
        ],
        out: [],
      },
    ]);
    core.commit();
    expect(core.stats()).toMatchObject({ pendingForward: 1, totalForwarded: 0 });
    const [pending] = store.pending(10, Date.now());
    expect(pending).toMatchObject({ posReference: 'F', configId: 1, terminalId: 'ann', attempts: 0 });
    store.markForwarded(pending!.eventId, { posReference: 'F', orderId: 42, lineIdMap: {}, created: true }, 1_700_000_000_000);
    // Marked behind the writer's back: its counters are as of its last read, and a flush reads them afresh.
    expect(inTurn(core.handlers.flush(undefined))).toMatchObject({ pendingForward: 0, totalForwarded: 1, lastOdooSync: 1_700_000_000_000 });
    // The seed's inspection queries run unchanged.
    expect(store.db.prepare('SELECT pos_reference, version, terminal_id, updated_at FROM orders;').all()).toHaveLength(1);
    expect(store.db.prepare('SELECT pos_reference, terminal_id, role, expires_at FROM leases;').all()).toHaveLength(0);
    expect(store.db.prepare('SELECT id, type, pos_reference, forwarded, created_at FROM events ORDER BY id DESC LIMIT 20;').all()).toEqual([
      expect.objectContaining({ type: 'ORDER_FINALIZE', pos_reference: 'F', forwarded: 1 }),
    ]);
    store.close();
  });
});
