/**
 * Two shard hosts and the writer core in-process, wired the way the threads are (units to the writer,
 * relays routed by actor key, commit notices back), with relays delivered by hand so the interleavings
 * the threads can produce are scripted: a transfer commits both orders at once; two transfers racing in
 * opposite directions are refused with TRANSFER_BUSY instead of deadlocking, and leave no fence behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal, ShardMessage } from '../../../actors/table/types.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { validateSnapshotChange } from '../../../src/domain/index.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { Relay } from '../../../src/threads/actor-io.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';
import { ShardHost } from '../../../workers/shard/shard-host.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';
import { editingOrder } from '../../helpers/domain-orders.js';

const ann: Principal = { terminalId: 'ann', role: 'cashier', name: 'Ann' };
const clock = fixedClock();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-xfer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Shard 0 hosts table 1, shard 1 hosts table 2; relays wait in `inFlight` until delivered. */
function world() {
  const store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
  const sent: HubMessage[] = [];
  const hosts: ShardHost[] = [];
  const inFlight: Relay[] = [];
  const writer = new WriterCore({
    store: new SqliteStorePort(store),
    config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' }),
    clock: writerClock(clock),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    toFront: (m: WriterNotice) => {
      if (m.type === 'deliver')
        for (const d of m.input.deliveries)
          for (const o of d.out) if ((o.to === 'terminal' && o.terminalId === 'ann') || o.to === 'all') sent.push(o.msg);
    },
    onTransfersCommitted: (txIds) => hosts.forEach((h) => h.committed(txIds)),
  });
  for (const index of [0, 1]) {
    hosts.push(
      new ShardHost({
        index,
        clock,
        metrics: noopMetrics,
        log: createLogger({ level: 'silent' }),
        env: {
          timings: { leaseTtlMs: 60_000, leaseGraceMs: 10_000, lockTtlMs: 45_000, lockGraceMs: 10_000 },
          sendChangesToKitchen: true,
          validate: validateSnapshotChange,
        },
        sink: (units) => writer.enqueue(units),
        relay: (relays) => inFlight.push(...relays),
      }),
    );
  }
  const hostOf = (key: string): ShardHost => hosts[key === 't:1' ? 0 : 1]!;
  const terminal = (key: string, msg: ShardMessage): void =>
    hostOf(key).handleBatch([{ type: 'terminal', input: { key, from: ann, msg, receivedAt: 0 } }]);
  const transfer = (from: string, to: string, fromKey: string, toKey: string, mutationId: string): void =>
    hostOf(fromKey).handleBatch([
      {
        type: 'transfer',
        input: {
          key: fromKey,
          toKey,
          from: ann,
          msg: {
            type: 'ORDER_TRANSFER',
            fromPosReference: from,
            toPosReference: to,
            lineUids: from === 'X' ? ['x1'] : ['y1'],
            mutationId,
          },
          receivedAt: 0,
        },
      },
    ]);
  /** Deliver every relay in flight (and those they cause), committing whenever the writer has work. */
  const settle = (): void => {
    for (let guard = 0; guard < 50; guard++) {
      // Twice: a commit notice can release deferred inputs whose units need the next commit.
      writer.commit();
      writer.commit();
      const batch = inFlight.splice(0);
      if (batch.length === 0) return;
      for (const r of batch) hostOf(r.to).handleBatch([{ type: 'relay', input: { key: r.to, event: r.event } }]);
    }
    throw new Error('relays never settled');
  };
  const version = (ref: string): number =>
    (store.db.prepare('SELECT version FROM orders WHERE pos_reference = ?').get(ref) as { version: number }).version;
  const setup = (): void => {
    for (const [ref, key, table, uids] of [
      ['X', 't:1', 1, ['x1', 'x2']],
      ['Y', 't:2', 2, ['y1', 'y2']],
    ] as const) {
      terminal(key, { type: 'LEASE_ACQUIRE', posReference: ref, baseVersion: 0, tableId: table });
      terminal(key, {
        type: 'ORDER_SNAPSHOT',
        posReference: ref,
        baseVersion: 0,
        snapshot: { ...editingOrder([...uids], undefined, ref), tableId: table },
      });
    }
    settle();
  };
  return { store, sent, transfer, terminal, settle, version, setup, inFlight };
}

describe('transfer across two shard hosts', () => {
  it('commits both orders once both parts reached the writer, then lifts both fences', () => {
    const w = world();
    w.setup();
    w.transfer('X', 'Y', 't:1', 't:2', 'm-1');
    // The prepare is in flight: a snapshot for X waits behind the fence, nothing is written yet.
    w.terminal('t:1', {
      type: 'ORDER_SNAPSHOT',
      posReference: 'X',
      baseVersion: 2,
      snapshot: { ...editingOrder(['x2'], undefined, 'X'), tableId: 1, staffName: 'late' },
    });
    expect(w.version('X')).toBe(1);
    w.settle();
    expect([w.version('X'), w.version('Y')]).toEqual([3, 2]);
    expect(w.sent.filter((m) => m.type === 'ORDER_TRANSFERRED')).toMatchObject([
      { fromVersion: 2, toVersion: 2, mutationId: 'm-1' },
    ]);
    expect(
      w.sent
        .filter((m) => m.type === 'ORDER_ACK' && m.posReference === 'X')
        .map((m) => (m as { version: number }).version),
    ).toEqual([1, 3]);
    w.store.close();
  });

  it('refuses two transfers racing in opposite directions with TRANSFER_BUSY, and both tables stay usable', () => {
    const w = world();
    w.setup();
    w.transfer('X', 'Y', 't:1', 't:2', 'a');
    w.transfer('Y', 'X', 't:2', 't:1', 'b');
    expect(w.inFlight.map((r) => r.event.type)).toEqual(['transfer_prepare', 'transfer_prepare']);
    w.settle();
    const refusals = w.sent.filter((m) => m.type === 'ERROR');
    expect(refusals).toMatchObject([
      { code: 'TRANSFER_BUSY', ref: { type: 'ORDER_TRANSFER', mutationId: 'a' } },
      { code: 'TRANSFER_BUSY', ref: { type: 'ORDER_TRANSFER', mutationId: 'b' } },
    ]);
    expect([w.version('X'), w.version('Y')]).toEqual([1, 1]);
    // No fence is left: a retry goes through and ordinary writes are applied at once.
    w.transfer('X', 'Y', 't:1', 't:2', 'a');
    w.settle();
    expect([w.version('X'), w.version('Y')]).toEqual([2, 2]);
    w.terminal('t:2', { type: 'LEASE_HEARTBEAT', posReference: 'Y' });
    w.terminal('t:1', { type: 'LEASE_RELEASE', posReference: 'X' });
    w.settle();
    expect(w.sent.filter((m) => m.type === 'LEASE_RELEASED')).toMatchObject([{ posReference: 'X', version: 2 }]);
    w.store.close();
  });
});
