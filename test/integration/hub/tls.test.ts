/**
 * wss:// end to end with certificates made by scripts/venue-cert.sh (openssl): the hub serves the same
 * routes over TLS, proves its key only for the hosts on its certificate, and the SDK — Node (the real
 * certificate key) and the browser logic (the identity proof, run here with Node's WebCrypto) — reaches
 * the pinned hub and refuses an impostor, a relaying impostor and plain ws:// before sending any frame.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, get as httpsGet, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTlsIdentity } from '../../../src/adapters/tls/identity.js';
import { pinnedWebSocket } from '../../../src/adapters/tls/pinned-websocket.js';
import { createUwsServer } from '../../../src/adapters/uws/server.js';
import type { WebSocketCtor } from '../../../src/client/deps.js';
import type { HubTransport } from '../../../src/client/hub-transport.js';
import type { HubError } from '../../../src/protocol/errors.js';
import { identityProofMessage } from '../../../src/protocol/hub-identity.js';
import { hubClient } from '../../fixtures/client-orders.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { HUB_START_LIMIT_MS, spawnHub } from '../../helpers/spawn-hub.js';
import { makeVenueCert, type VenueCert } from '../../helpers/venue-cert.js';
import { changesOf, until } from '../../helpers/wait.js';

const NONCE = 'abcdefghijklmnopqrstuvwxyz012345';

let dir: string;
let venue: VenueCert;
let rogue: VenueCert;
let hub: StartedHub;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-tls-'));
  venue = makeVenueCert(join(dir, 'venue'), ['localhost', '127.0.0.1']);
  // Another venue's CA and key: what a guest could make for the address of their own laptop.
  rogue = makeVenueCert(join(dir, 'rogue'), ['127.0.0.2', '127.0.0.1', 'localhost']);
  hub = await startHub({ tlsIdentity: loadTlsIdentity(venue.certFile, venue.keyFile, new Date()) });
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await hub?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** GET over https, trusting `ca` (a tablet with the venue CA installed) or nothing at all (`insecure`). */
function httpsJson(url: string, trust: { ca: string } | 'insecure'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, trust === 'insecure' ? { rejectUnauthorized: false } : { ca: trust.ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }).on('error', reject);
  });
}

const insecureGetJson = async (url: string): Promise<unknown> => {
  const reply = await httpsJson(url, 'insecure');
  if (reply.status !== 200) throw new Error(`HTTP ${reply.status}`);
  return JSON.parse(reply.body) as unknown;
};

/** `ws` with certificate checks off: the browser logic must hold even when TLS alone would not. */
class InsecureWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { rejectUnauthorized: false });
  }
}

interface Rogue {
  readonly wssUrl: string;
  /** Every frame an SDK sent it (an AUTH here would be a stolen token). */
  readonly frames: string[];
  readonly upgrades: number;
}

