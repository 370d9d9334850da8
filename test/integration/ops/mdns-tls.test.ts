/**
 * mDNS with TLS on loopback: the hub's advert carries scheme, wss_port, cert_sha256 and key_pin, and a
 * pinned browse skips an impostor advertising the same service with another key and answers wss://.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startMdns, type MdnsAdvert, type MdnsLog } from '../../../src/adapters/mdns/advertiser.js';
import { browseHub } from '../../../src/adapters/mdns-browse/browse-hub.js';

const LOOPBACK = { interface: '127.0.0.1', bind: '0.0.0.0', ttl: 1 } as const;
const quiet: MdnsLog = { info: () => undefined, warn: () => undefined };
const REAL_PIN = Buffer.alloc(32, 1).toString('base64');
const ROGUE_PIN = Buffer.alloc(32, 2).toString('base64');

const adverts: MdnsAdvert[] = [];
afterEach(async () => {
  for (const a of adverts.splice(0)) await a.stop();
});

describe('mDNS advert with TLS', () => {
  it('a pinned browse answers the hub with the pinned key over wss, not the impostor', async () => {
    const type = `pos-hub-tls-${process.pid}`;
    adverts.push(startMdns({ port: 18766, name: 'POS Hub impostor', type, log: quiet, socket: LOOPBACK, tls: { port: 19999, certSha256: 'ab'.repeat(32), keyPin: ROGUE_PIN } }));
    adverts.push(startMdns({ port: 8766, name: 'POS Hub', type, log: quiet, socket: LOOPBACK, tls: { port: 8767, certSha256: 'cd'.repeat(32), keyPin: REAL_PIN } }));
    const url = await browseHub({ socket: LOOPBACK, timeoutMs: 8_000, type, pins: [REAL_PIN] });
    expect(url).toMatch(/^wss:\/\/[^/]+:8767$/);
    // Nothing pinned matches: no answer rather than the impostor.
    expect(await browseHub({ socket: LOOPBACK, timeoutMs: 1_500, type, pins: [Buffer.alloc(32, 3).toString('base64')] })).toBeNull();
  });

  it('a hub without TLS still answers ws:// to an unpinned browse', async () => {
    const type = `pos-hub-plain-${process.pid}`;
    adverts.push(startMdns({ port: 8766, name: 'POS Hub', type, log: quiet, socket: LOOPBACK }));
    expect(await browseHub({ socket: LOOPBACK, timeoutMs: 8_000, type })).toMatch(/^ws:\/\/[^/]+:8766$/);
  });
});
