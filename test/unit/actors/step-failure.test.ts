/**
 * A table actor whose step throws (a bug an input reached) no longer ends the shard: on real parts
 * in-process (a ShardHost fed by a WriterCore on a real SQLite file), the sender gets ERROR INTERNAL
 * with its ref, nothing of that input is stored, other tables and other terminals go on, and the actor
 * comes back from SQLite with everything committed before — its lease and the order's version intact.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock, writerClock } from '../../helpers/clocks.js';
import { inTurn } from '../../helpers/in-turn.js';
import { snapshot } from '../../helpers/terminal.js';
import type { TableEnv } from '../../../actors/table/context.js';
import type { Principal, ShardMessage, Unit } from '../../../actors/table/types.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics, type QuarantineKind } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { ShardHost } from '../../../workers/shard/shard-host.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

/** The domain check throws for a snapshot whose first line is named "boom": a stand-in for any bug. */
const env: TableEnv = {
  timings: { leaseTtlMs: 60_000, leaseGraceMs: 10_000, lockTtlMs: 45_000, lockGraceMs: 10_000 },
  sendChangesToKitchen: true,
  validate: (_previous, next) => {
    if ((next.lines[0] as { name?: string } | undefined)?.name === 'boom') throw new TypeError('a bug in the domain check');
    return { ok: true };
  },
};
const ann: Principal = { terminalId: 'ann', role: 'cashier', name: 'Ann' };
const bob: Principal = { terminalId: 'bob', role: 'cashier', name: 'Bob' };
const log = createLogger({ level: 'silent' });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-step-failure-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function rig() {
  const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
  const clock = new TestClock({ start: 1_700_000_000_000 });
  const store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
  const sent: WriterNotice[] = [];
  const core = new WriterCore({ store: new SqliteStorePort(store), config, clock: writerClock(clock), log, metrics: noopMetrics, toFront: (m) => sent.push(m) });
  const loads: string[] = [];
  const quarantined: QuarantineKind[] = [];
  const host = new ShardHost({
    index: 0,
    env,
    clock,
    metrics: { ...noopMetrics, quarantined: (kind) => quarantined.push(kind) },
    log,
    sink: (units: Unit[]) => {
      core.enqueue(units);
      core.commit();
    },
    loadKey: (key) => loads.push(key),
  });
  host.load(inTurn(core.loadSeed(0, 1, 'grants')));
  const settle = (): void => {
    for (const key of loads.splice(0)) core.loadKey(key, (seed) => host.loaded(key, seed));
  };
  /** Every message delivered to `terminalId`, in order. */
  const to = (terminalId: string): HubMessage[] =>
    sent.flatMap((m) => (m.type === 'deliver' ? m.input.deliveries.flatMap((d) => d.out.filter((o) => o.to === 'terminal' && o.terminalId === terminalId).map((o) => o.msg)) : []));
  const send = (key: string, from: Principal, msg: ShardMessage): void => {
    host.handleBatch([{ type: 'terminal', input: { key, from, msg, receivedAt: clock.now() } }]);
    settle();
  };
  return { host, loads, send, to, store, quarantined, settle };
}

const line = (name: string) => ({ uid: 'l1', productId: 1, name, qty: 1, price: 2, discount: 0, note: '', taxIds: [], sentQty: 0 });

describe('an actor step that throws', () => {
  it('refuses that input INTERNAL, stores nothing of it, and rebuilds the actor from SQLite', () => {
    const { host, send, to, store, quarantined } = rig();
    send('t:1', ann, { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0, tableId: 1 });
    send('t:1', ann, { type: 'ORDER_SNAPSHOT', posReference: 'A', baseVersion: 0, snapshot: snapshot('A', 1, { lines: [line('soup')] }), mutationId: 'm1' });
    expect(to('ann').at(-1)).toMatchObject({ type: 'ORDER_ACK', posReference: 'A', version: 1 });

    // Before the fix this threw out of handleBatch (and, in the worker, on XState's timer): the shard ended.
    expect(() => send('t:1', ann, { type: 'ORDER_SNAPSHOT', posReference: 'A', baseVersion: 1, snapshot: snapshot('A', 1, { lines: [line('boom')] }), mutationId: 'm2' })).not.toThrow();
    expect(to('ann').at(-1)).toMatchObject({ type: 'ERROR', code: 'INTERNAL', retryable: false, ref: { type: 'ORDER_SNAPSHOT', posReference: 'A', mutationId: 'm2' } });
    expect(quarantined).toEqual(['input']);
    expect(host.actorCount).toBe(0);

    // The next input rebuilds it from SQLite: the lease is still Ann's, version 1 is the base.
    send('t:1', ann, { type: 'ORDER_SNAPSHOT', posReference: 'A', baseVersion: 1, snapshot: snapshot('A', 1, { lines: [line('salad')] }), mutationId: 'm3' });
    expect(to('ann').at(-1)).toMatchObject({ type: 'ORDER_ACK', posReference: 'A', version: 2 });
    expect(store.tallies().orders).toBe(1);
    expect(JSON.stringify(store.orders())).not.toContain("boom");
    expect(JSON.stringify(store.orders())).toContain("salad");
    host.stop();
  });

  it('leaves other tables and terminals alone, in the same batch', () => {
    const { host, to, settle } = rig();
    host.handleBatch([
      { type: 'terminal', input: { key: 't:1', from: ann, msg: { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0, tableId: 1 }, receivedAt: 0 } },
      { type: 'terminal', input: { key: 't:2', from: bob, msg: { type: 'LEASE_ACQUIRE', posReference: 'B', baseVersion: 0, tableId: 2 }, receivedAt: 0 } },
    ]);
    settle();
    host.handleBatch([
      { type: 'terminal', input: { key: 't:1', from: ann, msg: { type: 'ORDER_SNAPSHOT', posReference: 'A', baseVersion: 0, snapshot: snapshot('A', 1, { lines: [line('boom')] }) }, receivedAt: 0 } },
      { type: 'terminal', input: { key: 't:2', from: bob, msg: { type: 'ORDER_SNAPSHOT', posReference: 'B', baseVersion: 0, snapshot: snapshot('B', 2, { lines: [line('tea')] }) }, receivedAt: 0 } },
      // Ann's next input for the failed table, in the same batch: it waits for the rebuild, then applies.
      { type: 'terminal', input: { key: 't:1', from: ann, msg: { type: 'ORDER_SNAPSHOT', posReference: 'A', baseVersion: 0, snapshot: snapshot('A', 1, { lines: [line('soup')] }) }, receivedAt: 0 } },
    ]);
    settle();
    expect(to('bob').at(-1)).toMatchObject({ type: 'ORDER_ACK', posReference: 'B', version: 1 });
    expect(to('ann').map((m) => m.type)).toEqual(['LEASE_GRANTED', 'ERROR', 'ORDER_ACK']);
    expect(to('ann').at(-1)).toMatchObject({ posReference: 'A', version: 1 });
    host.stop();
  });
});
