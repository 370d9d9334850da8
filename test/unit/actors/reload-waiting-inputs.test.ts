/**
 * A shard reload (after a failed commit) while inputs wait for an evicted key's rows, on real parts
 * in-process (a ShardHost fed by a WriterCore on a real SQLite file): the inputs used to be dropped with the
 * question, so their terminal never heard back. They run again on the reloaded memory, asking afresh, and
 * the answer to the question asked before the reload is skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock, writerClock } from '../../helpers/clocks.js';
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
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-reload-waiting-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function rig() {
  const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0', HUB_ACTOR_IDLE_MS: '30000' });
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
  const out = (): HubMessage[] =>
    sent.flatMap((m) => (m.type === 'deliver' ? m.input.deliveries.flatMap((d) => d.out.map((o) => o.msg)) : []));
  /** The writer worker's answer to the oldest question still open (it answers in the order asked). */
  const answerOldest = (): void => {
    const key = loads.shift();
    if (key === undefined) throw new Error('no question is open');
    core.loadKey(key, (seed) => host.loaded(key, seed));
  };
  const input = (key: string, msg: ShardMessage) => ({ type: 'terminal' as const, input: { key, from: ann, msg, receivedAt: clock.now() } });
  return { clock, core, host, loads, out, answerOldest, input, store };
}

describe('a shard reload while inputs wait for a key', () => {
  it('runs the waiting inputs again on the reloaded memory and skips the answer asked before it', () => {
    const { core, host, loads, out, answerOldest, input } = rig();
    host.handleBatch([
      input('t:9', { type: 'LEASE_ACQUIRE', posReference: 'Q', baseVersion: 0, tableId: 9 }),
      input('t:9', { type: 'ORDER_SNAPSHOT', posReference: 'Q', baseVersion: 0, snapshot: snapshot('Q', 9) }),
    ]);
    expect(loads).toEqual(['t:9']);
    // A failed commit elsewhere: the shard reloads before the writer answered the question.
    host.load(inTurn(core.loadSeed(0, 1, 'grants')));
    expect(loads).toEqual(['t:9', 't:9']);
    answerOldest();
    expect(out()).toEqual([]);
    answerOldest();
    expect(out().map((m) => m.type)).toEqual(['LEASE_GRANTED', 'ORDER_ACK', 'ORDER_UPDATED']);
    host.stop();
  });

  it('keeps arrival order between a waiting input and one that comes after the reload', () => {
    const { core, host, loads, out, answerOldest, input } = rig();
    host.handleBatch([input('t:9', { type: 'LEASE_ACQUIRE', posReference: 'Q', baseVersion: 0, tableId: 9 })]);
    host.load(inTurn(core.loadSeed(0, 1, 'grants')));
    host.handleBatch([input('t:9', { type: 'ORDER_SNAPSHOT', posReference: 'Q', baseVersion: 0, snapshot: snapshot('Q', 9) })]);
    expect(loads).toEqual(['t:9', 't:9']);
    answerOldest();
    answerOldest();
    expect(out().map((m) => m.type)).toEqual(['LEASE_GRANTED', 'ORDER_ACK', 'ORDER_UPDATED']);
    host.stop();
  });

  it('gives an evicted key the rows it asked for after two reloads in a row', () => {
    const { core, host, loads, out, answerOldest, input } = rig();
    host.handleBatch([input('t:9', { type: 'LEASE_ACQUIRE', posReference: 'Q', baseVersion: 0, tableId: 9 })]);
    host.load(inTurn(core.loadSeed(0, 1, 'grants')));
    host.load(inTurn(core.loadSeed(0, 1, 'grants')));
    expect(loads).toEqual(['t:9', 't:9', 't:9']);
    answerOldest();
    answerOldest();
    expect(out()).toEqual([]);
    answerOldest();
    expect(out().map((m) => m.type)).toEqual(['LEASE_GRANTED']);
    host.stop();
  });
});
