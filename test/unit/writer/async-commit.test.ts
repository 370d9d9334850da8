/**
 * The writer's commit loop on a store that answers later (Postgres does, over a socket): here the SQLite
 * port behind a wrapper whose commits the test holds open and releases. Exactly one commit is in flight;
 * the units that arrive meanwhile go into the next single commit, which starts as soon as the first
 * settles; nothing is acked before its commit resolves; reads (a key load, a flush) wait behind the
 * commit in flight and never lose a queued unit; a transient rejection is refused retryably and an
 * in-doubt one says the write may be stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import type { CommitResult, HubStorePort, StoreFault, StoreUnit } from '../../../src/ports/store.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { Unit } from '../../../src/threads/actor-io.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { TestClock, writerClock } from '../../helpers/clocks.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-async-commit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function unit(posReference: string, terminalId = 'ann'): Unit {
  const updated: HubMessage = { type: 'TABLE_UPDATED', tableId: 1, status: 'occupied', posReference, sourceTerminal: terminalId };
  return {
    ops: [
      { op: 'table_put', tableId: 1, status: 'occupied', posReference },
      { op: 'event', type: 'TABLE_UPDATED', posReference, payload: updated, sourceTerminal: null },
    ],
    out: [{ to: 'all', msg: updated, stamp: true }],
    origin: { terminalId, ref: { type: 'TABLE_UPDATE', tableId: 1 } },
  };
}

interface Held {
  readonly units: readonly StoreUnit[];
  release(): void;
  fail(error: Error): void;
}

/** The SQLite port, but every call answers only when the test says (no settled promise: like Postgres). */
function heldPort(inner: SqliteStorePort, fault: (error: unknown) => StoreFault = () => 'transient') {
  const held: Held[] = [];
  /** Key loads to refuse (a primary that is away), before answering again. */
  const refuseSeeds = { count: 0 };
  const later = <T>(p: Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => void p.then(resolve, reject));
  const port: HubStorePort = {
    engine: 'postgres',
    classifyError: fault,
    commit: (units, now) =>
      new Promise<CommitResult>((resolve, reject) => {
        held.push({
          units,
          // Applied only on release, as a remote commit becomes visible only when it returns.
          release: () => void inner.commit(units, now).then(resolve, reject),
          fail: (error) => reject(error),
        });
      }),
    highWaterMark: () => inner.highWaterMark(),
    readEvents: (a, l, e) => later(inner.readEvents(a, l, e)),
    getMutation: (t, m, o) => later(inner.getMutation(t, m, o)),
    refreshMark: () => later(inner.refreshMark()),
    homesOf: (p) => later(inner.homesOf(p)),
    grantKeys: () => later(inner.grantKeys()),
    contents: () => later(inner.contents()),
    seedOf: (k) => {
      if (refuseSeeds.count === 0) return later(inner.seedOf(k));
      refuseSeeds.count -= 1;
      return Promise.reject(Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' }));
    },
    takeOver: (n, t) => later(inner.takeOver(n, t)),
    currentEpoch: () => later(inner.currentEpoch()),
    meta: (k) => later(inner.meta(k)),
    setMeta: (k, v) => later(inner.setMeta(k, v)),
    deleteMeta: (k) => later(inner.deleteMeta(k)),
    pendingForward: (l, n) => later(inner.pendingForward(l, n)),
    markForwarded: (e, r, n) => later(inner.markForwarded(e, r, n)),
    markAttemptFailed: (e, r, n) => later(inner.markAttemptFailed(e, r, n)),
    markDead: (e, r, n) => later(inner.markDead(e, r, n)),
    prune: (l) => later(inner.prune(l)),
    trimEvents: (r) => later(inner.trimEvents(r)),
    reset: () => later(inner.reset()),
    tallies: () => later(inner.tallies()),
    recentEvents: (l) => later(inner.recentEvents(l)),
    quarantinedRecords: () => inner.quarantinedRecords(),
    close: () => later(inner.close()),
  };
  return { port, held, refuseSeeds };
}

/** Let every pending promise reaction run (the held port answers through a few of them). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

async function open(fault?: (error: unknown) => StoreFault) {
  const inner = SqliteStorePort.open({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
  const { port, held, refuseSeeds } = heldPort(inner, fault);
  const clock = new TestClock();
  const sent: WriterNotice[] = [];
  const core = new WriterCore({
    store: port,
    config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' }),
    clock: writerClock(clock),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    toFront: (m) => sent.push(m),
  });
  await core.ready;
  const commits = (): number[][] =>
    sent.flatMap((m) => (m.type === 'deliver' && m.input.deliveries.length > 0 ? [m.input.deliveries.map((d) => (d.out[0]?.msg as { seq?: number }).seq ?? -1)] : []));
  const messages = (): HubMessage[] => sent.flatMap((m) => (m.type === 'deliver' ? m.input.deliveries.flatMap((d) => d.out.map((o) => o.msg)) : []));
  return { inner, held, clock, core, commits, messages, sent, refuseSeeds };
}

describe('the commit loop on a store that answers later', () => {
  it('keeps one commit in flight and puts everything that arrives meanwhile into the next one', async () => {
    const { held, clock, core, commits, inner } = await open();
    core.enqueue([unit('A')]);
    clock.flush();
    expect(held).toHaveLength(1);
    // Three shards' units arrive while the first commit waits for its answer.
    core.enqueue([unit('B')]);
    core.enqueue([unit('C')]);
    clock.flush();
    core.enqueue([unit('D')]);
    clock.flush();
    expect(held).toHaveLength(1);
    // Nothing is acked or broadcast before the commit resolves.
    expect(commits()).toEqual([]);
    held[0]!.release();
    await settle();
    expect(commits()).toEqual([[1]]);
    // The next commit started as soon as the first settled, with all three.
    expect(held).toHaveLength(2);
    expect(held[1]!.units).toHaveLength(3);
    held[1]!.release();
    await settle();
    expect(commits()).toEqual([[1], [2, 3, 4]]);
    expect(core.batching).toMatchObject({ commits: 2, units: 4, maxUnits: 3 });
    await inner.close();
  });

  it('answers a key load and a flush only after the commit in flight and the units queued before them', async () => {
    const { held, clock, core, commits, inner } = await open();
    core.enqueue([unit('A')]);
    clock.flush();
    core.enqueue([unit('B')]);
    const loaded: unknown[] = [];
    core.loadKey('t:1', (seed) => loaded.push(seed));
    const flushed = core.handlers.flush(undefined);
    expect(flushed).toBeInstanceOf(Promise);
    await settle();
    expect(loaded).toEqual([]);
    held[0]!.release();
    await settle();
    // B was queued before the reads: its commit comes first, the reads after it.
    expect(loaded).toEqual([]);
    expect(held).toHaveLength(2);
    held[1]!.release();
    await settle();
    expect(commits()).toEqual([[1], [2]]);
    expect(loaded).toEqual([expect.objectContaining({ key: 't:1', table: expect.objectContaining({ posReference: 'B' }) })]);
    expect(await flushed).toMatchObject({ seq: 2 });
    await inner.close();
  });

  it('asks again for a key load the store refused for a moment (a failover), instead of dying', async () => {
    const { held, clock, core, refuseSeeds, inner } = await open();
    core.enqueue([unit('A')]);
    clock.flush();
    held[0]!.release();
    await settle();
    refuseSeeds.count = 1;
    const loaded: unknown[] = [];
    core.loadKey('t:1', (seed) => loaded.push(seed));
    await settle();
    expect(loaded).toEqual([]);
    clock.advance(1000);
    await settle();
    expect(loaded).toEqual([expect.objectContaining({ key: 't:1', table: expect.objectContaining({ posReference: 'A' }) })]);
    await inner.close();
  });

  it('refuses a rejected commit retryably, reloads the shards, and says so when the commit is in doubt', async () => {
    const { held, clock, core, messages, inner } = await open((error) => ((error as Error).message.includes('doubt') ? 'in_doubt' : 'transient'));
    core.enqueue([unit('A', 'ann')]);
    clock.flush();
    held[0]!.fail(Object.assign(new Error('connection terminated'), { code: '57P01' }));
    await settle();
    expect(messages().at(-1)).toMatchObject({ type: 'ERROR', code: 'STORAGE_UNAVAILABLE', retryable: true, message: expect.stringContaining('not stored') });
    expect(core.stats().storageError).not.toBeNull();
    expect(core.generation).toBe(1);
    core.enqueue([unit('B', 'bob')], 1);
    clock.flush();
    held[1]!.fail(new Error('commit in doubt'));
    await settle();
    expect(messages().at(-1)).toMatchObject({ type: 'ERROR', code: 'STORAGE_UNAVAILABLE', retryable: true, message: expect.stringContaining('maybe stored') });
    // The next commit that succeeds clears the degraded state.
    core.enqueue([unit('C', 'cid')], 2);
    clock.flush();
    held[2]!.release();
    await settle();
    expect(core.stats().storageError).toBeNull();
    expect(messages().at(-1)).toMatchObject({ type: 'TABLE_UPDATED', posReference: 'C', seq: 1 });
    await inner.close();
  });
});
