/**
 * The hub identity proof, shared by the hub (which signs) and the SDK (which verifies, with WebCrypto
 * in a browser where the TLS certificate is invisible to JS). The hub signs a client nonce together
 * with the host name the client dialled; it signs only for names its certificate lists, so a rogue
 * hub that relays the challenge to the real one gets no signature valid for its own address.
 */
import { HubError } from './errors.js';

export const IDENTITY_PROOF_PATH = '/api/hub-identity';
export const IDENTITY_PROOF_VERSION = 1;

/** base64url, 16 to 128 characters: enough entropy, and bounded before the hub does anything with it. */
export const IDENTITY_NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
/** A DNS name or an IP literal (IPv6 without brackets), bounded. */
export const IDENTITY_HOST_PATTERN = /^[A-Za-z0-9.:_-]{1,253}$/;

export type IdentityAlgorithm = 'ES256' | 'RS256';

/** GET IDENTITY_PROOF_PATH?nonce=…&host=… answers this JSON. */
export interface IdentityProof {
  readonly v: typeof IDENTITY_PROOF_VERSION;
  readonly alg: IdentityAlgorithm;
  /** The hub key's SubjectPublicKeyInfo, DER, base64. Its SHA-256 (base64) is the pin. */
  readonly spki: string;
  /** Over identityProofMessage(nonce, host): ES256 as raw r‖s (IEEE P1363, what WebCrypto verifies), RS256 PKCS#1 v1.5. */
  readonly signature: string;
}

/** The bytes signed: a fixed label (never a valid message of another protocol), the nonce and the host. */
export function identityProofMessage(nonce: string, host: string): string {
  return `pos-hub-identity-v${IDENTITY_PROOF_VERSION}\n${nonce}\n${normalizeHost(host)}`;
}

/** Lower case, IPv6 brackets and a trailing dot removed: the form both sides sign and compare. */
export function normalizeHost(host: string): string {
  return host.trim().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

/**
 * A key pin as written in bootstrap settings and the mDNS TXT record: base64 SHA-256 of the SPKI,
 * optionally prefixed `sha256/` (the HPKP and Chromium `--ignore-certificate-errors-spki-list` form).
 * Several pins, comma-separated, allow a key rotation. Returns the bare base64 values.
 */
export function parseKeyPins(value: string | false | null | undefined, field = 'nu_hub_key_pin'): readonly string[] {
  if (typeof value !== 'string') return [];
  const pins = value
    .split(',')
    .map((pin) => pin.trim())
    .filter(Boolean);
  // A pin that cannot be read must not silently turn pinning off.
  const bad = pins.filter((pin) => !/^(sha256\/)?[A-Za-z0-9+/]{43}=$/i.test(pin));
  if (bad.length > 0) throw new HubError('CONFIG_INVALID', `${field}: ${JSON.stringify(bad[0])} is not a base64 SHA-256 key pin (sha256/…=)`);
  return pins.map((pin) => pin.replace(/^sha256\//i, ''));
}
