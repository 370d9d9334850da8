/**
 * GET /api/hub-identity?nonce=…&host=…: the hub proves it holds the key terminals pin, for the host
 * they dialled (src/protocol/hub-identity.ts). Public by design — a signature over the caller's own
 * nonce reveals nothing — so any origin may read it (a POS page served by Odoo calls it cross-origin).
 * Each answer costs the front thread a signature, so each address gets HUB_RATE_IDENTITY_PER_ADDRESS.
 */
import type { HttpReply, HttpRequestInfo } from '../adapters/uws/server.js';
import { IDENTITY_PROOF_PATH, type IdentityProof } from '../protocol/hub-identity.js';
import type { RateSpec } from '../ports/token-bucket.js';
import { AddressBuckets } from './limits/address-buckets.js';

const HEADERS = { 'cache-control': 'no-store', 'access-control-allow-origin': '*', 'x-content-type-options': 'nosniff' };

export interface IdentityRouteOptions {
  readonly prove: (nonce: string, host: string) => IdentityProof | null;
  /** Proofs one source address may ask for, per second / burst. */
  readonly perAddress: RateSpec;
  readonly now: () => number;
}

export function identityProofRoute(options: IdentityRouteOptions): {
  method: 'get';
  path: string;
  handler: (req: HttpRequestInfo) => HttpReply;
} {
  const { prove, now } = options;
  const buckets = new AddressBuckets(options.perAddress);
  return {
    method: 'get',
    path: IDENTITY_PROOF_PATH,
    handler: (req) => {
      const wait = buckets.take(req.remoteAddress, now());
      if (wait > 0) {
        // The SDK treats a failed proof as an unverified hub for this attempt and retries with backoff.
        return {
          status: 429,
          contentType: 'text/plain; charset=utf-8',
          headers: { ...HEADERS, 'retry-after': String(Math.ceil(wait / 1000)) },
          body: 'too many identity proofs from this address; wait and retry\n',
        };
      }
      const params = new URLSearchParams(req.query);
      const proof = prove(params.get('nonce') ?? '', params.get('host') ?? '');
      if (proof === null) {
        return { status: 400, contentType: 'text/plain; charset=utf-8', headers: HEADERS, body: 'nonce must be 16-128 base64url characters and host a name or address on this hub\'s certificate\n' };
      }
      return { status: 200, contentType: 'application/json; charset=utf-8', headers: HEADERS, body: JSON.stringify(proof) };
    },
  };
}
