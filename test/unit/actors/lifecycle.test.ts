/**
 * Actor and table lifecycle on real parts in-process (a ShardHost fed by a WriterCore on a real SQLite
 * file, a simulated clock): idle actors are evicted and rebuilt from SQLite on demand with their epochs
 * and finalize state intact; actors with a lease, a lock or an open order stay; the scheduled pruning
 * keeps the newest closed orders and events by count and bytes and never an event still owed to Odoo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../helpers/clocks.js';
import { inTurn } from '../../helpers/in-turn.js';
import { snapshot } from '../../helpers/terminal.js';
import { passThroughValidator, type TableEnv } from '../../../actors/table/context.js';
import type { Principal, ShardMessage, Unit } from '../../../actors/table/types.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { writerClock } from '../../helpers/clocks.js';
import { ShardHost } from '../../../workers/shard/shard-host.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

const env: TableEnv = {
  timings: { leaseTtlMs: 60_000, leaseGraceMs: 10_000, lockTtlMs: 45_000, lockGraceMs: 10_000 },
  sendChangesToKitchen: true,
  validate: passThroughValidator,
};
const ann: Principal = { terminalId: 'ann', role: 'cashier', name: 'Ann' };
const log = createLogger({ level: 'silent' });


let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-lifecycle-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function rig(extra: Record<string, string> = {}) {
  const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0', HUB_ACTOR_IDLE_MS: '30000', ...extra });
  const clock = new TestClock({ start: 1_700_000_000_000 });
  const store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
  const sent: WriterNotice[] = [];
  const core = new WriterCore({ store: new SqliteStorePort(store), config, clock: writerClock(clock), log, metrics: noopMetrics, toFront: (m) => sent.push(m) });
  const loads: string[] = [];
  const host = new ShardHost({
    index: 0,
    env,
    clock,
    metrics: noopMetrics,
    log,
    sink: (units: Unit[]) => {
      core.enqueue(units);
      core.commit();
    },
    loadKey: (key) => loads.push(key),
    evictAfterMs: config.HUB_ACTOR_IDLE_MS,
  });
  host.load(inTurn(core.loadSeed(0, 1, 'grants')));
  /** Answer the shard's pending key loads the way the writer worker does. */
  const settle = (): void => {
    for (const key of loads.splice(0)) core.loadKey(key, (seed) => host.loaded(key, seed));
  };
  const out = (): HubMessage[] =>
    sent.flatMap((m) => (m.type === 'deliver' ? m.input.deliveries.flatMap((d) => d.out.map((o) => o.msg)) : []));
  const send = (key: string, msg: ShardMessage): void => {
    host.handleBatch([{ type: 'terminal', input: { key, from: ann, msg, receivedAt: clock.now() } }]);
    settle();
  };
  return { config, clock, store, core, host, loads, out, send, sent };
}

describe('idle actor eviction', () => {
  it('drops an idle actor and rebuilds it from SQLite with its epoch and finalize state', () => {
    const { clock, host, out, send, store } = rig();
    send('t:1', { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0, tableId: 1 });
    expect(out().at(-1)).toMatchObject({ type: 'LEASE_GRANTED', epoch: 1 });
    send('t:1', { type: 'ORDER_FINALIZE', posReference: 'A', snapshot: snapshot('A', 1), configId: 1 });
    send('t:1', { type: 'LEASE_RELEASE', posReference: 'A' });
    expect(out().at(-1)).toMatchObject({ type: 'LEASE_RELEASED' });
    expect(host.actorCount).toBe(1);
    clock.advance(29_000);
    expect(host.actorCount).toBe(1);
    clock.advance(31_000);
    expect(host.actorCount).toBe(0);
    expect(host.evicted).toBe(1);

    // Rebuilt on demand: the finalize is remembered (from SQLite), and the lease epoch keeps increasing.
    send('t:1', { type: 'ORDER_FINALIZE', posReference: 'A', snapshot: snapshot('A', 1), configId: 1 });
    expect(out().at(-1)).toMatchObject({ type: 'ORDER_FINALIZE_QUEUED', reason: 'Already queued for Odoo' });
    send('t:1', { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 1, tableId: 1 });
    expect(out().at(-1)).toMatchObject({ type: 'LEASE_GRANTED', epoch: 2 });
    expect(store.tallies().orders).toBe(1);
    host.stop();
  });

  it('keeps actors holding a lease, a lock or an open order', () => {
    const { clock, host, send } = rig();
    send('t:1', { type: 'LEASE_ACQUIRE', posReference: 'L', baseVersion: 0, tableId: 1 });
    send('t:2', { type: 'TABLE_LOCK_ACQUIRE', tableId: 2 });
    send('t:3', { type: 'LEASE_ACQUIRE', posReference: 'O', baseVersion: 0, tableId: 3 });
    send('t:3', { type: 'ORDER_SNAPSHOT', posReference: 'O', baseVersion: 0, snapshot: snapshot('O', 3) });
    send('t:3', { type: 'LEASE_RELEASE', posReference: 'O' });
    send('t:4', { type: 'TABLE_UPDATE', tableId: 4, status: 'occupied' });
    for (let i = 0; i < 10; i++) {
      clock.advance(20_000);
      send('t:1', { type: 'LEASE_HEARTBEAT', posReference: 'L' });
      send('t:2', { type: 'TABLE_LOCK_HEARTBEAT', tableId: 2 });
    }
    // t:4 held nothing memory-only and went; the lease, the lock and the open order stayed.
    expect(host.actorCount).toBe(3);
    host.stop();
  });

  it('runs inputs that arrive while a key is loading in arrival order', () => {
    const { host, loads, out, core } = rig();
    host.handleBatch([
      {
        type: 'terminal',
        input: {
          key: 't:9',
          from: ann,
          msg: { type: 'LEASE_ACQUIRE', posReference: 'Q', baseVersion: 0, tableId: 9 },
          receivedAt: 0,
        },
      },
      {
        type: 'terminal',
        input: {
          key: 't:9',
          from: ann,
          msg: { type: 'ORDER_SNAPSHOT', posReference: 'Q', baseVersion: 0, snapshot: snapshot('Q', 9) },
          receivedAt: 0,
        },
      },
    ]);
    expect(loads).toEqual(['t:9']);
    expect(out()).toEqual([]);
    core.loadKey(loads.pop() ?? '', (seed) => host.loaded('t:9', seed));
    expect(out().map((m) => m.type)).toEqual(['LEASE_GRANTED', 'ORDER_ACK', 'ORDER_UPDATED']);
    host.stop();
  });
});

