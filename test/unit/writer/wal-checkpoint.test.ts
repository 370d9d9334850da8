/**
 * SQLite's WAL checkpoint is off the commit path (issue 16): left to SQLite it ran inside the COMMIT of every
 * ~125th write, with its database writes and two fsyncs on that write's ack. The writer's store opens with
 * wal_autocheckpoint = 0 and the writer checkpoints between commits, after their deliveries, when no units
 * are waiting; the log stays bounded. Read from the wal-index (the -shm file) so the test itself never
 * checkpoints.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import type { WriterNotice } from '../../../src/threads/contract.js';
import { TestClock, writerClock } from '../../helpers/clocks.js';
import { CHECKPOINT_AFTER_ROWS } from '../../../workers/writer/store-upkeep.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-wal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Frames in the log since its last restart: mxFrame of the wal-index header (sqlite.org/walformat.html). */
function walFrames(): number {
  return readFileSync(join(dir, 'hub.sqlite-shm')).readUInt32LE(16);
}

/** A snapshot write as the table actor makes it: the order row, its event and the mutation reply (three rows). */
function write(n: number): Unit {
  const posReference = `NU/CFG1/S1/${n % 40}`;
  const snapshot: OrderSnapshot = {
    posReference,
    tableId: 1,
    state: 'editing',
    kitchenStatus: 'open',
    sessionId: 1,
    userId: 1,
    lines: [],
    payments: [],
    amountTotal: n,
    amountTax: 0,
    amountPaid: 0,
    amountReturn: 0,
    createdAt: '2026-01-01T10:00:00.000Z',
    note: 'x'.repeat(1500),
  } as OrderSnapshot;
  const updated: HubMessage = { type: 'ORDER_UPDATED', posReference, version: n, snapshot, sourceTerminal: 'ann' };
  const ack: HubMessage = { type: 'ORDER_ACK', posReference, version: n, mutationId: `m${n}` };
  return {
    ops: [
      { op: 'order_put', posReference, homeKey: 't:1', tableId: 1, version: n, snapshot, terminalId: 'ann', state: 'editing' },
      { op: 'event', type: 'ORDER_UPDATED', posReference, payload: updated, sourceTerminal: 'ann' },
      { op: 'mutation', terminalId: 'ann', mutationId: `m${n}`, homeKey: 't:1', posReference, result: ack },
    ],
    out: [
      { to: 'terminal', terminalId: 'ann', msg: ack, stamp: true },
      { to: 'others', except: 'ann', msg: updated, stamp: true },
    ],
  };
}

function open() {
  const store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'full', checkpoints: 'writer' });
  const port = new SqliteStorePort(store);
  const clock = new TestClock();
  const events: string[] = [];
  const checkpoint = port.checkpoint.bind(port);
  port.checkpoint = () => {
    events.push('checkpoint');
    return checkpoint();
  };
  const sent: WriterNotice[] = [];
  const core = new WriterCore({
    store: port,
    config,
    clock: writerClock(clock),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    toFront: (m) => {
      sent.push(m);
      if (m.type === 'deliver') events.push(`deliver ${m.input.deliveries.length}`);
    },
  });
  return { store, core, clock, events };
}

describe('WAL checkpoints off the commit path', () => {
  it('no commit checkpoints: the log grows past SQLite’s 1000 pages until the writer checkpoints between commits, then restarts', () => {
    const { store, core, clock, events } = open();
    const writes = Math.ceil((2 * CHECKPOINT_AFTER_ROWS) / 3);
    for (let n = 1; n <= writes; n++) {
      core.enqueue([write(n)]);
      core.commit();
    }
    // SQLite's own checkpoint would have restarted the log inside one of these commits.
    expect(walFrames()).toBeGreaterThan(1500);
    expect(events).not.toContain('checkpoint');
    expect(events.filter((e) => e.startsWith('deliver'))).toHaveLength(writes);
    clock.flush();
    expect(events.at(-1)).toBe('checkpoint');
    core.enqueue([write(writes + 1)]);
    core.commit();
    // Everything was copied: the next commit writes the log from its start.
    expect(walFrames()).toBeLessThan(50);
    store.close();
  });

  it('a due checkpoint waits for units already queued: they are committed and delivered first', () => {
    const { store, core, clock, events } = open();
    let n = 0;
    while (events.length === 0 || n * 3 < CHECKPOINT_AFTER_ROWS) {
      core.enqueue([write(++n)]);
      core.commit();
    }
    events.length = 0;
    // Queued before the checkpoint's turn comes: its commit (also next turn) goes first.
    core.enqueue([write(++n)]);
    clock.flush();
    expect(events).toEqual(['deliver 1', 'checkpoint']);
    store.close();
  });
});