/** An impostor hub on 127.0.0.2 with its own key; optionally relays identity challenges to the real hub. */
async function startRogue(relay?: { rewriteHost?: string }): Promise<Rogue> {
  const frames: string[] = [];
  let upgrades = 0;
  const server: HttpsServer = createHttpsServer({ cert: readFileSync(rogue.certFile), key: readFileSync(rogue.keyFile) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://rogue');
    if (!relay || url.pathname !== '/api/hub-identity') {
      res.writeHead(404).end();
      return;
    }
    if (relay.rewriteHost) url.searchParams.set('host', relay.rewriteHost);
    httpsJson(`${hub.tlsUrl}${url.pathname}${url.search}`, 'insecure').then(
      (reply) => res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body),
      () => res.writeHead(502).end(),
    );
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    upgrades += 1;
    ws.on('message', (data: Buffer) => frames.push(data.toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    wssUrl: `wss://127.0.0.2:${port}`,
    frames,
    get upgrades() {
      return upgrades;
    },
  };
}

function pinnedClient(url: string, deviceId: string, pin: string, deps: Parameters<typeof hubClient>[2]): { t: HubTransport; errors: HubError[] } {
  const t = hubClient(url, deviceId, deps, { nu_hub_key_pin: `sha256/${pin}` });
  const errors: HubError[] = [];
  t.onError((e) => errors.push(e));
  cleanups.push(() => t.disconnect());
  return { t, errors };
}

/** Starts the transport without awaiting it (a refused hub never connects) and awaits the refusal. */
async function refused({ t, errors }: { t: HubTransport; errors: HubError[] }): Promise<HubError> {
  t.connect().catch(() => undefined);
  await until(() => errors.some((e) => e.code === 'HUB_IDENTITY_MISMATCH'), 'HUB_IDENTITY_MISMATCH on onError', changesOf(t));
  return errors.find((e) => e.code === 'HUB_IDENTITY_MISMATCH')!;
}

describe('the hub over TLS', () => {
  it('serves the same routes over https as over http, with a certificate a tablet with the venue CA trusts', async () => {
    const health = await httpsJson(`${hub.tlsUrl}/health`, { ca: venue.ca });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: expect.any(String) });
    // The certificate the hub presents is the venue's, chained to the venue CA.
    expect(new X509Certificate(readFileSync(venue.certFile)).subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
  });

  it('signs an identity proof for the hosts on its certificate only, with the pinned key', async () => {
    const ok = await httpsJson(`${hub.tlsUrl}/api/hub-identity?nonce=${NONCE}&host=127.0.0.1`, { ca: venue.ca });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('*');
    const proof = JSON.parse(ok.body) as { alg: string; spki: string; signature: string };
    expect(proof.alg).toBe('ES256');
    const verifier = createVerify('sha256').update(identityProofMessage(NONCE, '127.0.0.1'));
    const key = { key: Buffer.from(proof.spki, 'base64'), format: 'der' as const, type: 'spki' as const, dsaEncoding: 'ieee-p1363' as const };
    expect(verifier.verify(key, Buffer.from(proof.signature, 'base64'))).toBe(true);

    for (const bad of [`nonce=${NONCE}&host=127.0.0.2`, `nonce=short&host=127.0.0.1`, `nonce=${NONCE}`, `nonce=${NONCE}&host=evil.example`]) {
      expect((await httpsJson(`${hub.tlsUrl}/api/hub-identity?${bad}`, { ca: venue.ca })).status, bad).toBe(400);
    }
  });

  it('shows the adapter the client\'s real address over TLS (no proxy hop)', async () => {
    let seen = '';
    const server = createUwsServer({
      maxPayload: 64 * 1024,
      maxBackpressure: 64 * 1024,
      ws: {
        '/': {
          upgrade: (info) => {
            seen = info.remoteAddress;
            return { state: null };
          },
          open: (conn) => conn.send('hello', false),
          message: () => undefined,
          close: () => undefined,
        },
      },
      http: [],
      onError: (error) => {
        throw error;
      },
      tls: { certFile: venue.certFile, keyFile: venue.keyFile },
    });
    const port = await server.listenTls('127.0.0.1', 0);
    cleanups.push(() => server.stopListening());
    const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: venue.ca, localAddress: '127.0.0.2' });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(data.toString('utf8')));
      ws.once('error', reject);
    });
    ws.close();
    expect(first).toBe('hello');
    expect(seen).toBe('127.0.0.2');
  });
});

describe('the Node SDK pins the hub key (the certificate itself)', () => {
  it('connects to the pinned hub over wss and syncs', async () => {
    const { t, errors } = pinnedClient(hub.wssUrl!, 'node-pinned', venue.pin, { pinnedWebSocket });
    await t.connect();
    expect(t.state).toBe('online');
    expect(errors.filter((e) => e.code === 'HUB_IDENTITY_MISMATCH')).toEqual([]);
  });

  it('refuses an impostor with another key before sending it anything', async () => {
    const impostor = await startRogue();
    const client = pinnedClient(impostor.wssUrl, 'node-rogue', venue.pin, { pinnedWebSocket });
    const error = await refused(client);
    expect(error.message).toContain(`sha256/${rogue.pin}`);
    expect(impostor.frames).toEqual([]);
  });

  it('never sends a pinned terminal\'s token over plain ws://', async () => {
    const client = pinnedClient(hub.wsUrl, 'node-plain', venue.pin, { pinnedWebSocket });
    expect((await refused(client)).message).toContain('only reached over wss://');
  });
});