describe('scheduled pruning', () => {
  it('keeps the newest closed orders by count and bytes, and events by retention unless their bytes force less', () => {
    const { core, store, send, clock, sent } = rig({
      HUB_CLOSED_ORDERS_RETAINED: '3',
      HUB_EVENT_RETENTION: '100',
      HUB_EVENTS_MAX_BYTES: String(1024 * 1024),
    });
    for (let i = 0; i < 6; i++) {
      const p = `P${i}`;
      send(`o:${p}`, { type: 'LEASE_ACQUIRE', posReference: p, baseVersion: 0 });
      send(`o:${p}`, { type: 'ORDER_FINALIZE', posReference: p, snapshot: snapshot(p, null), configId: 1 });
      send(`o:${p}`, { type: 'LEASE_RELEASE', posReference: p });
      clock.advance(1000);
    }
    // Odoo confirmed the first five (the sixth is still owed to it).
    for (const f of store.pending(10, clock.now()).slice(0, 5))
      store.markForwarded(
        f.eventId,
        { posReference: f.posReference, orderId: f.eventId, lineIdMap: {}, created: true },
        clock.now(),
      );
    const result = inTurn(core.pruneNow());
    expect(result.orders).toBe(2);
    expect(store.orders().map((o) => o.posReference)).toEqual(['P2', 'P3', 'P4', 'P5']);
    expect(sent.at(-1)).toEqual({ type: 'forget', input: { posReferences: ['P1', 'P0'] } });
    expect(store.epochs().map((e) => e.key)).not.toContain('lease:P0');
    expect(store.pending(10, clock.now())).toHaveLength(1);
  });

  it('lets the byte cap cut the event log below HUB_EVENT_RETENTION, never an event owed to Odoo', () => {
    const { core, store, send } = rig({ HUB_EVENT_RETENTION: '1000', HUB_EVENTS_MAX_BYTES: String(1024 * 1024) });
    send('o:OWED', { type: 'LEASE_ACQUIRE', posReference: 'OWED', baseVersion: 0 });
    send('o:OWED', { type: 'ORDER_FINALIZE', posReference: 'OWED', snapshot: snapshot('OWED', null), configId: 1 });
    const big = 'x'.repeat(50_000);
    send('t:5', { type: 'LEASE_ACQUIRE', posReference: 'BIG', baseVersion: 0, tableId: 5 });
    for (let v = 0; v < 40; v++)
      send('t:5', {
        type: 'ORDER_SNAPSHOT',
        posReference: 'BIG',
        baseVersion: v,
        snapshot: { ...snapshot('BIG', 5), note: big } as never,
      });
    const before = store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
    const result = inTurn(core.pruneNow());
    const after = store.db.prepare('SELECT count(*) AS n, sum(length(payload)) AS bytes FROM events').get() as {
      n: number;
      bytes: number;
    };
    expect(before.n).toBeLessThan(1000);
    expect(result.events).toBeGreaterThan(0);
    expect(after.bytes).toBeLessThanOrEqual(1024 * 1024 + 60_000);
    expect(store.pending(10, Date.now() + 1e9).map((p) => p.posReference)).toEqual(['OWED']);
    expect(store.resume(0, 'someone', 10_000)).toBeNull();
  });
});
