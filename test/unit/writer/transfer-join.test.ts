/**
 * The writer's half of the transfer protocol, in-process on a real SQLite file: a transfer's source
 * and dest parts arrive on different shard ports in either order; neither is written alone, both land
 * in one transaction (dest first), their messages leave only after it, and the shards are told.
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
import type { Delivery, WriterNotice } from '../../../src/threads/contract.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';
import { snapshot } from '../../helpers/terminal.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-join-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const snap = (posReference: string, tableId: number): OrderSnapshot => snapshot(posReference, tableId);

function part(txId: string, which: 'source' | 'dest', posReference: string, version: number): Unit {
  const tableId = which === 'source' ? 1 : 2;
  const updated: HubMessage = {
    type: 'ORDER_UPDATED',
    posReference,
    version,
    snapshot: snap(posReference, tableId),
    sourceTerminal: 'ann',
  };
  return {
    ops: [
      {
        op: 'order_put',
        posReference,
        homeKey: `t:${tableId}`,
        tableId,
        version,
        snapshot: snap(posReference, tableId),
        terminalId: 'ann',
        state: 'editing',
      },
      { op: 'event', type: 'ORDER_UPDATED', posReference, payload: updated, sourceTerminal: null },
    ],
    out: [{ to: 'others', except: 'ann', msg: updated, stamp: true }],
    join: { txId, part: which },
  };
}

function open() {
  const store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'full' });
  const sent: WriterNotice[] = [];
  const committed: string[][] = [];
  const core = new WriterCore({
    store: new SqliteStorePort(store),
    config,
    clock: writerClock(fixedClock()),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    toFront: (m) => sent.push(m),
    onTransfersCommitted: (txIds) => committed.push([...txIds]),
  });
  const deliveries = (): Delivery[] => sent.flatMap((m) => (m.type === 'deliver' ? m.input.deliveries : []));
  const versions = (): Record<string, number> =>
    Object.fromEntries(
      (
        store.db.prepare('SELECT pos_reference, version FROM orders').all() as Array<{
          pos_reference: string;
          version: number;
        }>
      ).map((r) => [r.pos_reference, r.version]),
    );
  return { store, core, committed, deliveries, versions };
}

describe('writer joins transfer parts', () => {
  it.each(['source', 'dest'] as const)('holds the %s part alone, then commits both in one transaction', (firstPart) => {
    const { store, core, committed, deliveries, versions } = open();
    const parts = { source: part('tx-1', 'source', 'X', 2), dest: part('tx-1', 'dest', 'Y', 5) };
    core.enqueue([parts[firstPart]]);
    core.commit();
    expect(versions()).toEqual({});
    expect(deliveries()).toEqual([]);
    expect(committed).toEqual([]);

    core.enqueue([parts[firstPart === 'source' ? 'dest' : 'source']]);
    core.commit();
    expect(versions()).toEqual({ X: 2, Y: 5 });
    expect(core.batching).toMatchObject({ commits: 1, units: 2 });
    // Dest first, then source, each with its own seq.
    expect(
      deliveries().map((d) => [
        (d.out[0]!.msg as { posReference: string }).posReference,
        (d.out[0]!.msg as { seq: number }).seq,
      ]),
    ).toEqual([
      ['Y', 1],
      ['X', 2],
    ]);
    expect(committed).toEqual([['tx-1']]);
    store.close();
  });

  it('commits ordinary units around a held part without waiting for it', () => {
    const { store, core, committed, versions } = open();
    const { join: _join, ...plain } = part('-', 'source', 'Z', 1);
    core.enqueue([part('tx-2', 'source', 'X', 1), plain]);
    core.commit();
    expect(versions()).toEqual({ Z: 1 });
    core.enqueue([part('tx-2', 'dest', 'Y', 1)]);
    core.commit();
    expect(versions()).toEqual({ X: 1, Y: 1, Z: 1 });
    expect(committed).toEqual([['tx-2']]);
    store.close();
  });

  it('drops a held part on reset (no transfer survives a reset)', async () => {
    const { store, core, versions } = open();
    core.enqueue([part('tx-3', 'source', 'X', 1)]);
    await core.request('reset');
    core.enqueue([part('tx-3', 'dest', 'Y', 1)]);
    core.commit();
    expect(versions()).toEqual({});
    store.close();
  });
});
