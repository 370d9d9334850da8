/**
 * The hub shows its cluster view (issue 18): a SQLite hub is `standalone`, epoch 0, in /health and in
 * AUTH_OK's `hub`; a Postgres hub reading a real PostgreSQL names the leader of the latest takeover, is
 * `follower` without being unhealthy, and when a takeover makes it the leader, its terminals hear it in a
 * HUB_STATUS at once (not at the next status tick) and /health says so; a real hub process started with
 * HUB_STORE=postgres reads its view from HUB_PG_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgClusterWatch } from '../../../src/adapters/postgres/cluster-view.js';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import { systemClock } from '../../../src/ports/clock.js';
import { startHubInProcess } from '../../helpers/hub-in-process.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';
import { spawnHub } from '../../helpers/spawn-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';

let server: PgServer | null = null;
beforeAll(async () => {
  server = await startPgServer();
}, 90_000);
afterAll(async () => {
  await server?.close();
}, 30_000);

async function health(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/health`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('cluster view on the hub', () => {
  it('a SQLite hub is standalone at epoch 0 in /health and AUTH_OK', async () => {
    const hub = await startHubInProcess({ hubId: 'pi-bar.local:8766' });
    try {
      const body = await health(hub.url);
      expect(body.status).toBe('ok');
      expect(body.cluster).toEqual({ role: 'standalone', epoch: 0, leader: null, replication: null });
      const terminal = await TestTerminal.open(hub.wsUrl, { deviceId: 'T-standalone' });
      const { authOk } = await terminal.authenticate();
      expect(authOk.hub).toEqual({ id: 'pi-bar.local:8766', role: 'standalone', epoch: 0 });
      await terminal.close();
    } finally {
      await hub.stop();
    }
  }, 60_000);

  it('a Postgres hub follows the takeovers: follower (not down) naming the leader, then leader, announced at once', async () => {
    if (server === null) throw new Error('no server');
    const store = await PgStore.open({ url: server.url });
    const hubId = '127.0.0.1:18766';
    // A long poll interval for HUB_STATUS (60 s) and a short one for the view: the change must come from the view.
    const cluster = pgClusterWatch({ url: server.url, hubId, clock: systemClock, intervalMs: 100 });
    const hub = await startHubInProcess({ hubId, cluster, env: { HUB_STATUS_INTERVAL_MS: '60000' } });
    try {
      const first = await store.takeOver('hub-b.local:8766', Date.now());
      await cluster.stop();
      await cluster.start();
      const before = await health(hub.url);
      expect(before.status).toBe('ok');
      expect(before.cluster).toMatchObject({
        role: 'follower',
        epoch: first,
        leader: { url: 'ws://hub-b.local:8766/', epoch: first },
        replication: { standbys: 0, lagBytes: null, syncState: null },
      });
      const terminal = await TestTerminal.open(hub.wsUrl, { deviceId: 'T-follower' });
      const { authOk } = await terminal.authenticate();
      expect(authOk.hub).toEqual({ id: hubId, role: 'follower', epoch: first });

      const second = await store.takeOver(hubId, Date.now());
      const status = await terminal.awaitMessage(
        (m) => m.type === 'HUB_STATUS' && (m.hub as { role?: string } | undefined)?.role === 'leader',
        'HUB_STATUS naming this hub the leader',
      );
      expect(status.hub).toEqual({ id: hubId, role: 'leader', epoch: second });
      expect((await health(hub.url)).cluster).toMatchObject({
        role: 'leader',
        epoch: second,
        leader: { url: `ws://${hubId}/` },
      });
      await terminal.close();
    } finally {
      await hub.stop();
      await store.close();
    }
  }, 90_000);

  it('main.ts reads the view from HUB_PG_URL when HUB_STORE=postgres (a real hub process)', async () => {
    if (server === null) throw new Error('no server');
    const hub = await spawnHub({ env: { HUB_STORE: 'postgres', HUB_PG_URL: server.url, HUB_HTTP_PORT: '0' } });
    try {
      const port = hub.listening?.port;
      if (port === undefined) throw new Error(`no listening line: ${hub.output()}`);
      const body = await health(`http://127.0.0.1:${port}`);
      expect(body.status).toBe('ok');
      // The earlier test's takeovers are in this database: this hub is not their node, so it follows.
      expect(body.cluster).toMatchObject({ role: 'follower', replication: { standbys: 0 } });
      expect((body.cluster as { epoch: number }).epoch).toBeGreaterThan(0);
    } finally {
      await hub.kill();
    }
  }, 60_000);
});
