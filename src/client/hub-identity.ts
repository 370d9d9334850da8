/**
 * Pinning in a browser, where JS never sees the TLS certificate: before the first frame (and so before
 * the token) goes to a hub, the SDK asks it to sign a fresh nonce for the host the SDK dialled, and
 * checks with WebCrypto that the signing key is the pinned one (nu_hub_key_pin). A rogue hub has no
 * such key, and relaying to the real hub does not help: the real hub signs only for its own names.
 */
import { HubError } from '../protocol/errors.js';
import { IDENTITY_PROOF_PATH, IDENTITY_PROOF_VERSION, identityProofMessage, normalizeHost } from '../protocol/hub-identity.js';

/** The parts of WebCrypto used here; `crypto.subtle` in browsers (secure contexts only) and Node 20. */
export interface SubtleLike {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
  importKey(format: 'spki', keyData: Uint8Array, algorithm: object, extractable: boolean, usages: string[]): Promise<unknown>;
  verify(algorithm: object, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

export interface IdentityCheckDeps {
  /** GET a URL and parse its JSON body; rejects on network failure or a non-2xx answer. */
  readonly getJson: (url: string) => Promise<unknown>;
  readonly subtle: SubtleLike | undefined;
  readonly randomBytes: ((length: number) => Uint8Array) | undefined;
}

const MAX_FIELD = 4096;

function mismatch(url: string, why: string): HubError {
  return new HubError('HUB_IDENTITY_MISMATCH', `${url}: ${why}; nothing was sent to it`);
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(value: unknown): Uint8Array | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FIELD || !/^[A-Za-z0-9+/]+=*$/.test(value)) return null;
  const binary = atob(value);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Resolves when the hub behind `wsUrl` proves it holds a pinned key; rejects HUB_IDENTITY_MISMATCH otherwise. */
export async function verifyHubIdentity(wsUrl: string, pins: readonly string[], deps: IdentityCheckDeps): Promise<void> {
  let target: URL;
  try {
    target = new URL(wsUrl);
  } catch {
    throw mismatch(wsUrl, 'not a URL');
  }
  // A pin means TLS: over plain ws:// anyone on the Wi-Fi could read the token after the proof.
  if (target.protocol !== 'wss:') throw mismatch(wsUrl, 'a pinned hub (nu_hub_key_pin) is only reached over wss://');
  const { subtle, randomBytes } = deps;
  if (!subtle || !randomBytes) throw mismatch(wsUrl, 'this page has no WebCrypto (it must be served over https) to check the hub');
  const nonceBytes = randomBytes(32);
  const nonce = toBase64(nonceBytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const host = normalizeHost(target.hostname);
  const proofUrl = `https://${target.host}${IDENTITY_PROOF_PATH}?nonce=${nonce}&host=${encodeURIComponent(host)}`;
  let proof: unknown;
  try {
    proof = await deps.getJson(proofUrl);
  } catch (error) {
    throw mismatch(wsUrl, `no identity proof (${error instanceof Error ? error.message : String(error)})`);
  }
  const p = (typeof proof === 'object' && proof !== null ? proof : {}) as Record<string, unknown>;
  const spki = fromBase64(p.spki);
  const signature = fromBase64(p.signature);
  if (p.v !== IDENTITY_PROOF_VERSION || (p.alg !== 'ES256' && p.alg !== 'RS256') || !spki || !signature) {
    throw mismatch(wsUrl, 'the identity proof is malformed');
  }
  const pin = toBase64(new Uint8Array(await subtle.digest('SHA-256', spki)));
  if (!pins.includes(pin)) throw mismatch(wsUrl, `the hub's key sha256/${pin} is not the pinned one`);
  const ec = p.alg === 'ES256';
  let valid = false;
  try {
    const key = await subtle.importKey('spki', spki, ec ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
    valid = await subtle.verify(ec ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' }, key, signature, new TextEncoder().encode(identityProofMessage(nonce, host)));
  } catch {
    valid = false;
  }
  if (!valid) throw mismatch(wsUrl, 'the identity proof does not verify with the pinned key');
}
