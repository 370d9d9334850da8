/**
 * Issue 16: a SYNC_INIT is built once and shared across a reconnect storm. The writer answers every
 * terminal from one build until a row it is read from changes (a commit with a seq, or one without, such
 * as a lock heartbeat) or a lease it shows as held expires; a write it does not read (a device binding)
 * keeps it. A sharing caller (the front) is sent each version's content once, then `init_same`. Resume stays
 * per terminal and exact.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import type { Unit } from '../../../src/threads/actor-io.js';
import type { SyncResult } from '../../../src/threads/contract.js';
import { TestClock, writerClock } from '../../helpers/clocks.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

const config = parseConfig({
  HUB_DEV_AUTH: 'true',
  HUB_HOST: '127.0.0.1',
  HUB_COMMIT_WINDOW_MS: '0',
  HUB_EVENT_RETENTION: '100',
});
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-shared-sync-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function snap(posReference: string): OrderSnapshot {
  return {
    posReference,
    tableId: 1,
    state: 'editing',
    kitchenStatus: 'open',
    sessionId: 1,
    userId: 1,
    lines: [],
    payments: [],
    amountTotal: 0,
    amountTax: 0,
    amountPaid: 0,
    amountReturn: 0,
    createdAt: '2026-01-01T10:00:00.000Z',
  };
}

function write(posReference: string, version: number): Unit {
  const updated: HubMessage = {
    type: 'ORDER_UPDATED',
    posReference,
    version,
    snapshot: snap(posReference),
    sourceTerminal: 'ann',
  };
  return {
    ops: [
      {
        op: 'order_put',
        posReference,
        homeKey: 't:1',
        tableId: 1,
        version,
        snapshot: snap(posReference),
        terminalId: 'ann',
        state: 'editing',
      },
      { op: 'event', type: 'ORDER_UPDATED', posReference, payload: updated, sourceTerminal: 'ann' },
    ],
    out: [{ to: 'others', except: 'ann', msg: updated, stamp: true }],
  };
}

function open() {
  const clock = new TestClock();
  const store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
  const core = new WriterCore({
    store: new SqliteStorePort(store),
    config,
    clock: writerClock(clock),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    toFront: () => undefined,
  });
  const sync = (input: { terminalId: string; lastSeq?: number; shared?: boolean }): Promise<SyncResult> =>
    core.request('sync', input);
  const init = async (input: {
    terminalId: string;
    shared?: boolean;
  }): Promise<Extract<SyncResult, { mode: 'init' }>> => {
    const answer = await sync(input);
    if (answer.mode !== 'init') throw new Error(`expected init, got ${answer.mode}`);
    return answer;
  };
  return { clock, store, core, sync, init };
}

describe('shared SYNC_INIT', () => {
  it('is one build for every terminal until a commit, then a fresh one with the commit in it', async () => {
    const { store, core, sync, init } = open();
    core.enqueue([write('A', 1)]);
    core.commit();
    const first = await init({ terminalId: 'ann', shared: true });
    // A caller that does not keep it gets the content, from the same build: nothing was read from SQLite again.
    const second = await init({ terminalId: 'bob' });
    expect(second.version).toBe(first.version);
    expect(second.orders).toBe(first.orders);
    expect(first.orders.map((o) => o.posReference)).toEqual(['A']);
    // The sharing caller was sent this version already: named, not sent again.
    expect(await sync({ terminalId: 'cid', shared: true })).toEqual({
      mode: 'init_same',
      version: first.version,
      quarantined: [],
    });
    // A write SYNC_INIT does not read (a new device's binding, in `meta`) keeps it.
    expect(
      await core.request('device_claim', { deviceId: 'pos-9', owner: 'dev:eve', now: 1, idleReleaseMs: 0 }),
    ).toEqual({ ok: true, previousOwner: null });
    expect((await sync({ terminalId: 'eve', shared: true })).mode).toBe('init_same');

    core.enqueue([write('B', 1)]);
    core.commit();
    const after = await sync({ terminalId: 'dan', shared: true });
    expect(after.mode).toBe('init');
    if (after.mode !== 'init') return;
    expect(after.version).toBeGreaterThan(first.version);
    expect(after.seq).toBe(store.currentSeq());
    expect(after.orders.map((o) => o.posReference).sort()).toEqual(['A', 'B']);
    store.close();
  });

  it('is rebuilt after a write that carries no seq (a lock heartbeat)', async () => {
    const { store, core, init } = open();
    core.enqueue([
      { ops: [{ op: 'lock_put', tableId: 4, terminalId: 'bob', role: 'cashier', expiresAt: 9, epoch: 2 }], out: [] },
    ]);
    core.commit();
    const before = await init({ terminalId: 'ann' });
    expect(before.tables).toEqual([
      { tableId: 4, status: 'available', posReference: null, lockedBy: 'bob', lockExpiresAt: 9 },
    ]);
    const seq = store.currentSeq();
    core.enqueue([
      { ops: [{ op: 'lock_put', tableId: 4, terminalId: 'bob', role: 'cashier', expiresAt: 99, epoch: 2 }], out: [] },
    ]);
    core.commit();
    expect(store.currentSeq()).toBe(seq);
    const after = await init({ terminalId: 'ann', shared: true });
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.tables[0]?.lockExpiresAt).toBe(99);
    store.close();
  });

  it('is rebuilt once a lease it shows as held has expired, with no write in between', async () => {
    const { clock, store, core, init } = open();
    const expiresAt = clock.now() + 5_000;
    core.enqueue([write('A', 1)]);
    core.enqueue([
      {
        ops: [
          {
            op: 'lease_put',
            posReference: 'A',
            homeKey: 't:1',
            terminalId: 'ann',
            role: 'cashier',
            tableId: 1,
            expiresAt,
            epoch: 1,
          },
        ],
        out: [],
      },
    ]);
    core.commit();
    const held = await init({ terminalId: 'bob' });
    expect(held.orders[0]?.leasedBy).toBe('ann');
    clock.advance(4_999);
    expect((await init({ terminalId: 'cid' })).version).toBe(held.version);
    clock.advance(1);
    const lapsed = await init({ terminalId: 'dan', shared: true });
    expect(lapsed.version).toBeGreaterThan(held.version);
    expect(lapsed.orders[0]?.leasedBy).toBeNull();
    store.close();
  });

  it('leaves resume per terminal and exact: a front holding a SYNC_INIT still gets the missed events', async () => {
    const { store, core, sync, init } = open();
    core.enqueue([write('A', 1)]);
    core.commit();
    const seq = store.currentSeq();
    await init({ terminalId: 'ann', shared: true });
    core.enqueue([write('A', 2)]);
    core.commit();
    const resumed = await sync({ terminalId: 'bob', lastSeq: seq, shared: true });
    expect(resumed.mode).toBe('resume');
    if (resumed.mode !== 'resume') return;
    expect(resumed.events.map((e) => [e.type, (e as { seq?: number }).seq])).toEqual([['ORDER_UPDATED', seq + 1]]);
    store.close();
  });
});
