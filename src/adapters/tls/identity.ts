/**
 * The hub's TLS identity, read once at start-up from HUB_TLS_CERT / HUB_TLS_KEY: checked (the key
 * matches the certificate, the certificate is in date), summarised for the mDNS TXT record (certificate
 * fingerprint, key pin) and used to answer the identity proof the browser SDK verifies (see
 * src/protocol/hub-identity.ts). uWS serves TLS itself from the same two files.
 */
import { createHash, createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { HubError } from '../../protocol/errors.js';
import {
  IDENTITY_HOST_PATTERN,
  IDENTITY_NONCE_PATTERN,
  IDENTITY_PROOF_VERSION,
  identityProofMessage,
  normalizeHost,
  type IdentityAlgorithm,
  type IdentityProof,
} from '../../protocol/hub-identity.js';

export interface TlsIdentity {
  readonly certFile: string;
  readonly keyFile: string;
  /** SHA-256 of the certificate DER, lower-case hex without colons. */
  readonly certSha256: string;
  /** base64 SHA-256 of the key's SubjectPublicKeyInfo: the value terminals pin (nu_hub_key_pin). */
  readonly keyPin: string;
  /** DNS names and IP addresses the certificate is valid for: the hosts the hub signs proofs for. */
  readonly names: readonly string[];
  readonly notAfter: Date;
  readonly alg: IdentityAlgorithm;
  /** The answer to GET /api/hub-identity, or null when nonce or host is unacceptable. */
  prove(nonce: string, host: string): IdentityProof | null;
}

function configError(variable: 'HUB_TLS_CERT' | 'HUB_TLS_KEY', message: string, cause?: unknown): HubError {
  return new HubError('CONFIG_INVALID', `${variable}: ${message}`, { details: [{ variable, message }], ...(cause === undefined ? {} : { cause }) });
}

function readPem(variable: 'HUB_TLS_CERT' | 'HUB_TLS_KEY', path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw configError(variable, `cannot read ${path} (${error instanceof Error ? error.message : String(error)})`, error);
  }
}

function algorithmOf(key: KeyObject): IdentityAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw configError('HUB_TLS_KEY', `key type ${key.asymmetricKeyType ?? 'unknown'} is not supported: use EC P-256 (scripts/venue-cert.sh makes one) or RSA`);
}

/** subjectAltName as Node prints it: "DNS:hub.local, IP Address:192.168.1.20". */
function namesOf(cert: X509Certificate): string[] {
  const names: string[] = [];
  for (const entry of (cert.subjectAltName ?? '').split(/,\s*/)) {
    const match = /^(DNS|IP Address):(.+)$/.exec(entry.trim());
    if (match) names.push(normalizeHost(match[2]!));
  }
  return names;
}

function hostMatches(names: readonly string[], host: string): boolean {
  const family = isIP(host);
  return names.some((name) => {
    if (name === host) return true;
    if (family !== 0 && isIP(name) === family) {
      // Addresses compare by value: the certificate says 0:0:0:0:0:0:0:1 where a URL says ::1.
      const list = new BlockList();
      list.addAddress(name, family === 6 ? 'ipv6' : 'ipv4');
      return list.check(host, family === 6 ? 'ipv6' : 'ipv4');
    }
    // One wildcard label, as TLS matches it: *.venue.lan covers hub.venue.lan, not a.b.venue.lan.
    if (!name.startsWith('*.') || isIP(host) !== 0) return false;
    const dot = host.indexOf('.');
    return dot > 0 && host.slice(dot + 1) === name.slice(2);
  });
}

export function loadTlsIdentity(certFile: string, keyFile: string, now: Date): TlsIdentity {
  const certPem = readPem('HUB_TLS_CERT', certFile);
  const keyPem = readPem('HUB_TLS_KEY', keyFile);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    throw configError('HUB_TLS_CERT', `${certFile} is not a PEM certificate`, error);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw configError('HUB_TLS_KEY', `${keyFile} is not an unencrypted PEM private key`, error);
  }
  if (!cert.checkPrivateKey(key)) throw configError('HUB_TLS_KEY', `${keyFile} is not the key of ${certFile}`);
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= now.getTime()) throw configError('HUB_TLS_CERT', `${certFile} expired on ${cert.validTo}`);
  const alg = algorithmOf(key);
  const names = namesOf(cert);
  if (names.length === 0) throw configError('HUB_TLS_CERT', `${certFile} has no subjectAltName: browsers refuse it (scripts/venue-cert.sh adds the hub's names and addresses)`);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  const keyPin = createHash('sha256').update(spki).digest('base64');
  const spkiB64 = spki.toString('base64');
  return {
    certFile,
    keyFile,
    certSha256: createHash('sha256').update(cert.raw).digest('hex'),
    keyPin,
    names,
    notAfter,
    alg,
    prove(nonce, rawHost) {
      const host = normalizeHost(rawHost.slice(0, 300));
      if (!IDENTITY_NONCE_PATTERN.test(nonce) || !IDENTITY_HOST_PATTERN.test(host) || !hostMatches(names, host)) return null;
      const data = Buffer.from(identityProofMessage(nonce, host), 'utf8');
      const signature = alg === 'ES256' ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', data, key);
      return { v: IDENTITY_PROOF_VERSION, alg, spki: spkiB64, signature: signature.toString('base64') };
    },
  };
}
