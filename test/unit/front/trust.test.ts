/**
 * Issue 13, the pure parts of the trust boundary: admin tokens compared over SHA-256 digests (any
 * length, any characters, never a throw) with failures limited per address on an injected clock; the
 * Host and Origin rules; the terminal page reading its token from the fragment and naming only
 * allowed hubs; the catalog without logins; finalize attribution.
 */
import { describe, expect, it } from 'vitest';
import { createAdminGate, bearerOf, tokenMatches } from '../../../src/front/admin-auth.js';
import { attributeFinalize } from '../../../src/front/attribution.js';
import { publicCatalog } from '../../../src/front/catalog-public.js';
import { createRequestGuard, hostPart } from '../../../src/front/request-guard.js';
import { hubAllowed, readParams } from '../../../src/terminal-app/params.js';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';
import { TestClock } from '../../helpers/clocks.js';

describe('admin token', () => {
  it('matches only the exact token, whatever the lengths and characters, and never throws', () => {
    expect(tokenMatches('sécret', 'sécret')).toBe(true);
    for (const presented of ['', 'x', 'sécre', 'secret', 'xxxxxx', 'sécret ', '€'.repeat(6), 'a'.repeat(100_000)]) expect(tokenMatches(presented, 'sécret')).toBe(false);
    expect(tokenMatches('', '')).toBe(false);
  });

  it('reads a bearer token, case-insensitively, and nothing else', () => {
    expect(bearerOf('Bearer abc')).toBe('abc');
    expect(bearerOf('bearer   abc ')).toBe('abc');
    expect(bearerOf('Basic abc')).toBe('');
    expect(bearerOf(undefined)).toBe('');
  });

  it('limits wrong tokens per address within a minute, then forgets', () => {
    const clock = new TestClock();
    const gate = createAdminGate({ token: 'right', maxFailures: 3, clock });
    expect([1, 2, 3].map(() => gate.check('wrong', '10.0.0.9'))).toEqual(['wrong', 'wrong', 'wrong']);
    expect(gate.check('right', '10.0.0.9')).toBe('limited');
    expect(gate.check('right', '10.0.0.8')).toBe('ok');
    clock.advance(60_000);
    expect(gate.check('right', '10.0.0.9')).toBe('ok');
    expect(createAdminGate({ token: '', maxFailures: 3, clock }).check('', 'a')).toBe('disabled');
  });
});

describe('Host and Origin', () => {
  const guard = createRequestGuard({ allowedOrigins: ['https://pos.example.com'], allowedHosts: ['hub.lan'], machineNames: ['localhost', '127.0.0.1', '::1', 'pi', 'pi.local', '192.168.1.10'] });

  it('accepts the machine\'s names and configured hosts with any port, nothing else', () => {
    for (const host of ['localhost:8766', '127.0.0.1', '[::1]:8766', 'PI.local:8766', '192.168.1.10:8766', 'hub.lan', 'app.localhost:1']) expect(guard.hostAllowed(host), host).toBe(true);
    for (const host of ['', 'evil.example', '192.168.1.11:8766', 'pi.local.evil.example', 'localhost.evil.example']) expect(guard.hostAllowed(host), host).toBe(false);
    expect(hostPart('[fe80::1]:80')).toBe('fe80::1');
    expect(hostPart('fe80::1')).toBe('fe80::1');
  });

  it('passes no Origin, the same origin and listed ones; refuses the rest', () => {
    expect(guard.originAllowed('', '192.168.1.10:8766')).toBe(true);
    expect(guard.originAllowed('http://192.168.1.10:8766', '192.168.1.10:8766')).toBe(true);
    expect(guard.originAllowed('https://pos.example.com', '192.168.1.10:8766')).toBe(true);
    for (const origin of ['http://evil.example', 'http://192.168.1.10:9999', 'null', 'file://', 'https://pos.example.com.evil.example']) {
      expect(guard.originAllowed(origin, '192.168.1.10:8766'), origin).toBe(false);
    }
    // A rebinding name is its own "same origin", but its Host is not the hub's.
    expect(guard.originAllowed('http://evil.example:8766', 'evil.example:8766')).toBe(false);
  });
});

describe('terminal page parameters', () => {
  const at = (search: string, hash = ''): ReturnType<typeof readParams> => readParams({ origin: 'http://hub.local:8766', search, hash });

  it('takes the token from the fragment and ignores ?token=', () => {
    expect(at('', '#token=abc123').token).toBe('abc123');
    const query = at('?token=leaky&table=2');
    expect(query.token).toBeNull();
    expect(query.queryTokenIgnored).toBe(true);
    expect(query.tableId).toBe(2);
    expect(at('').token).toBeNull();
  });

  it('lets ?hub= name only the page\'s own origin or an allowed one', () => {
    expect(hubAllowed('ws://hub.local:8766', 'http://hub.local:8766', [])).toBe(true);
    expect(hubAllowed('wss://hub.local:8766/', 'https://hub.local:8766', [])).toBe(true);
    expect(hubAllowed('ws://10.0.0.2:8766', 'http://hub.local:8766', ['http://10.0.0.2:8766'])).toBe(true);
    for (const hub of ['ws://evil.example:8766', 'ws://hub.local:9999', 'javascript:alert(1)', 'not a url']) expect(hubAllowed(hub, 'http://hub.local:8766', ['http://10.0.0.2:8766']), hub).toBe(false);
  });
});

describe('catalog and attribution', () => {
  it('serves no logins and not the hub\'s own user', () => {
    const out = publicCatalog({ db: 'pos', users: [{ id: 6, login: 'pos-hub', name: 'Hub' }, { id: 7, login: 'manager', name: 'Marta', role: 'manager' }] }, 'pos-hub');
    expect(out).toEqual({ db: 'pos', users: [{ id: 7, name: 'Marta', role: 'manager' }] });
  });

  it('books a finalize as the signed-in Odoo user, and leaves dev identities alone', () => {
    const msg = { type: 'ORDER_FINALIZE' as const, posReference: 'R-1', snapshot: { ...paidSnapshot('R-1'), userId: 7 }, configId: 1 };
    expect(attributeFinalize(msg, 8).snapshot.userId).toBe(8);
    expect(attributeFinalize(msg, 7)).toBe(msg);
    expect(attributeFinalize(msg, null)).toBe(msg);
  });
});
