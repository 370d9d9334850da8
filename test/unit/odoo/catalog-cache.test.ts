/**
 * The catalog provider on a simulated clock: one Odoo read per TTL (shared by concurrent callers),
 * the last good copy served `stale: true` with the reason while Odoo fails, no hammering of a failing
 * Odoo inside the retry window, a clear HubError when nothing was ever read, and recovery.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { OdooClient } from '../../../src/adapters/odoo/client.js';
import type { CatalogJson } from '../../../src/adapters/odoo/catalog.js';
import { createCatalogProvider } from '../../../src/adapters/odoo/catalog-cache.js';
import { HubError } from '../../../src/protocol/errors.js';
import { catalogJson } from '../../helpers/catalog-json.js';
import { TestClock } from '../../helpers/clocks.js';

const log = createLogger({ level: 'silent' });
const client = {} as OdooClient;

const catalog = catalogJson;

/** A loader whose answers the test scripts, counting calls. */
function scripted(clock: TestClock, answers: Array<CatalogJson | HubError>) {
  const calls = { n: 0 };
  const load = async (): Promise<CatalogJson> => {
    calls.n += 1;
    const next = answers.shift();
    if (next === undefined) throw new Error('no scripted answer left');
    if (next instanceof HubError) throw next;
    return next;
  };
  return { calls, provider: createCatalogProvider({ client, clock, log, ttlMs: 60_000, retryMs: 5_000, load }) };
}

const down = (): HubError =>
  new HubError('ODOO_UNREACHABLE', 'Odoo unreachable for res.users.read: ECONNREFUSED', { retryable: true });

describe('catalog provider', () => {
  it('reads once per TTL and shares one read between concurrent callers', async () => {
    const clock = new TestClock();
    const { calls, provider } = scripted(clock, [catalog('A'), catalog('B')]);
    const [one, two] = await Promise.all([provider(), provider()]);
    expect(calls.n).toBe(1);
    expect(one).toEqual({ ...catalog('A'), stale: false, fetchedAt: new Date(clock.now()).toISOString() });
    expect(two).toEqual(one);
    clock.advance(59_999);
    expect((await provider()).config.name).toBe('A');
    expect(calls.n).toBe(1);
    clock.advance(1);
    expect(await provider()).toMatchObject({ config: { name: 'B' }, stale: false });
    expect(calls.n).toBe(2);
  });

  it('serves the last good copy as stale while Odoo fails, retries after the window, then recovers', async () => {
    const clock = new TestClock();
    const { calls, provider } = scripted(clock, [catalog('A'), down(), down(), catalog('C')]);
    const first = await provider();
    clock.advance(60_000);
    const stale = await provider();
    expect(stale).toEqual({
      ...catalog('A'),
      stale: true,
      fetchedAt: first.fetchedAt,
      staleReason: { code: 'ODOO_UNREACHABLE', message: 'Odoo unreachable for res.users.read: ECONNREFUSED' },
    });
    expect(calls.n).toBe(2);
    clock.advance(4_999);
    expect((await provider()).stale).toBe(true);
    expect(calls.n).toBe(2);
    clock.advance(1);
    expect((await provider()).stale).toBe(true);
    expect(calls.n).toBe(3);
    clock.advance(5_000);
    const fresh = await provider();
    expect(fresh).toMatchObject({ config: { name: 'C' }, stale: false });
    expect(fresh).not.toHaveProperty('staleReason');
    expect(calls.n).toBe(4);
  });

  it('with nothing cached, fails with the loader HubError (until Odoo answers)', async () => {
    const clock = new TestClock();
    const noSession = new HubError('ODOO_REJECTED', 'No open POS session for "Main" (pos.config 1)', {
      details: { reason: 'no_open_session' },
    });
    const { calls, provider } = scripted(clock, [noSession, catalog('A')]);
    await expect(provider()).rejects.toBe(noSession);
    await expect(provider()).rejects.toBe(noSession);
    expect(calls.n).toBe(1);
    clock.advance(5_000);
    expect(await provider()).toMatchObject({ config: { name: 'A' }, stale: false });
  });
});
