/**
 * Lease and lock expiry under a wall-clock jump (issue 14 item 7): a simulated clock whose wall and
 * monotonic readings move separately drives a real ShardHost. A jump of ±1 h neither expires every
 * grant nor keeps a dead one alive; the `expiresAt` on the wire and in SQLite follows the wall clock;
 * grants restored from SQLite after a jump keep what was left of their TTL. Ticket numbers take the
 * business day the wall clock shows and never repeat within one when it jumps across midnight.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { passThroughValidator, type TableEnv } from '../../../actors/table/context.js';
import type { Principal, Unit } from '../../../actors/table/types.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { businessDay } from '../../../src/domain/business-day.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import { emptySeed, type ShardSeed } from '../../../src/threads/seed.js';
import { lateEveningClock, TestClock, writerClock } from '../../helpers/clocks.js';
import { ShardHost } from '../../../workers/shard/shard-host.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

const HOUR = 3_600_000;
const env: TableEnv = {
  timings: { leaseTtlMs: 60_000, leaseGraceMs: 10_000, lockTtlMs: 45_000, lockGraceMs: 10_000 },
  sendChangesToKitchen: true,
  validate: passThroughValidator,
};
const ann: Principal = { terminalId: 'ann', role: 'cashier', name: 'Ann' };
const EMPTY: ShardSeed = [];

function shard(clock: TestClock, seed: ShardSeed = EMPTY) {
  const units: Unit[] = [];
  const host = new ShardHost({
    index: 0,
    env,
    clock,
    metrics: noopMetrics,
    log: createLogger({ level: 'silent' }),
    sink: (u) => units.push(...u),
  });
  host.load(seed);
  const types = (): string[] => units.flatMap((u) => u.out.map((o) => o.msg.type));
  const last = (type: string): Record<string, unknown> | undefined =>
    units
      .flatMap((u) => u.out.map((o) => o.msg as unknown as Record<string, unknown>))
      .filter((m) => m.type === type)
      .at(-1);
  const ops = (op: string): Array<Record<string, unknown>> =>
    units.flatMap((u) => u.ops.filter((o) => o.op === op) as unknown as Array<Record<string, unknown>>);
  return { host, units, types, last, ops };
}

describe('lease and lock expiry under a wall-clock jump', () => {
  it('a jump forward by 1 h expires nothing; the grants lapse after their real TTL', () => {
    const clock = lateEveningClock();
    const s = shard(clock);
    s.host.handleBatch([
      {
        type: 'terminal',
        input: {
          key: 't:1',
          from: ann,
          msg: { type: 'LEASE_ACQUIRE', posReference: 'A', baseVersion: 0 },
          receivedAt: 0,
        },
      },
      { type: 'terminal', input: { key: 't:1', from: ann, msg: { type: 'TABLE_LOCK_ACQUIRE', tableId: 1 }, receivedAt: 0 } },
    ]);
    const grantedAt = clock.now();
    expect(s.last('LEASE_GRANTED')).toMatchObject({ expiresAt: grantedAt + 60_000 });
    clock.jumpWall(HOUR);
    clock.advance(1_000);
    // A message after the jump makes the actor look at its grants: still live, still Ann's.
    s.host.handleBatch([
      { type: 'terminal', input: { key: 't:1', from: ann, msg: { type: 'LEASE_HEARTBEAT', posReference: 'A' }, receivedAt: 0 } },
    ]);
    expect(s.types()).not.toContain('LEASE_REVOKED');
    expect(s.types()).not.toContain('TABLE_LOCK_REVOKED');
    // The renewed expiry stored for restarts, the dashboard and SYNC_INIT is on the (jumped) wall clock.
    expect(s.ops('lease_put').at(-1)).toMatchObject({ expiresAt: clock.now() + 60_000 });
    // The lock was not renewed: it lapses 45 s after its grant, in real (monotonic) time.
    clock.advance(43_000);
    expect(s.types()).not.toContain('TABLE_LOCK_REVOKED');
    clock.advance(2_000);
    expect(s.types()).toContain('TABLE_LOCK_REVOKED');
    expect(s.types()).not.toContain('LEASE_REVOKED');
    clock.advance(60_000);
    expect(s.types()).toContain('LEASE_REVOKED');
    s.host.stop();
  });

  it('a jump back by 1 h keeps no dead grant alive', () => {
    const clock = lateEveningClock();
    const s = shard(clock);
    s.host.handleBatch([
      { type: 'terminal', input: { key: 't:1', from: ann, msg: { type: 'TABLE_LOCK_ACQUIRE', tableId: 1 }, receivedAt: 0 } },
    ]);
    expect(s.last('TABLE_LOCK_GRANTED')).toMatchObject({ expiresAt: clock.now() + 45_000 });
    expect(s.last('TABLE_LOCKED')).toMatchObject({ expiresAt: clock.now() + 45_000 });
    clock.jumpWall(-HOUR);
    clock.advance(44_000);
    expect(s.types()).not.toContain('TABLE_LOCK_REVOKED');
    clock.advance(1_001);
    expect(s.types()).toEqual(expect.arrayContaining(['TABLE_LOCK_REVOKED', 'TABLE_LOCK_RELEASED']));
    // A heartbeat after expiry is refused: the lock is gone although the wall clock says an hour earlier.
    s.host.handleBatch([
      { type: 'terminal', input: { key: 't:1', from: ann, msg: { type: 'TABLE_LOCK_HEARTBEAT', tableId: 1 }, receivedAt: 0 } },
    ]);
    expect(s.last('ERROR')).toMatchObject({ code: 'LOCK_NOT_HELD' });
    s.host.stop();
  });

  it('grants restored from SQLite keep what was left of their TTL on the wall clock they were stored with', () => {
    const clock = lateEveningClock();
    clock.jumpWall(HOUR);
    const stored = clock.now() + 20_000;
    const s = shard(clock, [
      {
        ...emptySeed('t:1'),
        leases: [
          {
          posReference: 'A',
          terminalId: 'ann',
          role: 'cashier',
          tableId: 1,
          expiresAt: stored,
          epoch: 1,
          },
        ],
      },
    ]);
    clock.advance(19_000);
    expect(s.types()).not.toContain('LEASE_REVOKED');
    clock.advance(1_001);
    expect(s.types()).toContain('LEASE_REVOKED');
    s.host.stop();
  });
});

describe('ticket numbers under a wall-clock jump across midnight', () => {
  it('take the local date the wall clock shows, and never repeat a number within a business day', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pos-hub-ticket-'));
    try {
      const store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
      const delivered: Array<{ ticketNumber: number; businessDay: string }> = [];
      const core = new WriterCore({
        store: new SqliteStorePort(store),
        config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' }),
        clock: writerClock(new TestClock({ start: 0 })),
        log: createLogger({ level: 'silent' }),
        metrics: noopMetrics,
        toFront: (m) => {
          if (m.type === 'deliver')
            for (const d of m.input.deliveries)
              for (const o of d.out) delivered.push(o.msg as unknown as { ticketNumber: number; businessDay: string });
        },
      });
      const ticketAt = (wallMs: number): void => {
        core.enqueue([
          {
            ops: [{ op: 'ticket', terminalId: 'ann', orderType: 'takeout', businessDay: businessDay(wallMs) }],
            out: [],
          },
        ]);
        core.commit();
      };
      const local = (day: number, hour: number, minute: number): number =>
        new Date(2026, 11, day, hour, minute).getTime();
      ticketAt(local(1, 23, 50));
      ticketAt(local(1, 23, 55));
      ticketAt(local(2, 0, 10)); // past midnight: day 2 starts at 1
      ticketAt(local(2, 0, 10) - HOUR); // the wall clock steps back an hour: day 1 again, and its counter goes on
      ticketAt(local(2, 0, 12)); // corrected: day 2 goes on from where it was
      ticketAt(local(2, 0, 12) + HOUR); // a step forward within the day changes nothing
      expect(delivered.map((t) => `${t.businessDay}#${t.ticketNumber}`)).toEqual([
        '2026-12-01#1',
        '2026-12-01#2',
        '2026-12-02#1',
        '2026-12-01#3',
        '2026-12-02#2',
        '2026-12-02#3',
      ]);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
