/**
 * Issue 18: a retry is answered, never applied twice — even when the actor that takes the resend was
 * loaded before the first send's commit became visible (a failover or a failed commit's reload racing the
 * terminal's resend: once in 30 two-hub node-loss runs a write was stored at two seqs). The writer hands
 * the unit's mutation id to the store, which finds it in the same transaction: nothing is applied, the
 * terminal gets the remembered reply, and the shards reload. On a real SQLite file.
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
import type { Outbound, Unit } from '../../../src/threads/actor-io.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { orderWriteUnit } from '../../helpers/order-write-unit.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-stored-once-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** ORDER_SNAPSHOT `version` of order A by ann under `mutationId`, as a table actor builds it. */
const write = (version: number, mutationId: string): Unit => orderWriteUnit(mutationId, version);

function setup() {
  const store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'full' });
  const sent: WriterNotice[] = [];
  const rollbacks: number[] = [];
  const core = new WriterCore({ store: new SqliteStorePort(store), config, clock: writerClock(fixedClock()), log: createLogger({ level: 'silent' }), metrics: noopMetrics, toFront: (m) => sent.push(m), onRollback: (g) => rollbacks.push(g) });
  const outs = (): Outbound[] => sent.flatMap((m) => (m.type === 'deliver' ? m.input.deliveries.flatMap((d) => d.out) : []));
  const send = (unit: Unit): void => {
    core.enqueue([unit]);
    core.commit();
  };
  return { store, core, outs, rollbacks, send };
}

describe('a resend the actors took as new', () => {
  it('is answered with the stored reply and applied nowhere: no second event, no broadcast, shards reload', () => {
    const { store, outs, rollbacks, send } = setup();
    send(write(1, 'm1'));
    const seq = store.currentSeq();
    expect(outs().map((o) => o.msg.type)).toEqual(['ORDER_ACK', 'ORDER_UPDATED']);

    // The same request again, built by an actor whose memory missed the first commit.
    send(write(1, 'm1'));
    expect(store.currentSeq()).toBe(seq);
    expect(store.recentEvents(10)).toHaveLength(1);
    const again = outs().slice(2);
    expect(again).toEqual([{ to: 'terminal', terminalId: 'ann', msg: { type: 'ORDER_ACK', posReference: 'A', version: 1, mutationId: 'm1', seq } }]);
    expect(rollbacks).toHaveLength(1);

    // A new request still applies.
    send(write(2, 'm2'));
    expect(store.currentSeq()).toBe(seq + 1);
  });

  it('twice in one batch: the second is found in the same transaction', () => {
    const { store, core, outs } = setup();
    core.enqueue([write(1, 'm1'), write(1, 'm1')]);
    core.commit();
    expect(store.recentEvents(10)).toHaveLength(1);
    expect(outs().filter((o) => o.msg.type === 'ORDER_ACK')).toHaveLength(2);
    expect(outs().filter((o) => o.msg.type === 'ORDER_UPDATED')).toHaveLength(1);
  });
});
