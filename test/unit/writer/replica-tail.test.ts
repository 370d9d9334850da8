/**
 * The follower's replica tail (workers/writer/replica-tail.ts) on a fake store port and a simulated clock:
 * only acknowledged events (≤ the mark its own synchronous write took) reach the front, in seq order, none
 * twice; the actors they touched are named for refresh; a promotion catches up from the tail's mark with every
 * grant holder re-read, or falls back to a full reload (logged) when the log no longer reaches the mark.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { KeyContents, StoredEvent } from '../../../src/ports/store.js';
import { ReplicaTail, type ReplicaTailDeps, type TailRefresh } from '../../../workers/writer/replica-tail.js';
import { TestClock } from '../../helpers/clocks.js';

const noRows: KeyContents = { orders: [], leases: [], lock: null, table: null, epochs: [], mutations: [], finalizing: [] };

/** The primary as a follower sees it: `written` is every commit, `acked` how far the standby has them. */
function fakeStore() {
  const state = {
    written: [] as StoredEvent[],
    acked: 0,
    mark: 0,
    floor: 0,
    homes: new Map<string, string>(),
    grants: [] as string[],
    seedReads: [] as string[],
    refreshFails: 0,
  };
  const store: ReplicaTailDeps['store'] = {
    highWaterMark: () => state.mark,
    refreshMark: () => {
      if (state.refreshFails > 0) {
        state.refreshFails -= 1;
        return Promise.reject(Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' }));
      }
      state.mark = Math.max(state.mark, state.acked);
      return Promise.resolve(state.mark);
    },
    readEvents: (afterSeq, limit) => {
      if (afterSeq < state.floor || afterSeq > state.mark) return Promise.resolve(null);
      const due = state.written.filter((e) => e.seq > afterSeq && e.seq <= state.mark);
      return Promise.resolve(due.length > limit ? null : due);
    },
    homesOf: (refs) => Promise.resolve([...state.homes].filter(([p]) => refs === null || refs.includes(p))),
    grantKeys: () => Promise.resolve([...state.grants]),
    seedOf: (key) => {
      state.seedReads.push(key);
      return Promise.resolve(noRows);
    },
  };
  const write = (payload: Record<string, unknown>): number => {
    const seq = state.written.length + 1;
    state.written.push({ seq, payload: { ...payload, seq } });
    return seq;
  };
  return { state, store, write };
}

function tailOn(fake: ReturnType<typeof fakeStore>, options: { limit?: number } = {}) {
  const clock = new TestClock({ start: 1_800_000_000_000 });
  const delivered: number[] = [];
  const refreshes: TailRefresh[] = [];
  const warnings: string[] = [];
  const log = createLogger({ level: 'silent' });
  const role = { following: true };
  const tail = new ReplicaTail({
    store: fake.store,
    clock,
    log: { ...log, warn: (_fields: unknown, message?: string) => void warnings.push(String(message)) } as typeof log,
    intervalMs: 250,
    limit: options.limit ?? 1000,
    following: () => role.following,
    onLane: (work) => work(),
    deliver: (events) => delivered.push(...events.map((e) => e.seq)),
    refresh: (r) => refreshes.push(r),
  });
  return { clock, tail, delivered, refreshes, warnings, role };
}

const orderUpdated = (posReference: string, tableId: number | null) => ({
  type: 'ORDER_UPDATED',
  posReference,
  version: 1,
  snapshot: { posReference, tableId },
});

describe('the follower replica tail', () => {
  it('delivers only what its own synchronous write showed acknowledged, in order, each event once', async () => {
    const fake = fakeStore();
    const t = tailOn(fake);
    for (let i = 0; i < 5; i++) fake.write(orderUpdated(`R${i}`, 3));
    fake.state.acked = 3; // 4 and 5 are visible on the primary, not yet on the standby
    await t.tail.tick();
    expect(t.delivered).toEqual([1, 2, 3]);
    await t.tail.tick();
    expect(t.delivered).toEqual([1, 2, 3]);
    fake.state.acked = 5;
    await t.tail.tick();
    await t.tail.tick();
    expect(t.delivered).toEqual([1, 2, 3, 4, 5]);
    expect(t.tail.delivered).toBe(5);
  });

  it('ticks on its own every interval of the simulated clock', async () => {
    const fake = fakeStore();
    const t = tailOn(fake);
    t.tail.start();
    fake.write(orderUpdated('R1', 3));
    fake.state.acked = 1;
    t.clock.advance(249);
    await Promise.resolve();
    expect(t.delivered).toEqual([]);
    t.clock.advance(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.delivered).toEqual([1]);
    t.tail.stop();
  });

  it('names the actors the events touched: tables from the payloads, orders by their stored home', async () => {
    const fake = fakeStore();
    fake.state.homes.set('R-table', 't:3');
    fake.state.homes.set('R-own', 'o:R-own');
    const t = tailOn(fake);
    fake.write(orderUpdated('R-table', 3));
    fake.write({ type: 'LEASE_RELEASED', posReference: 'R-own', version: 2, releasedBy: 'ann', reason: 'released' });
    fake.write({ type: 'TABLE_LOCKED', tableId: 9, lockedBy: 'bob' });
    fake.state.acked = 3;
    await t.tail.tick();
    expect(t.refreshes).toHaveLength(1);
    expect(new Set(t.refreshes[0]?.keys)).toEqual(new Set(['t:3', 'o:R-own', 't:9']));
    expect(new Set(t.refreshes[0]?.posReferences)).toEqual(new Set(['R-table', 'R-own']));
  });

  it('a store that is away moves nothing and is logged once; the next tick after it returns delivers all', async () => {
    const fake = fakeStore();
    const t = tailOn(fake);
    fake.write(orderUpdated('R1', 3));
    fake.state.acked = 1;
    fake.state.refreshFails = 3;
    for (let i = 0; i < 3; i++) await t.tail.tick();
    expect(t.delivered).toEqual([]);
    expect(t.warnings.filter((w) => w.includes('cannot read'))).toHaveLength(1);
    await t.tail.tick();
    expect(t.delivered).toEqual([1]);
  });

  it('fallen behind the log floor: delivers nothing of the gap and drops every actor (terminals resync on the jump)', async () => {
    const fake = fakeStore();
    const t = tailOn(fake);
    for (let i = 0; i < 4; i++) fake.write(orderUpdated(`R${i}`, 3));
    fake.state.acked = 4;
    fake.state.floor = 2;
    await t.tail.tick();
    expect(t.delivered).toEqual([]);
    expect(t.refreshes).toEqual([{ keys: [], posReferences: [], all: true }]);
    expect(t.tail.counters.skippedRanges).toBe(1);
    fake.write(orderUpdated('R5', 3));
    fake.state.acked = 5;
    await t.tail.tick();
    expect(t.delivered).toEqual([5]);
  });

  it('reads nothing while leading; after a demotion it goes on from the last seq its own commits delivered', async () => {
    const fake = fakeStore();
    const t = tailOn(fake);
    t.role.following = false;
    fake.write(orderUpdated('R1', 3));
    fake.state.mark = 1; // committed (and delivered) by this hub as leader
    await t.tail.tick();
    expect(t.delivered).toEqual([]);
    t.role.following = true;
    fake.write(orderUpdated('R2', 3));
    fake.state.acked = 2;
    await t.tail.tick();
    expect(t.delivered).toEqual([2]);
  });

  it('a promotion catches up from the mark: the rest delivered, touched keys named, every grant holder re-read', async () => {
    const fake = fakeStore();
    fake.state.homes.set('R2', 't:4');
    const t = tailOn(fake);
    fake.write(orderUpdated('R1', 3));
    fake.state.acked = 1;
    await t.tail.tick();
    fake.write(orderUpdated('R2', 4));
    fake.state.grants = ['t:3', 'o:R9'];
    // The takeover's synchronous commit moved the mark over everything committed before it.
    fake.state.mark = 2;
    t.role.following = false;
    const catchUp = await t.tail.catchUp();
    expect(t.delivered).toEqual([1, 2]);
    expect(catchUp).toMatchObject({ events: 1, keys: expect.arrayContaining(['t:4']), posReferences: ['R2'] });
    expect(catchUp?.seeds.map((s) => s.key)).toEqual(['t:3', 'o:R9']);
    expect(fake.state.seedReads).toEqual(['t:3', 'o:R9']);
    expect(t.tail.counters).toMatchObject({ catchUps: 1, fullReloads: 0 });
  });

  it('a promotion whose tail fell behind the log floor falls back to the full reload, and says why', async () => {
    const fake = fakeStore();
    const t = tailOn(fake);
    for (let i = 0; i < 3; i++) fake.write(orderUpdated(`R${i}`, 3));
    fake.state.mark = 3;
    fake.state.floor = 2; // pruned past the tail's mark (0) before it read them
    const catchUp = await t.tail.catchUp();
    expect(catchUp).toBeNull();
    expect(t.delivered).toEqual([]);
    expect(t.tail.counters).toMatchObject({ catchUps: 0, fullReloads: 1 });
    expect(t.warnings).toContain('promotion reloads every actor from the store');
  });
});
