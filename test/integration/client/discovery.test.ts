/**
 * Hub discovery end to end: a blank nu_hub_url finds the hub over mDNS (`_pos-hub._tcp`, pinned to
 * loopback as in ops-mdns.test.ts), and a primary URL that does not answer falls back to
 * nu_hub_fallback_ip — both ending with an online SDK session on a real hub.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startMdns, type MdnsLog } from '../../../src/adapters/mdns/advertiser.js';
import { browseHub, browseHubs } from '../../../src/adapters/mdns-browse/browse-hub.js';
import { createTransport } from '../../../src/client/create-transport.js';
import type { HubTransport } from '../../../src/client/hub-transport.js';
import { memoryOutboxStore } from '../../../src/client/outbox-store.js';
import { NodeWebSocket } from '../../fixtures/client-orders.js';
import { startHub } from '../../helpers/start-hub.js';
import { changesOf, until } from '../../helpers/wait.js';

const LOOPBACK = { interface: '127.0.0.1', bind: '0.0.0.0', ttl: 1 } as const;
const quiet: MdnsLog = { info: () => undefined, warn: () => undefined };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A port nothing listens on: bind, note, close. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('hub discovery', () => {
  it('blank nu_hub_url: mDNS finds the advertised hub and the SDK connects to it', async () => {
    const hub = await startHub();
    cleanups.push(() => hub.close());
    const advert = startMdns({ port: hub.port, name: `POS Hub sdk ${process.pid}`, type: 'pos-hub', log: quiet, socket: LOOPBACK });
    cleanups.push(() => advert.stop());
    const found: string[] = [];
    const t = createTransport(
      { nu_hub_enabled: true, nu_hub_url: '', nu_hub_fallback_ip: false, deviceId: 'mdns-kiosk' },
      {
        WebSocket: NodeWebSocket,
        outboxStore: memoryOutboxStore(),
        pageOrigin: null,
        discoverHub: async () => {
          const url = await browseHub({ socket: LOOPBACK, timeoutMs: 8_000 });
          if (url) found.push(url);
          // The advert carries this host's interface address; the hub under test listens on loopback only.
          return url === null ? null : url.replace(/^ws:\/\/[^:]+:/, 'ws://127.0.0.1:');
        },
      },
    ) as HubTransport;
    cleanups.push(() => t.disconnect());
    await t.connect();
    await until(() => t.state === 'online', 'the SDK to come online through mDNS', changesOf(t));
    expect(found[0]).toMatch(new RegExp(`^ws://.+:${hub.port}$`));
  });

  it('browseHubs reads role= and epoch= from TXT; the SDK keeps them in its hub book as hints (the highest epoch is only what a signed-in hub says)', async () => {
    const hub = await startHub();
    cleanups.push(() => hub.close());
    const type = `pos-hub-roles-${process.pid}`;
    const advert = startMdns({ port: hub.port, name: `POS Hub roles ${process.pid}`, type, log: quiet, socket: LOOPBACK, txt: { path: '/', role: 'leader', epoch: '3', id: 'hub-east' } });
    cleanups.push(() => advert.stop());
    const adverts: Array<{ id?: string; role?: string; epoch?: number }> = [];
    const t = createTransport(
      { nu_hub_enabled: true, nu_hub_url: '', nu_hub_fallback_ip: false, deviceId: 'mdns-roles' },
      {
        WebSocket: NodeWebSocket,
        outboxStore: memoryOutboxStore(),
        pageOrigin: null,
        discoverHub: async () => {
          const found = await browseHubs({ socket: LOOPBACK, timeoutMs: 8_000, type });
          adverts.push(...found);
          return found.map((a) => ({ ...a, url: a.url.replace(/^ws:\/\/[^:]+:/, 'ws://127.0.0.1:') }));
        },
      },
    ) as HubTransport;
    cleanups.push(() => t.disconnect());
    await t.connect();
    await until(() => t.state === 'online', 'the SDK to come online through mDNS', changesOf(t));
    // The advert's TXT is read: role, epoch and id as the advert claims them.
    expect(adverts).toEqual([expect.objectContaining({ id: 'hub-east', role: 'leader', epoch: 3 })]);
    // The hub then names itself in AUTH_OK (a SQLite hub: standalone, epoch 0), and what a signed-in hub says
    // about itself replaces the hint; the advert's epoch 3 never became the highest epoch.
    expect(t.hubStatus.knownHubs).toEqual([expect.objectContaining({ url: `ws://127.0.0.1:${hub.port}`, role: 'standalone', epoch: 0 })]);
    expect(t.hubStatus.highestEpoch).toBe(0);
  });

  it('browseHub answers null when nothing is advertised', async () => {
    expect(await browseHub({ socket: LOOPBACK, timeoutMs: 300, type: `pos-hub-none-${process.pid}` })).toBeNull();
  });

  it('a primary URL that does not answer falls back to nu_hub_fallback_ip', async () => {
    const hub = await startHub();
    cleanups.push(() => hub.close());
    const dead = await deadPort();
    const t = createTransport(
      { nu_hub_enabled: true, nu_hub_url: `ws://127.0.0.1:${dead}`, nu_hub_fallback_ip: `127.0.0.1:${hub.port}`, deviceId: 'fallback-kiosk', reconnectBackoff: { baseMs: 50, factor: 2, maxMs: 200 } },
      { WebSocket: NodeWebSocket, outboxStore: memoryOutboxStore(), pageOrigin: null },
    ) as HubTransport;
    cleanups.push(() => t.disconnect());
    const states: string[] = [];
    t.onStateChange((s) => states.push(s));
    await t.connect();
    await until(() => t.state === 'online', 'the SDK to reach the fallback', changesOf(t));
    expect(states).toEqual(['reconnecting', 'online']);
  });
});
