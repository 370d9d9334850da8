/**
 * Issue 13, item 4: a page from a foreign origin cannot open the terminal or dashboard sockets or call
 * /api/*, clients that send no Origin (native terminals) still connect, HUB_ALLOWED_ORIGINS widens the
 * list, and a Host the hub does not answer to (DNS rebinding) gets 421 before any route runs.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';

const ADMIN = 'origin-admin-token';
const PARTNER = 'https://pos.partner.example';
let hub: StartedHub;

beforeAll(async () => {
  hub = await startHub({ env: { HUB_ADMIN_TOKEN: ADMIN, HUB_ALLOWED_ORIGINS: PARTNER, HUB_ALLOWED_HOSTS: 'hub.venue.lan' } });
});
afterAll(async () => {
  await hub.close();
});

/** Whether a WebSocket upgrade with these headers is accepted. */
function upgrade(path: string, headers: Record<string, string>): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${hub.wsUrl}${path}`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(true);
    });
    ws.once('unexpected-response', () => resolve(false));
    ws.once('error', () => resolve(false));
  });
}

/** A raw GET with any Host (fetch may not set it). */
function get(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: hub.port, path, headers, setHost: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Origin', () => {
  it('lets native terminals (no Origin), the hub\'s own origin and HUB_ALLOWED_ORIGINS open the terminal socket', async () => {
    expect(await upgrade('/', {})).toBe(true);
    expect(await upgrade('/', { origin: `http://127.0.0.1:${hub.port}` })).toBe(true);
    expect(await upgrade('/', { origin: PARTNER })).toBe(true);
  });

  it('refuses a foreign origin on the terminal and dashboard sockets', async () => {
    expect(await upgrade('/', { origin: 'http://evil.example' })).toBe(false);
    expect(await upgrade('/', { origin: `http://127.0.0.1:${hub.port + 1}` })).toBe(false);
    expect(await upgrade('/dashboard', { origin: 'http://evil.example' })).toBe(false);
    expect(await upgrade('/', { origin: 'null' })).toBe(false);
  });

  it('refuses /api/* from a foreign origin even with the admin token', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    expect((await fetch(`${hub.url}/api/state`, { headers: auth })).status).toBe(200);
    const foreign = await fetch(`${hub.url}/api/state`, { headers: { ...auth, origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const reset = await fetch(`${hub.url}/api/reset`, { method: 'POST', headers: { ...auth, origin: 'http://evil.example' } });
    expect(reset.status).toBe(403);
  });
});

describe('Host', () => {
  it('answers its own names and HUB_ALLOWED_HOSTS', async () => {
    for (const host of [`127.0.0.1:${hub.port}`, `localhost:${hub.port}`, 'hub.venue.lan', `[::1]:${hub.port}`]) expect(await get('/health', { host })).toBe(200);
  });

  it('refuses a rebinding Host with 421 on pages, /api/* and sockets', async () => {
    expect(await get('/health', { host: 'evil.example' })).toBe(421);
    expect(await get('/', { host: `evil.example:${hub.port}` })).toBe(421);
    expect(await get('/api/state', { host: 'evil.example', authorization: `Bearer ${ADMIN}` })).toBe(421);
    expect(await upgrade('/', { host: 'evil.example' })).toBe(false);
  });
});
