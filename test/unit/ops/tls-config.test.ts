/**
 * TLS configuration refused before anything listens: the config's cross-variable rules, and the
 * certificate checks of adapters/tls/identity.ts (a key of another certificate, no subjectAltName,
 * an unsupported key type, a file that is not PEM), each naming its variable.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTlsIdentity } from '../../../src/adapters/tls/identity.js';
import { tlsTxt } from '../../../src/adapters/mdns/advertiser.js';
import { checkTls } from '../../../src/cli/doctor-tls.js';
import { hubCandidates } from '../../../src/client/discovery.js';
import { parseConfig } from '../../../src/config.js';
import { HubError } from '../../../src/protocol/errors.js';
import { parseKeyPins } from '../../../src/protocol/hub-identity.js';
import { makeVenueCert, type VenueCert } from '../../helpers/venue-cert.js';

const dev = { HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' };
let dir: string;
let venue: VenueCert;
let other: VenueCert;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-tls-config-'));
  venue = makeVenueCert(join(dir, 'a'), ['hub.venue.lan', '192.168.1.20']);
  other = makeVenueCert(join(dir, 'b'), ['hub.venue.lan']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemOf(run: () => unknown): { variable: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).code).toBe('CONFIG_INVALID');
    return (error as HubError).details as { variable: string; message: string }[];
  }
  throw new Error('accepted');
}

describe('HUB_TLS_* in the config', () => {
  it('needs the certificate and the key together', () => {
    expect(problemOf(() => parseConfig({ ...dev, HUB_TLS_CERT: '/x/hub.crt' }))).toEqual([{ variable: 'HUB_TLS_KEY', message: 'must be set when HUB_TLS_CERT is set' }]);
    expect(problemOf(() => parseConfig({ ...dev, HUB_TLS_KEY: '/x/hub.key' }))).toEqual([{ variable: 'HUB_TLS_CERT', message: 'must be set when HUB_TLS_KEY is set' }]);
  });

  it('needs a TLS port of its own, and TLS before HUB_TLS_ONLY', () => {
    const both = { ...dev, HUB_TLS_CERT: '/x/hub.crt', HUB_TLS_KEY: '/x/hub.key' };
    expect(problemOf(() => parseConfig({ ...both, HUB_TLS_PORT: '8766' })).map((p) => p.variable)).toEqual(['HUB_TLS_PORT']);
    expect(problemOf(() => parseConfig({ ...dev, HUB_TLS_ONLY: 'true' })).map((p) => p.variable)).toEqual(['HUB_TLS_ONLY']);
    expect(parseConfig({ ...both, HUB_TLS_ONLY: 'true' })).toMatchObject({ HUB_TLS_PORT: 8767, HUB_TLS_ONLY: true });
  });
});

describe('loadTlsIdentity', () => {
  it('summarises a good certificate: names, pin, fingerprint, algorithm', () => {
    const id = loadTlsIdentity(venue.certFile, venue.keyFile, new Date());
    expect(id.names).toEqual(['hub.venue.lan', '192.168.1.20']);
    expect(id.keyPin).toBe(venue.pin);
    expect(id.certSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(id.alg).toBe('ES256');
    expect(id.prove('abcdefghijklmnopqrstuvwxyz012345', 'HUB.venue.lan.')).not.toBeNull();
    expect(id.prove('abcdefghijklmnopqrstuvwxyz012345', 'other.venue.lan')).toBeNull();
  });

  it('refuses the key of another certificate, naming HUB_TLS_KEY', () => {
    expect(problemOf(() => loadTlsIdentity(venue.certFile, other.keyFile, new Date()))[0]?.variable).toBe('HUB_TLS_KEY');
  });

  it('refuses an expired certificate, naming HUB_TLS_CERT', () => {
    expect(problemOf(() => loadTlsIdentity(venue.certFile, venue.keyFile, new Date('2999-01-01')))[0]).toMatchObject({ variable: 'HUB_TLS_CERT', message: expect.stringContaining('expired') });
  });

  it('refuses a certificate without subjectAltName, an Ed25519 key and a file that is not PEM', () => {
    const bare = join(dir, 'bare');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${bare}.key`, '-out', `${bare}.crt`, '-days', '2', '-subj', '/CN=hub'], { stdio: 'pipe' });
    expect(problemOf(() => loadTlsIdentity(`${bare}.crt`, `${bare}.key`, new Date()))[0]?.message).toContain('no subjectAltName');
    const ed = join(dir, 'ed');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', `${ed}.key`, '-out', `${ed}.crt`, '-days', '2', '-subj', '/CN=hub', '-addext', 'subjectAltName=DNS:hub'], { stdio: 'pipe' });
    expect(problemOf(() => loadTlsIdentity(`${ed}.crt`, `${ed}.key`, new Date()))[0]).toMatchObject({ variable: 'HUB_TLS_KEY', message: expect.stringContaining('ed25519') });
    writeFileSync(join(dir, 'junk.crt'), 'not a certificate');
    expect(problemOf(() => loadTlsIdentity(join(dir, 'junk.crt'), venue.keyFile, new Date()))[0]?.variable).toBe('HUB_TLS_CERT');
    expect(problemOf(() => loadTlsIdentity(join(dir, 'missing.crt'), venue.keyFile, new Date()))[0]?.message).toContain('cannot read');
  });
});

describe('pins and the mDNS TXT record', () => {
  it('reads pins with or without sha256/, several for a rotation, and refuses a malformed one', () => {
    expect(parseKeyPins(`sha256/${venue.pin}, ${other.pin}`)).toEqual([venue.pin, other.pin]);
    expect(parseKeyPins(false)).toEqual([]);
    expect(parseKeyPins('')).toEqual([]);
    expect(() => parseKeyPins('sha256/abc')).toThrow(/nu_hub_key_pin/);
  });

  it('advertises scheme, TLS port, certificate fingerprint and key pin', () => {
    const id = loadTlsIdentity(venue.certFile, venue.keyFile, new Date());
    expect(tlsTxt({ port: 8767, certSha256: id.certSha256, keyPin: id.keyPin })).toEqual({ scheme: 'wss', wss_port: '8767', cert_sha256: id.certSha256, key_pin: venue.pin });
    expect(tlsTxt(undefined)).toEqual({ scheme: 'ws' });
  });
});

describe('hub candidates with a pin', () => {
  it('are wss:// only: bare hosts get the TLS port, https origins become wss, mDNS is asked for pinned hubs', async () => {
    const asked: unknown[] = [];
    const urls = await hubCandidates(
      { nu_hub_url: false, nu_hub_fallback_ip: '192.168.1.20' },
      { pins: [venue.pin], pageOrigin: 'https://pos.venue.lan', discoverHub: async (want) => (asked.push(want), 'wss://192.168.1.21:8767') },
    )();
    expect(urls).toEqual(['wss://192.168.1.21:8767', 'wss://192.168.1.20:8767', 'wss://pos.venue.lan']);
    expect(asked).toEqual([{ pins: [venue.pin] }]);
    // Without a pin nothing changes.
    expect(await hubCandidates({ nu_hub_url: '192.168.1.20' }, {})()).toEqual(['ws://192.168.1.20:8766']);
  });
});

describe('pos-hub doctor: tls', () => {
  const tlsConfig = (cert: string, key: string) => parseConfig({ ...dev, HUB_TLS_CERT: cert, HUB_TLS_KEY: key });

  it('warns when TLS is off, passes with the names and pin, warns a month before expiry, fails on a wrong key', () => {
    expect(checkTls(parseConfig(dev), new Date())).toMatchObject({ status: 'WARN', detail: expect.stringContaining('ws://') });
    const good = checkTls(tlsConfig(venue.certFile, venue.keyFile), new Date());
    expect(good.status).toBe('PASS');
    expect(good.detail).toContain(`hub.venue.lan, 192.168.1.20; key pin sha256/${venue.pin}`);
    const notAfter = loadTlsIdentity(venue.certFile, venue.keyFile, new Date()).notAfter;
    const soon = checkTls(tlsConfig(venue.certFile, venue.keyFile), new Date(notAfter.getTime() - 10 * 24 * 3600 * 1000 - 1000));
    expect(soon).toMatchObject({ status: 'WARN', detail: expect.stringContaining('expires in 10 days') });
    expect(checkTls(tlsConfig(venue.certFile, other.keyFile), new Date())).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('HUB_TLS_KEY') });
  });
});
