/**
 * The hub shows its cluster view (issue 18): a SQLite hub is `standalone`, epoch 0, in /health and in
 * AUTH_OK's `hub`; a Postgres hub whose own node is the primary takes over before it listens (leader in
 * /health and AUTH_OK), and when another hub takes over its terminals hear it in a HUB_STATUS at once (not
 * at the next status tick) — follower, then leader again with a newer epoch; a real hub process started
 * with HUB_STORE=postgres reads its view from HUB_PG_URL.
 */
import pg from 'pg';
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

/** A fresh database on the test server (the hub's store and its cluster view share it). */
async function database(name: string): Promise<string> {
  if (server === null) throw new Error('no server');
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return `postgres://postgres@127.0.0.1:${server.port}/${name}?target_session_attrs=read-write`;
}

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

  it('a Postgres hub on the primary takes over before it listens, and follows at once when another hub takes over', async () => {
    if (server === null) throw new Error('no server');
    const url = await database('cluster_health_takeover');
    const store = await PgStore.open({ url });
    const hubId = '127.0.0.1:18766';
    // A long poll interval for HUB_STATUS (60 s) and a short one for the view: changes must come from the view.
    const cluster = pgClusterWatch({ url, hubId, clock: systemClock, intervalMs: 100 });
    const hub = await startHubInProcess({
      hubId,
      cluster,
      env: { HUB_STATUS_INTERVAL_MS: '60000', HUB_STORE: 'postgres', HUB_PG_URL: url },
    });
    try {
      // Its own node (the URL's only host) is the writable primary: it took over as it started listening.
      const first = await store.currentEpoch();
      expect(first).toBeGreaterThan(0);
      const before = await health(hub.url);
      expect(before.status).toBe('ok');
      expect(before.cluster).toMatchObject({
        role: 'leader',
        epoch: first,
        leader: { url: `ws://${hubId}/`, epoch: first },
        replication: { standbys: 0, lagBytes: null, syncState: null },
      });
      const terminal = await TestTerminal.open(hub.wsUrl, { deviceId: 'T-leader' });
      const { authOk } = await terminal.authenticate();
      expect(authOk.hub).toEqual({ id: hubId, role: 'leader', epoch: first });

      // Another hub takes over: this one hears of it (its next read or its next commit) and follows at once,
      // then — its node still the primary — takes over again with a newer epoch.
      const second = await store.takeOver('hub-b.local:8766', Date.now());
      const follower = await terminal.awaitMessage(
        (m) => m.type === 'HUB_STATUS' && (m.hub as { role?: string } | undefined)?.role === 'follower',
        'HUB_STATUS naming this hub a follower',
      );
      expect(follower.hub).toMatchObject({ id: hubId, role: 'follower' });
      const again = await terminal.awaitMessage(
        (m) => m.type === 'HUB_STATUS' && (m.hub as { role?: string } | undefined)?.role === 'leader',
        'HUB_STATUS naming this hub the leader again',
      );
      expect((again.hub as { epoch: number }).epoch).toBeGreaterThan(second);
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
      // Its node is the server's only host, the writable primary: it took over before it printed the
      // listening line, under an id naming the port it listens on (HUB_HTTP_PORT=0 picked it).
      const cluster = body.cluster as { role: string; epoch: number; leader: { url: string; epoch: number } };
      expect(cluster).toMatchObject({ role: 'leader', replication: { standbys: 0 } });
      expect(cluster.epoch).toBeGreaterThan(0);
      expect(cluster.leader).toEqual({ url: expect.stringMatching(new RegExp(`^ws://[^/]+\\.local:${port}/$`)), epoch: cluster.epoch });
    } finally {
      await hub.kill();
    }
  }, 60_000);
});
