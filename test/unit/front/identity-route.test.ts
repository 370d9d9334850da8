/**
 * The identity proof costs the front thread a signature per request, and the route is public: each
 * source address gets HUB_RATE_IDENTITY_PER_ADDRESS, then 429 with Retry-After and no signature made.
 */
import { describe, expect, it } from 'vitest';
import type { HttpRequestInfo } from '../../../src/adapters/uws/server.js';
import { identityProofRoute } from '../../../src/front/identity-route.js';

const NONCE = 'A'.repeat(43);

function request(remoteAddress: string, query = `nonce=${NONCE}&host=127.0.0.1`): HttpRequestInfo {
  return { method: 'GET', url: '/api/hub-identity', query, headers: {}, body: '', remoteAddress };
}

function route(perAddress = { perSecond: 1, burst: 3 }) {
  let now = 1_000_000;
  let signatures = 0;
  const r = identityProofRoute({
    prove: (nonce, host) => {
      if (host !== '127.0.0.1') return null;
      signatures += 1;
      return { v: 1, alg: 'ES256', spki: 'c3BraQ==', signature: 'c2ln', nonce, host } as never;
    },
    perAddress,
    now: () => now,
  });
  return {
    get: (req: HttpRequestInfo) => r.handler(req),
    advance: (ms: number) => {
      now += ms;
    },
    signatures: () => signatures,
  };
}

describe('GET /api/hub-identity rate limit', () => {
  it('answers an address its burst, then 429 with Retry-After without signing, and again after the refill', () => {
    const r = route();
    for (let i = 0; i < 3; i += 1) expect(r.get(request('10.0.0.7')).status).toBe(200);
    const refused = r.get(request('10.0.0.7'));
    expect(refused.status).toBe(429);
    expect(refused.headers?.['retry-after']).toBe('1');
    expect(refused.headers?.['access-control-allow-origin']).toBe('*');
    expect(r.signatures()).toBe(3);
    r.advance(1000);
    expect(r.get(request('10.0.0.7')).status).toBe(200);
    expect(r.signatures()).toBe(4);
  });

  it('limits each address on its own, and counts refused (400) requests too', () => {
    const r = route();
    for (let i = 0; i < 3; i += 1) expect(r.get(request('10.0.0.8', `nonce=${NONCE}&host=evil.example`)).status).toBe(400);
    expect(r.get(request('10.0.0.8')).status).toBe(429);
    expect(r.get(request('10.0.0.9')).status).toBe(200);
  });
});
