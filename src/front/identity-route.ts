/**
 * GET /api/hub-identity?nonce=…&host=…: the hub proves it holds the key terminals pin, for the host
 * they dialled (src/protocol/hub-identity.ts). Public by design — a signature over the caller's own
 * nonce reveals nothing — so any origin may read it (a POS page served by Odoo calls it cross-origin).
 */
import type { HttpReply, HttpRequestInfo } from '../adapters/uws/server.js';
import { IDENTITY_PROOF_PATH, type IdentityProof } from '../protocol/hub-identity.js';

const HEADERS = { 'cache-control': 'no-store', 'access-control-allow-origin': '*', 'x-content-type-options': 'nosniff' };

export function identityProofRoute(prove: (nonce: string, host: string) => IdentityProof | null): {
  method: 'get';
  path: string;
  handler: (req: HttpRequestInfo) => HttpReply;
} {
  return {
    method: 'get',
    path: IDENTITY_PROOF_PATH,
    handler: (req) => {
      const params = new URLSearchParams(req.query);
      const proof = prove(params.get('nonce') ?? '', params.get('host') ?? '');
      if (proof === null) {
        return { status: 400, contentType: 'text/plain; charset=utf-8', headers: HEADERS, body: 'nonce must be 16-128 base64url characters and host a name or address on this hub\'s certificate\n' };
      }
      return { status: 200, contentType: 'application/json; charset=utf-8', headers: HEADERS, body: JSON.stringify(proof) };
    },
  };
}
