/**
 * A hub whose role follows the cluster (issue 18, docs/ha.md "Who leads"), in the test process with real
 * workers and a real SQLite file, and a cluster watch the test drives: as follower it signs terminals in
 * and syncs them but answers writes NOT_LEADER naming the leader; when its own node becomes the primary it
 * takes over (a new epoch in the store), reloads, says so at once in HUB_STATUS and takes the resent write;
 * when another hub takes over behind its back, its next commit is fenced — refused NOT_LEADER, nothing
 * stored — and it follows at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import type { ClusterRead, ClusterView, ClusterWatch } from '../../../src/ports/cluster.js';
import { startHubInProcess, type InProcessHub } from '../../helpers/hub-in-process.js';
import { TestTerminal, type Msg } from '../../helpers/terminal.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A cluster watch whose reads the test makes: each `read` is one probe of the cluster. */
function drivenWatch(initial: ClusterView) {
  let view = initial;
  const reads: ((r: ClusterRead) => void)[] = [];
  const updates: ((v: ClusterView) => void)[] = [];
  const watch: ClusterWatch = {
    current: () => view,
    onChange: () => undefined,
    onUpdate: (l) => void updates.push(l),
    onRead: (l) => void reads.push(l),
    start: async () => undefined,
    stop: async () => undefined,
  };
  return {
    watch,
    read(r: ClusterRead, next: Partial<ClusterView> = {}) {
      view = { ...view, ...next };
      for (const u of updates) u(view);
      for (const l of reads) l(r);
    },
  };
}

const HUB_B = { url: 'ws://hub-b.local:8766/', epoch: 3 };
const FOLLOWER: ClusterView = { role: 'follower', epoch: 3, leader: HUB_B, replication: null };

async function followerHub(): Promise<{ hub: InProcessHub; cluster: ReturnType<typeof drivenWatch>; dbPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-follower-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'hub.sqlite');
  const cluster = drivenWatch(FOLLOWER);
  const hub = await startHubInProcess({ dbPath, cluster: cluster.watch, hubId: '127.0.0.1:18766' });
  cleanups.push(() => hub.stop());
  return { hub, cluster, dbPath };
}

const tableUpdate = (mutationId: string, status = 'occupied'): Msg => ({ type: 'TABLE_UPDATE', tableId: 7, status, mutationId });

function eventCount(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM events WHERE type = 'TABLE_UPDATED'`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('a hub whose role follows the cluster', () => {
  it('as follower signs in and syncs, answers writes NOT_LEADER; takes over when its node is primary and takes the resent write', async () => {
    const { hub, cluster, dbPath } = await followerHub();
    const terminal = await TestTerminal.open(hub.wsUrl, { deviceId: 'T-1' });
    cleanups.push(() => terminal.close());
    const { authOk, sync } = await terminal.authenticate();
    expect(authOk.hub).toEqual({ id: '127.0.0.1:18766', role: 'follower', epoch: 3 });
    expect(sync.type).toBe('SYNC_INIT');

    terminal.send(tableUpdate('m-1'));
    const refused = await terminal.awaitType('ERROR');
    expect(refused).toMatchObject({ code: 'NOT_LEADER', retryable: true, leader: HUB_B, ref: { type: 'TABLE_UPDATE', mutationId: 'm-1' } });
    expect(eventCount(dbPath)).toBe(0);

    // pg_auto_failover made this hub's node the primary: it takes over, reloads, and says so at once.
    cluster.read({ ownNode: 'primary', latest: { epoch: 3, node: 'hub-b.local:8766' } });
    const status = await terminal.awaitMessage(
      (m) => m.type === 'HUB_STATUS' && (m.hub as { role?: string } | undefined)?.role === 'leader',
      'HUB_STATUS naming this hub the leader',
    );
    const epoch = (status.hub as { epoch: number }).epoch;
    expect(status.hub).toEqual({ id: '127.0.0.1:18766', role: 'leader', epoch });
    const store = SqliteStorePort.open({ path: dbPath, sync: 'normal' });
    cleanups.push(() => store.close());
    expect(await store.currentEpoch()).toBe(epoch);
    expect(hub.hub.cluster.current()).toMatchObject({ role: 'leader', leader: { url: 'ws://127.0.0.1:18766/', epoch } });

    terminal.send(tableUpdate('m-1'));
    const applied = await terminal.awaitType('TABLE_UPDATED');
    expect(applied).toMatchObject({ tableId: 7, status: 'occupied' });
    expect(eventCount(dbPath)).toBe(1);
  }, 60_000);

  it('when another hub takes over behind its back: the next commit is fenced, nothing stored, and it follows at once', async () => {
    const { hub, cluster, dbPath } = await followerHub();
    const terminal = await TestTerminal.connect(hub.wsUrl, { deviceId: 'T-2' });
    cleanups.push(() => terminal.close());
    cluster.read({ ownNode: 'primary', latest: { epoch: 3, node: 'hub-b.local:8766' } });
    await terminal.awaitMessage((m) => m.type === 'HUB_STATUS' && (m.hub as { role?: string }).role === 'leader', 'leader');
    terminal.send(tableUpdate('m-1'));
    const first = await terminal.awaitType('TABLE_UPDATED');

    // Hub B takes over on the same store; this hub's watch has not read it yet.
    const other = SqliteStorePort.open({ path: dbPath, sync: 'normal' });
    cleanups.push(() => other.close());
    const newer = await other.takeOver('hub-b.local:8766', Date.now());

    terminal.send(tableUpdate('m-2', 'available'));
    const fenced = await terminal.awaitType('ERROR');
    expect(fenced).toMatchObject({ code: 'NOT_LEADER', retryable: true, ref: { type: 'TABLE_UPDATE', mutationId: 'm-2' } });
    const status = await terminal.awaitMessage(
      (m) => m.type === 'HUB_STATUS' && (m.hub as { role?: string }).role === 'follower',
      'HUB_STATUS: follower again',
    );
    expect(status.hub).toMatchObject({ id: '127.0.0.1:18766', role: 'follower' });
    expect(hub.hub.cluster.current().role).toBe('follower');
    // Nothing of the fenced write was stored; the seq did not move.
    expect(eventCount(dbPath)).toBe(1);
    const seqAfter = (await other.readEvents(0, 10))?.map((e) => e.seq);
    expect(seqAfter).toEqual([first.seq]);

    // The next read shows B's takeover: the gate names B, and the write goes nowhere near the writer.
    cluster.read({ ownNode: 'standby', latest: { epoch: newer, node: 'hub-b.local:8766' } }, { epoch: newer, leader: { url: HUB_B.url, epoch: newer } });
    terminal.send(tableUpdate('m-2', 'available'));
    const gated = await terminal.awaitMessage((m) => m.type === 'ERROR' && m !== fenced, 'the gate NOT_LEADER');
    expect(gated).toMatchObject({ code: 'NOT_LEADER', leader: { url: HUB_B.url, epoch: newer } });
    expect(eventCount(dbPath)).toBe(1);
  }, 60_000);
});
