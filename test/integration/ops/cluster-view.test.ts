/**
 * The Postgres cluster view (src/adapters/postgres/cluster-view.ts) against a real PostgreSQL 15: before the
 * hub's schema exists it reads epoch 0 and no leader; after a takeover it names the hub that took it (leader
 * for that hub, follower for another) with the leader's socket URL; a new takeover is seen on the next
 * scheduled read and announced once; a data node that does not answer is reported, not thrown.
 * The standby side (pg_stat_replication, sync state, replay lag) is covered by test/integration/ops/doctor-cluster.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import {
  pgClusterWatch,
  probeCluster,
  readFromProbes,
  viewFromProbes,
} from '../../../src/adapters/postgres/cluster-view.js';
import { parsePgUrl } from '../../../src/adapters/postgres/connection.js';
import type { ClusterView } from '../../../src/ports/cluster.js';
import type { TimerHandle } from '../../../src/ports/clock.js';
import { TestClock } from '../../helpers/clocks.js';
import { freePort, setPgSetting, startPgServer, type PgServer } from '../../helpers/pg-server.js';

let server: PgServer | null = null;
beforeAll(async () => {
  server = await startPgServer();
}, 90_000);
afterAll(async () => {
  await server?.close();
}, 30_000);

const TIMEOUTS = { connectTimeoutMs: 2000, queryTimeoutMs: 5000 };

/** A TestClock that says when a timer is set: the watch sets its next one once a read has finished. */
class SignallingClock extends TestClock {
  private waiters: (() => void)[] = [];
  override setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = super.setTimeout(callback, ms);
    for (const wake of this.waiters.splice(0)) wake();
    return handle;
  }
  /** Resolves once a timer is pending (at once if one is); fails after 10 s. */
  scheduled(): Promise<void> {
    if (this.pending() > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const limit = setTimeout(() => reject(new Error('the watch never scheduled its next read')), 10_000);
      this.waiters.push(() => {
        clearTimeout(limit);
        resolve();
      });
    });
  }
}

function pg(): PgServer {
  if (server === null) throw new Error('no server');
  return server;
}

describe('postgres cluster view', () => {
  it('reads a primary with no standby and no takeover yet as follower, epoch 0, no leader', async () => {
    const probes = await probeCluster(parsePgUrl(pg().url), TIMEOUTS);
    expect(probes).toHaveLength(1);
    const probe = probes[0]!;
    if (!probe.ok) throw new Error(probe.error);
    expect(probe.inRecovery).toBe(false);
    expect(probe.synchronousStandbyNames).toBe('');
    expect(probe.takeover).toEqual({ epoch: 0, node: null });
    expect(viewFromProbes(probes, 'hub-a.local:8766', null)).toEqual({
      role: 'follower',
      epoch: 0,
      leader: null,
      replication: { lagBytes: null, syncState: null, standbys: 0 },
    });
  });

  it('reads a primary whose commits wait for a standby that is not attached as unable to commit', async () => {
    const setNames = (value: string): Promise<void> =>
      setPgSetting(pg().url, 'synchronous_standby_names', value, value);
    try {
      // What an old primary cut off from its standby looks like before pg_auto_failover demotes it.
      await setNames('ANY 1 (pgautofailover_standby_2)');
      const probes = await probeCluster(parsePgUrl(pg().url), TIMEOUTS);
      expect(probes[0]).toMatchObject({ ok: true, inRecovery: false, canCommit: false });
      expect(readFromProbes(probes, `127.0.0.1:${pg().port}`).ownNode).toBe('primary_cannot_commit');
    } finally {
      await setNames('');
    }
    const probes = await probeCluster(parsePgUrl(pg().url), TIMEOUTS);
    expect(probes[0]).toMatchObject({ ok: true, inRecovery: false, canCommit: true });
    expect(readFromProbes(probes, `127.0.0.1:${pg().port}`).ownNode).toBe('primary');
  });

  it('names the hub of the latest takeover as leader, re-reads on its schedule and announces a change once', async () => {
    const store = await PgStore.open({ url: pg().url });
    const clock = new SignallingClock();
    const watch = pgClusterWatch({
      url: pg().url,
      hubId: 'hub-a.local:8766',
      clock,
      intervalMs: 2000,
      timeouts: TIMEOUTS,
    });
    const other = pgClusterWatch({
      url: pg().url,
      hubId: 'hub-b.local:8766',
      clock: new TestClock(),
      intervalMs: 2000,
      timeouts: TIMEOUTS,
    });
    try {
      const first = await store.takeOver('hub-a.local:8766', clock.now());
      await watch.start();
      await other.start();
      expect(watch.current()).toMatchObject({
        role: 'leader',
        epoch: first,
        leader: { url: 'ws://hub-a.local:8766/', epoch: first },
      });
      expect(other.current()).toMatchObject({
        role: 'follower',
        epoch: first,
        leader: { url: 'ws://hub-a.local:8766/' },
      });

      const seen: ClusterView[] = [];
      const changed = new Promise<ClusterView>((resolve) =>
        watch.onChange((view) => {
          seen.push(view);
          resolve(view);
        }),
      );
      const updates: ClusterView[] = [];
      watch.onUpdate((view) => updates.push(view));
      const second = await store.takeOver('hub-b.local:8766', clock.now());
      expect(second).toBeGreaterThan(first);
      // Nothing is read until the schedule says so.
      expect(watch.current().epoch).toBe(first);
      clock.advance(2000);
      const view = await changed;
      expect(view).toMatchObject({
        role: 'follower',
        epoch: second,
        leader: { url: 'ws://hub-b.local:8766/', epoch: second },
      });
      // The next read finds nothing new: no second announcement. (A read is done when its successor is scheduled.)
      await clock.scheduled();
      clock.advance(2000);
      await clock.scheduled();
      await watch.stop();
      expect(seen).toHaveLength(1);
      // Nothing else differed on the second read either: one refresh for the dashboard.
      expect(updates).toEqual(seen);
    } finally {
      await watch.stop();
      await other.stop();
      await store.close();
    }
  }, 60_000);

  it('reports a data node that does not answer and keeps the epoch it knew', async () => {
    const dead = await freePort();
    const url = `postgres://postgres@127.0.0.1:${dead},127.0.0.1:${pg().port}/postgres`;
    const probes = await probeCluster(parsePgUrl(url), TIMEOUTS);
    expect(probes[0]).toMatchObject({ ok: false, port: dead });
    expect(probes[1]).toMatchObject({ ok: true, inRecovery: false });
    const floor: ClusterView = {
      role: 'leader',
      epoch: 99,
      leader: { url: 'ws://x:1/', epoch: 99 },
      replication: null,
    };
    expect(viewFromProbes(probes, 'x:1', floor)).toMatchObject({ role: 'leader', epoch: 99 });
    const none = await probeCluster(parsePgUrl(`postgres://postgres@127.0.0.1:${dead}/postgres`), TIMEOUTS);
    expect(viewFromProbes(none, 'x:1', null)).toEqual({ role: 'follower', epoch: 0, leader: null, replication: null });
  }, 30_000);
});