describe('the browser path: the hub proves the pinned key (WebCrypto), even with certificate checks off', () => {
  const browserLike = { WebSocket: InsecureWebSocket as unknown as WebSocketCtor, getJson: insecureGetJson };

  it('connects to the real hub after its proof verifies', async () => {
    const { t, errors } = pinnedClient(hub.wssUrl!, 'web-pinned', venue.pin, browserLike);
    await t.connect();
    expect(t.state).toBe('online');
    expect(errors.filter((e) => e.code === 'HUB_IDENTITY_MISMATCH')).toEqual([]);
  });

  it('refuses an impostor that has no proof: no socket is even opened', async () => {
    const impostor = await startRogue();
    const client = pinnedClient(impostor.wssUrl, 'web-rogue', venue.pin, browserLike);
    expect((await refused(client)).message).toContain('no identity proof');
    expect(impostor.upgrades).toBe(0);
    expect(impostor.frames).toEqual([]);
  });

  it('refuses an impostor relaying the challenge to the real hub, as is or with the real host', async () => {
    const asIs = await startRogue({});
    const one = pinnedClient(asIs.wssUrl, 'web-relay-1', venue.pin, browserLike);
    // The real hub will not sign for 127.0.0.2, which is not on its certificate.
    expect((await refused(one)).message).toContain('no identity proof');
    const rewritten = await startRogue({ rewriteHost: '127.0.0.1' });
    const two = pinnedClient(rewritten.wssUrl, 'web-relay-2', venue.pin, browserLike);
    // Signed by the pinned key, but for 127.0.0.1, not the host the SDK dialled.
    expect((await refused(two)).message).toContain('does not verify');
    expect([asIs.upgrades, rewritten.upgrades]).toEqual([0, 0]);
  });

  it('refuses a malformed pin in the bootstrap instead of silently not pinning', () => {
    expect(() => hubClient(hub.wssUrl!, 'web-badpin', browserLike, { nu_hub_key_pin: 'sha256/not-a-pin' })).toThrow(/nu_hub_key_pin/);
  });
});

describe('main.ts with HUB_TLS_*', () => {
  it('listens for TLS and prints the port, key pin and certificate fingerprint', async () => {
    const child = await startHub({ mode: 'child-process', env: { HUB_TLS_CERT: venue.certFile, HUB_TLS_KEY: venue.keyFile, HUB_TLS_PORT: '0' } });
    cleanups.push(() => child.close());
    expect(child.output?.()).toContain(`"keyPin":"${venue.pin}"`);
    const health = await httpsJson(`${child.tlsUrl}/health`, { ca: venue.ca });
    expect(health.status).toBe(200);
  }, HUB_START_LIMIT_MS + 10_000);

  it('exits 78 naming HUB_TLS_KEY when the key is not the certificate\'s', async () => {
    const run = await spawnHub({
      env: { HUB_ENV_FILE: '/nonexistent', HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_HTTP_PORT: '0', HUB_MDNS_ENABLED: 'false', HUB_DB_PATH: join(dir, 'never.sqlite'), HUB_TLS_CERT: venue.certFile, HUB_TLS_KEY: rogue.keyFile },
      testDefaults: false,
      until: 'exit',
    });
    const { code } = await run.exit;
    const stderr = run.stderr();
    expect(code).toBe(78);
    expect(stderr).toContain(`HUB_TLS_KEY: ${rogue.keyFile} is not the key of ${venue.certFile}`);
  }, HUB_START_LIMIT_MS + 10_000);
});
