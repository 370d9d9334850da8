/**
 * Issue 12, item 2, in the writer and its store: a write unit too deep to store or send is quarantined
 * (not committed, counted) without sinking the units beside it, and stored rows that cannot be read safely
 * — a mutation result, a finalize payload — are quarantined once, reported, and never crash the reader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { HubStore, type QuarantinedRecord } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics, type QuarantineKind } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import type { Unit } from '../../../src/threads/actor-io.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-quarantine-'));
  path = join(dir, 'hub.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function deep(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { d: v };
  return v;
}
const deepJson = (levels: number): string => '{"d":'.repeat(levels) + '1' + '}'.repeat(levels);

function snap(posReference: string, extra: Record<string, unknown> = {}): OrderSnapshot {
  return { posReference, tableId: 1, state: 'editing', kitchenStatus: 'open', sessionId: 1, userId: 1, lines: [], payments: [], amountTotal: 0, amountTax: 0, amountPaid: 0, amountReturn: 0, createdAt: '2026-01-01T10:00:00.000Z', ...extra };
}

function unit(posReference: string, snapshot: OrderSnapshot): Unit {
  const updated: HubMessage = { type: 'ORDER_UPDATED', posReference, version: 1, snapshot, sourceTerminal: 'ann' };
  return {
    ops: [
      { op: 'order_put', posReference, homeKey: 't:1', tableId: 1, version: 1, snapshot, terminalId: 'ann', state: 'editing' },
      { op: 'event', type: 'ORDER_UPDATED', posReference, payload: updated, sourceTerminal: 'ann' },
    ],
    out: [{ to: 'others', except: 'ann', msg: updated, stamp: true }],
  };
}

describe('writer quarantine', () => {
  it('drops a unit too deep to store or send, counts it, and commits the units beside it', () => {
    const store = new HubStore({ path, sync: 'normal' });
    const counted: QuarantineKind[] = [];
    const sent: WriterNotice[] = [];
    const core = new WriterCore({
      store: new SqliteStorePort(store),
      config,
      clock: writerClock(fixedClock()),
      log: createLogger({ level: 'silent' }),
      metrics: { ...noopMetrics, quarantined: (kind) => counted.push(kind) },
      toFront: (m) => sent.push(m),
    });
    core.enqueue([unit('OK-1', snap('OK-1')), unit('DEEP-1', snap('DEEP-1', { extra: deep(5_000) })), unit('OK-2', snap('OK-2'))]);
    core.commit();
    expect(counted).toEqual(['unit']);
    expect(store.orders().map((o) => o.posReference)).toEqual(['OK-1', 'OK-2']);
    const delivered = sent.flatMap((m) => (m.type === 'deliver' ? m.input.deliveries : [])).flatMap((d) => d.out.map((o) => (o.msg as { posReference: string }).posReference));
    expect(delivered).toEqual(['OK-1', 'OK-2']);
    store.close();
  });
});

describe('store quarantine', () => {
  it('reads past unreadable mutation results and finalize payloads, dead-letters the finalize, reports each once', () => {
    const seen: QuarantinedRecord[] = [];
    const store = new HubStore({ path, sync: 'normal', onQuarantine: (r) => seen.push(r) });
    const now = new Date().toISOString();
    store.db.prepare(`INSERT INTO mutations (terminal_id, mutation_id, home_key, pos_reference, result, created_at) VALUES (?, ?, ?, ?, ?, ?)`).run('ann', 'm1', 't:1', 'P', deepJson(3_000), now);
    store.db
      .prepare(`INSERT INTO events (type, pos_reference, payload, source_terminal, forwarded, status, finalize, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run('ORDER_FINALIZE', 'P', null, 'ann', 0, 'pending', `{"snapshot":${deepJson(3_000)},"configId":1,"terminalId":"ann"}`, now);
    expect(store.getMutation('ann', 'm1')).toBeUndefined();
    expect(store.getMutation('ann', 'm1')).toBeUndefined();
    expect(store.pending(10, Date.now())).toEqual([]);
    expect(store.tallies()).toMatchObject({ pendingForward: 0, deadLetters: 1 });
    expect(seen).toEqual([
      { kind: 'mutation', key: 'ann/m1', reason: 'FRAME_TOO_DEEP' },
      { kind: 'finalize', key: expect.any(String), reason: 'FRAME_TOO_DEEP' },
    ]);
    expect(store.quarantinedRecords()).toHaveLength(2);
    store.close();
  });
});
