/**
 * The writer when the disk refuses a commit (SQLITE_FULL injected into a real SQLite transaction, which
 * really rolls back): each write gets a retryable STORAGE_UNAVAILABLE naming its request, nothing is
 * acked or broadcast, the seq counter and the idempotency rows stay what was committed, the shards are
 * told to reload, units built on older memory are refused, and the next good commit (or the probe
 * write, on an idle hub) clears the degraded state. A non-storage error still kills the thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics, type HubMetrics } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import type { Outbound, Unit } from '../../../src/threads/actor-io.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';
import { STORAGE_PROBE_MS, WriterCore } from '../../../workers/writer/writer-core.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-writer-full-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function snap(posReference: string): OrderSnapshot {
  return { posReference, tableId: 1, state: 'editing', kitchenStatus: 'open', sessionId: 1, userId: 1, lines: [], payments: [], amountTotal: 0, amountTax: 0, amountPaid: 0, amountReturn: 0, createdAt: '2026-01-01T10:00:00.000Z' };
}

function write(posReference: string, version: number, mutationId: string, terminalId = 'ann'): Unit {
  const updated: HubMessage = { type: 'ORDER_UPDATED', posReference, version, snapshot: snap(posReference), sourceTerminal: terminalId };
  const ack: HubMessage = { type: 'ORDER_ACK', posReference, version, mutationId };
  return {
    ops: [
      { op: 'order_put', posReference, homeKey: 't:1', tableId: 1, version, snapshot: snap(posReference), terminalId, state: 'editing' },
      { op: 'event', type: 'ORDER_UPDATED', posReference, payload: updated, sourceTerminal: terminalId },
      { op: 'mutation', terminalId, mutationId, homeKey: 't:1', posReference, result: ack },
    ],
    out: [
      { to: 'terminal', terminalId, msg: ack, stamp: true },
      { to: 'others', except: terminalId, msg: updated, stamp: true },
    ],
    origin: { terminalId, ref: { type: 'ORDER_SNAPSHOT', posReference, mutationId } },
  };
}

function setup() {
  const store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'full' });
  let full: { code: string; message: string } | null = null;
  const real = store.transaction.bind(store);
  // The ops run for real inside the real transaction; the disk "fills" at its end, so SQLite rolls it all back.
  store.transaction = <T>(fn: () => T): T =>
    real(() => {
      const result = fn();
      if (full) throw Object.assign(new Error(full.message), { code: full.code });
      return result;
    });
  const clock = fixedClock();
  const advance = (ms: number): void => clock.advance(ms);
  const sent: WriterNotice[] = [];
  const rollbacks: number[] = [];
  const storageErrors: string[] = [];
  const metrics: HubMetrics = { ...noopMetrics, storageError: (code) => storageErrors.push(code) };
  const core = new WriterCore({ store: new SqliteStorePort(store), config, clock: writerClock(clock), log: createLogger({ level: 'silent' }), metrics, toFront: (m) => sent.push(m), onRollback: (g) => rollbacks.push(g) });
  const outs = (): Outbound[] => sent.flatMap((m) => (m.type === 'deliver' ? m.input.deliveries.flatMap((d) => d.out) : []));
  return {
    store,
    core,
    sent,
    outs,
    rollbacks,
    storageErrors,
    advance,
    fill: (code = 'SQLITE_FULL') => (full = { code, message: code === 'SQLITE_FULL' ? 'database or disk is full' : 'boom' }),
    free: () => (full = null),
  };
}

describe('writer on a full disk', () => {
  it('refuses the whole commit retryably, keeps seq and idempotency rows as committed, and resumes', () => {
    const w = setup();
    w.core.enqueue([write('A', 1, 'm1')], 0);
    w.core.commit();
    expect(w.store.currentSeq()).toBe(1);

    w.fill();
    w.sent.length = 0;
    w.core.enqueue([write('A', 2, 'm2'), write('B', 1, 'm3', 'bob')], 0);
    w.core.commit();
    const refused = w.outs();
    expect(refused.map((o) => o.msg.type)).toEqual(['ERROR', 'ERROR']);
    expect(refused[0]).toMatchObject({ to: 'terminal', terminalId: 'ann', msg: { code: 'STORAGE_UNAVAILABLE', retryable: true, ref: { type: 'ORDER_SNAPSHOT', posReference: 'A', mutationId: 'm2' } } });
    expect(refused[1]).toMatchObject({ terminalId: 'bob', msg: { code: 'STORAGE_UNAVAILABLE', ref: { mutationId: 'm3' } } });
    expect((refused[0]!.msg as { message: string }).message).toContain('SQLITE_FULL');
    expect(w.store.currentSeq()).toBe(1);
    expect(w.store.getMutation('ann', 'm2')).toBeUndefined();
    expect(w.store.orders().find((o) => o.posReference === 'A')?.version).toBe(1);
    expect(w.rollbacks).toEqual([1]);
    expect(w.core.generation).toBe(1);
    expect(w.storageErrors).toEqual(['SQLITE_FULL']);
    expect(w.core.stats().storageError).toMatchObject({ reason: 'SQLITE_FULL: database or disk is full', failures: 1 });

    // A shard that has not reloaded yet sends units built on memory that was never stored: refused unseen.
    w.free();
    w.sent.length = 0;
    w.core.enqueue([write('A', 3, 'm4')], 0);
    expect(w.outs()).toMatchObject([{ terminalId: 'ann', msg: { type: 'ERROR', code: 'STORAGE_UNAVAILABLE', ref: { mutationId: 'm4' } } }]);

    // Reloaded (generation 1), the terminal's retry of m2 is stored with the next seq: no gap.
    w.sent.length = 0;
    w.core.enqueue([write('A', 2, 'm2')], 1);
    w.core.commit();
    expect(w.outs().map((o) => [o.msg.type, (o.msg as { seq?: number }).seq])).toEqual([
      ['ORDER_ACK', 2],
      ['ORDER_UPDATED', 2],
    ]);
    expect(w.core.stats().storageError).toBeNull();
    w.store.close();
  });

  it('an idle hub finds out by itself that the disk has room again (probe write)', () => {
    const w = setup();
    w.fill();
    w.core.enqueue([write('A', 1, 'm1')], 0);
    w.core.commit();
    expect(w.core.stats().storageError).not.toBeNull();
    w.advance(STORAGE_PROBE_MS);
    expect(w.core.stats().storageError).not.toBeNull();
    w.free();
    w.sent.length = 0;
    w.advance(STORAGE_PROBE_MS);
    expect(w.core.stats().storageError).toBeNull();
    expect(w.sent.at(-1)).toMatchObject({ type: 'stats', input: { storageError: null } });
    w.store.close();
  });

  it('a fault that is no full or failing disk (a damaged database) still ends the thread, with its cause', () => {
    const w = setup();
    w.fill('SQLITE_CORRUPT');
    w.core.enqueue([write('A', 1, 'm1')], 0);
    expect(() => w.core.commit()).toThrow(/boom/);
    w.store.close();
  });
});
