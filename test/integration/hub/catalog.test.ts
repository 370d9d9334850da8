/**
 * GET /api/catalog on a real hub wired to the Odoo simulator through the real client and catalog
 * provider: the same JSON as the simulator's route (plus stale/fetchedAt), the last good copy served
 * `stale: true` while Odoo refuses connections, and a 503 {code, message} when there is no copy at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { createOdooClient } from '../../../src/adapters/odoo/client.js';
import { createCatalogProvider } from '../../../src/adapters/odoo/catalog-cache.js';
import { parseConfig } from '../../../src/config.js';
import { systemClock } from '../../../src/ports/clock.js';
import { parseCatalog } from '../../../src/terminal-app/catalog.js';
import { SIM_POS_SESSION, SIM_USERS, type StartedOdooSim, startOdooSim } from '../../helpers/odoo-sim.js';
import { type StartedHub, startHub } from '../../helpers/start-hub.js';

const log = createLogger({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A hub whose catalog comes from a fresh simulator; ttlMs 0 makes every request ask Odoo. */
async function hubWithCatalog(ttlMs: number): Promise<{ hub: StartedHub; odoo: StartedOdooSim }> {
  const odoo = await startOdooSim();
  cleanups.push(() => odoo.close());
  const config = parseConfig({
    ODOO_URL: odoo.url,
    ODOO_USER: SIM_USERS.hub.login,
    ODOO_PASSWORD: SIM_USERS.hub.password,
    ODOO_TIMEOUT_MS: '2000',
  });
  const client = createOdooClient({ config, clock: systemClock, log });
  const catalog = createCatalogProvider({ client, clock: systemClock, log, ttlMs, retryMs: 0 });
  const hub = await startHub({ catalog, env: { ODOO_USER: SIM_USERS.hub.login } });
  cleanups.push(() => hub.close());
  return { hub, odoo };
}

async function get(hub: StartedHub): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const res = await fetch(`${hub.url}/api/catalog`);
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: (await res.json()) as Record<string, unknown>,
  };
}

describe('GET /api/catalog', () => {
  it('answers the simulator route JSON, parsed by the terminal page', async () => {
    const { hub, odoo } = await hubWithCatalog(60_000);
    const got = await get(hub);
    expect(got.status).toBe(200);
    expect(got.type).toContain('application/json');
    const sim = (await (await fetch(`${odoo.url}/pos-hub-sim/catalog`)).json()) as Record<string, unknown>;
    const { stale, fetchedAt, ...catalog } = got.body;
    // Issue 13, item 5: no Odoo logins on the LAN, and not the hub's own service user at all.
    const users = (sim.users as Array<{ login: string }>).filter((u) => u.login !== SIM_USERS.hub.login).map(({ login: _login, ...rest }) => rest);
    expect(catalog).toEqual({ ...sim, users });
    expect(JSON.stringify(got.body)).not.toContain('"login"');
    expect(JSON.stringify(got.body)).not.toContain(SIM_USERS.hub.login);
    expect(stale).toBe(false);
    expect(Number.isNaN(Date.parse(String(fetchedAt)))).toBe(false);
    expect(parseCatalog(got.body)).toMatchObject({
      configId: 1,
      sessionId: SIM_POS_SESSION.id,
      userId: SIM_USERS.manager.id,
      pricelistId: 1,
    });
  });

  it('serves the last good copy marked stale while Odoo is unreachable, fresh again when it is back', async () => {
    const { hub, odoo } = await hubWithCatalog(0);
    const good = await get(hub);
    expect(good.body.stale).toBe(false);
    await odoo.sim.refuse();
    const stale = await get(hub);
    expect(stale.status).toBe(200);
    expect(stale.body).toMatchObject({
      stale: true,
      fetchedAt: good.body.fetchedAt,
      staleReason: { code: 'ODOO_UNREACHABLE' },
    });
    expect(stale.body.products).toEqual(good.body.products);
    await odoo.sim.accept();
    const back = await get(hub);
    expect(back.body.stale).toBe(false);
    expect(back.body).not.toHaveProperty('staleReason');
  });

  it('is 503 {code, message} when Odoo never gave a catalog', async () => {
    const { hub, odoo } = await hubWithCatalog(60_000);
    odoo.sim.setPosSessionState(SIM_POS_SESSION.id, 'closed');
    const closed = await get(hub);
    expect(closed.status).toBe(503);
    expect(closed.body).toMatchObject({
      code: 'ODOO_REJECTED',
      message: expect.stringContaining('No open POS session'),
    });
    await odoo.sim.refuse();
    const down = await get(hub);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ code: 'ODOO_UNREACHABLE', retryable: true });
  });

  it('is absent (404) on a hub built without a catalog provider', async () => {
    const hub = await startHub();
    cleanups.push(() => hub.close());
    expect((await fetch(`${hub.url}/api/catalog`)).status).toBe(404);
  });
});
