/**
 * The front's rate limits and caps as pure code with a hand-driven clock: token buckets per message
 * class with retryAfterMs, the lease/lock caps (released, denied and expired grants free their slot),
 * distinct keys per window, the abuse threshold, and the per-address unauthenticated and AUTH limits.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { AddressLimits } from '../../../src/front/limits/address-limits.js';
import { TerminalLimits } from '../../../src/front/limits/terminal-limits.js';
import { TokenBucket } from '../../../src/ports/token-bucket.js';
import type { TerminalMessage } from '../../../src/protocol/terminal-messages.js';

const config = (env: Record<string, string> = {}) => parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', ...env });
const acquire = (posReference: string): TerminalMessage => ({ type: 'LEASE_ACQUIRE', posReference, baseVersion: 0 });
const lock = (tableId: number): TerminalMessage => ({ type: 'TABLE_LOCK_ACQUIRE', tableId });

describe('TokenBucket', () => {
  it('grants the burst at once, then one token per 1/rate second, and says how long to wait', () => {
    const b = new TokenBucket({ perSecond: 10, burst: 3 }, 0);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([0, 0, 0]);
    expect(b.take(0)).toBe(100);
    expect(b.take(50)).toBe(50);
    expect(b.take(100)).toBe(0);
    expect(b.isFull(100)).toBe(false);
    expect(b.isFull(400)).toBe(true);
  });
});

describe('TerminalLimits', () => {
  it('refuses a class over its bucket with RATE_LIMITED and retryAfterMs, other classes unaffected', () => {
    const limits = new TerminalLimits(config({ HUB_RATE_HEARTBEATS: '1/2' }));
    const hb: TerminalMessage = { type: 'HEARTBEAT' };
    expect(limits.check('t1', hb, 0).ok).toBe(true);
    expect(limits.check('t1', hb, 0).ok).toBe(true);
    expect(limits.check('t1', hb, 0)).toEqual({
      ok: false,
      code: 'RATE_LIMITED',
      message: expect.stringContaining('heartbeats'),
      retryAfterMs: 1000,
    });
    expect(limits.check('t2', hb, 0).ok).toBe(true);
    expect(limits.check('t1', acquire('A'), 0).ok).toBe(true);
    expect(limits.check('t1', hb, 1000).ok).toBe(true);
  });

  it('caps live leases per terminal; a release, a denial or the TTL frees a slot', () => {
    const limits = new TerminalLimits(config({ HUB_MAX_LEASES_PER_TERMINAL: '2', HUB_LEASE_TTL_MS: '60000' }));
    expect(limits.check('t', acquire('A'), 0).ok).toBe(true);
    expect(limits.check('t', acquire('B'), 0).ok).toBe(true);
    expect(limits.check('t', acquire('A'), 0).ok).toBe(true); // re-acquiring a held one is no new slot
    expect(limits.check('t', acquire('C'), 0)).toMatchObject({ ok: false, code: 'TOO_MANY_LEASES' });
    limits.check('t', { type: 'LEASE_RELEASE', posReference: 'A' }, 0);
    expect(limits.check('t', acquire('C'), 0).ok).toBe(true);
    limits.observe('t', { type: 'LEASE_DENIED', posReference: 'C', holder: 'x', reason: 'held' });
    expect(limits.check('t', acquire('D'), 0).ok).toBe(true);
    expect(limits.check('t', acquire('E'), 1).ok).toBe(false);
    expect(limits.check('t', acquire('E'), 60_001).ok).toBe(true);
  });

  it('caps live table locks per terminal; a revoke frees a slot', () => {
    const limits = new TerminalLimits(config({ HUB_MAX_LOCKS_PER_TERMINAL: '1' }));
    expect(limits.check('t', lock(1), 0).ok).toBe(true);
    expect(limits.check('t', lock(2), 0)).toMatchObject({ ok: false, code: 'TOO_MANY_LOCKS' });
    limits.observe('t', { type: 'TABLE_LOCK_REVOKED', tableId: 1, reason: 'expired' });
    expect(limits.check('t', lock(2), 0).ok).toBe(true);
  });

  it('caps distinct orders and tables per window', () => {
    const limits = new TerminalLimits(
      config({ HUB_MAX_KEYS_PER_TERMINAL: '3', HUB_KEYS_WINDOW_MS: '10000', HUB_MAX_LEASES_PER_TERMINAL: '100' }),
    );
    for (const p of ['A', 'B', 'C'])
      expect(limits.check('t', { type: 'LEASE_HEARTBEAT', posReference: p }, 0).ok).toBe(true);
    expect(limits.check('t', { type: 'LEASE_HEARTBEAT', posReference: 'B' }, 0).ok).toBe(true);
    expect(limits.check('t', { type: 'LEASE_HEARTBEAT', posReference: 'D' }, 4000)).toMatchObject({
      ok: false,
      code: 'TOO_MANY_KEYS',
      retryAfterMs: 6000,
    });
    expect(limits.check('t', { type: 'LEASE_HEARTBEAT', posReference: 'D' }, 10_000).ok).toBe(true);
  });

  it('says when a terminal has ignored HUB_RATE_ABUSE_LIMIT refusals within 10 s', () => {
    const limits = new TerminalLimits(config({ HUB_RATE_ABUSE_LIMIT: '3' }));
    expect([limits.refused('t', 0), limits.refused('t', 1)]).toEqual([false, false]);
    expect(limits.refused('t', 20_000)).toBe(false);
    expect([limits.refused('t', 20_001), limits.refused('t', 20_002)]).toEqual([false, true]);
  });
});

describe('AddressLimits', () => {
  it('caps unauthenticated sockets per address and frees a slot when one signs in or closes', () => {
    const limits = new AddressLimits(config({ HUB_MAX_UNAUTH_PER_ADDRESS: '2' }));
    expect([limits.open('a'), limits.open('a'), limits.open('a'), limits.open('b')]).toEqual([true, true, false, true]);
    limits.settled('a');
    expect(limits.open('a')).toBe(true);
    expect(limits.unauthenticatedFrom('a')).toBe(2);
  });

  it('rate-limits AUTH per address', () => {
    const limits = new AddressLimits(config({ HUB_RATE_AUTH_PER_ADDRESS: '1/2' }));
    expect([limits.takeAuth('a', 0), limits.takeAuth('a', 0), limits.takeAuth('a', 0)]).toEqual([0, 0, 1000]);
    expect(limits.takeAuth('b', 0)).toBe(0);
  });
});
