/**
 * The writer's part of per-stage latency (issue 16): `to_writer` (shard hand-off → arrival), `commit_wait`
 * (arrival → its commit starts) and `commit` (the transaction, fsync included), one observation per write,
 * and the `sentAt` mark on each delivery that starts the front's `to_front` stage. Read on an injected clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics, stageTimer, type HubMetrics, type WriteStage } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { Unit } from '../../../src/threads/actor-io.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { TestClock, writerClock } from '../../helpers/clocks.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-stages-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The stage clock, in process-wide milliseconds; the store's transaction moves it by `commitMs`. */
let t = 0;

class TimedStore extends HubStore {
  commitMs = 0;
  override transaction<T>(fn: () => T): T {
    return super.transaction(() => {
      const result = fn();
      t += this.commitMs;
      return result;
    });
  }
}

function unit(posReference: string, sentAt?: number): Unit {
  const updated: HubMessage = {
    type: 'TABLE_UPDATED',
    tableId: 1,
    status: 'occupied',
    posReference,
    sourceTerminal: 'ann',
  };
  return {
    ops: [
      { op: 'table_put', tableId: 1, status: 'occupied', posReference },
      { op: 'event', type: 'TABLE_UPDATED', posReference, payload: updated, sourceTerminal: 'ann' },
    ],
    out: [{ to: 'all', msg: updated, stamp: true }],
    ...(sentAt === undefined ? {} : { sentAt }),
  };
}

describe('writer stages', () => {
  it('records to_writer, commit_wait and commit per write and stamps sentAt on the deliveries', () => {
    const recorded: Array<[WriteStage, number]> = [];
    const metrics: HubMetrics = { ...noopMetrics, writeStage: (stage, seconds) => recorded.push([stage, seconds]) };
    const store = new TimedStore({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
    store.commitMs = 2.5;
    const clock = new TestClock();
    const sent: WriterNotice[] = [];
    const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' });
    const core = new WriterCore({
      store: new SqliteStorePort(store),
      config,
      clock: writerClock(clock),
      log: createLogger({ level: 'silent' }),
      metrics,
      stages: stageTimer(metrics, () => t),
      toFront: (m) => sent.push(m),
    });
    t = 1000;
    core.enqueue([unit('A', 997)]);
    t = 1004;
    // A unit from the front (ticket, floor plan) carries no shard mark: no to_writer for it.
    core.enqueue([unit('B', 1003.5), unit('C')]);
    t = 1010;
    clock.flush();

    const of = (stage: WriteStage): number[] => recorded.filter(([s]) => s === stage).map(([, seconds]) => seconds);
    expect(of('to_writer')).toEqual([0.003, 0.0005]);
    expect(of('commit_wait')).toEqual([0.01, 0.006, 0.006]);
    expect(of('commit')).toEqual([0.0025, 0.0025, 0.0025]);
    const deliver = sent.find((m) => m.type === 'deliver');
    expect(deliver?.type === 'deliver' ? deliver.input.deliveries.map((d) => d.sentAt) : []).toEqual([
      1012.5, 1012.5, 1012.5,
    ]);
    // The writer records only its own stages.
    expect(new Set(recorded.map(([s]) => s))).toEqual(new Set(['to_writer', 'commit_wait', 'commit']));
    store.close();
  });
});
