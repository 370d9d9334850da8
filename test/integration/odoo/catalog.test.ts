/**
 * The terminal catalog read from "Odoo" with stock Odoo 12 calls only: loadCatalog over JSON-RPC
 * against the simulator equals the simulator's own /pos-hub-sim/catalog (one mapping, no drift), the
 * terminal page parses it exactly like its embedded seed copy, the simulator's search_read / read /
 * fields_get behave like 12.0's, and failures arrive as clear HubErrors.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { type OdooClient, createOdooClient } from '../../../src/adapters/odoo/client.js';
import { type CatalogRpc, loadCatalog, loadCatalogFrom } from '../../../src/adapters/odoo/catalog.js';
import { parseConfig } from '../../../src/config.js';
import { systemClock } from '../../../src/ports/clock.js';
import { HubError } from '../../../src/protocol/errors.js';
import { SIM_TABLES } from '../../../src/odoo-sim/seed.js';
import { parseCatalog } from '../../../src/terminal-app/catalog.js';
import { SIM_POS_SESSION, SIM_PRODUCTS, SIM_USERS, type StartedOdooSim, startOdooSim } from '../../helpers/odoo-sim.js';

const log = createLogger({ level: 'silent' });
let odoo: StartedOdooSim;

beforeEach(async () => {
  odoo = await startOdooSim();
});
afterEach(async () => {
  await odoo.close();
});

function client(): OdooClient {
  const config = parseConfig({
    ODOO_URL: odoo.url,
    ODOO_USER: SIM_USERS.hub.login,
    ODOO_PASSWORD: SIM_USERS.hub.password,
    ODOO_TIMEOUT_MS: '2000',
  });
  return createOdooClient({ config, clock: systemClock, log });
}

async function failure(p: Promise<unknown>): Promise<HubError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HubError) return e;
    throw new Error(`not a HubError: ${String(e)}`);
  }
  throw new Error('expected a failure');
}

async function simRoute(): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${odoo.url}/pos-hub-sim/catalog`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A CatalogRpc over a real client, with one call's answer replaced (what another Odoo would say). */
async function rpcWith(
  override: (model: string, method: string, kwargs: Record<string, unknown>) => unknown,
): Promise<CatalogRpc> {
  const c = client();
  const info = await c.hubSessionInfo();
  return {
    db: info.db,
    uid: info.uid,
    callKw: async <T>(
      model: string,
      method: string,
      args: readonly unknown[],
      kwargs: Record<string, unknown> = {},
    ): Promise<T> => {
      const replaced = override(model, method, kwargs);
      return replaced === undefined ? c.callKw<T>(model, method, args, kwargs) : (replaced as T);
    },
  };
}

describe('loadCatalog against the simulator', () => {
  it('equals the simulator route, uses only stock JSON-RPC, and parses like the seed', async () => {
    const catalog = await loadCatalog(client());
    const route = await simRoute();
    expect(route.status).toBe(200);
    expect(catalog).toEqual(route.body);

    const labels = Object.keys(odoo.sim.callCounts()).sort();
    expect(labels).toEqual(
      [
        '/web/session/authenticate',
        'account.bank.statement.search_read',
        'account.journal.search_read',
        'account.tax.search_read',
        'pos.config.fields_get',
        'pos.config.search_read',
        'pos.session.search_read',
        'product.pricelist.search_read',
        'product.product.search_read',
        'res.users.read',
        'res.users.search_read',
        'restaurant.floor.search_read',
        'restaurant.table.search_read',
      ].sort(),
    );

    expect(catalog.config).toEqual({
      id: 1,
      name: 'Main Restaurant',
      nu_hub_enabled: true,
      nu_hub_url: '',
      nu_hub_fallback_ip: '',
      pricelist_id: 1,
      journal_ids: [7, 8],
    });
    expect(catalog.session).toEqual({
      id: SIM_POS_SESSION.id,
      name: SIM_POS_SESSION.name,
      statements: [
        { id: 420, journalId: 7 },
        { id: 421, journalId: 8 },
      ],
    });
    expect(catalog.products.map((p) => p.id)).toEqual(SIM_PRODUCTS.map((p) => p.id));
    expect(catalog.users).toEqual([
      { id: 7, login: 'manager', name: 'Marta Manager', role: 'manager' },
      { id: 2, login: 'admin', name: 'Mitchell Admin', role: 'manager' },
      { id: 6, login: 'pos-hub', name: 'POS Hub Service', role: 'manager' },
      { id: 8, login: 'waiter', name: 'Walter Waiter', role: 'cashier' },
    ]);
    // The terminal page reads the seeded tables back in the one table shape (src/protocol/catalog-table.ts).
    expect(parseCatalog(catalog)!.floors.flatMap((f) => f.tables)).toEqual(SIM_TABLES);
  });

  it('serves the config asked for, and says clearly when it does not exist', async () => {
    expect((await loadCatalog(client(), { configId: 1 })).config.id).toBe(1);
    const e = await failure(loadCatalog(client(), { configId: 99 }));
    expect(e.code).toBe('ODOO_REJECTED');
    expect(e.message).toContain('no active POS config with id 99');
    expect(e.details).toMatchObject({ reason: 'no_pos_config', configId: 99 });
  });

  it('without the addon fields (fields_get) takes the first config and leaves nu_hub_* out', async () => {
    const rpc = await rpcWith((model, method) =>
      model === 'pos.config' && method === 'fields_get'
        ? {
            group_pos_manager_id: { type: 'many2one' },
            group_pos_user_id: { type: 'many2one' },
            floor_ids: { type: 'one2many' },
          }
        : undefined,
    );
    const catalog = await loadCatalogFrom(rpc);
    expect(catalog.config).toEqual({ id: 1, name: 'Main Restaurant', pricelist_id: 1, journal_ids: [7, 8] });
    expect(catalog.floors).toHaveLength(2);
  });

  it('lists users without roles when res.users.groups_id is refused to the hub user', async () => {
    const warnings: string[] = [];
    const rpc = await rpcWith((model, method, kwargs) => {
      if (model === 'res.users' && method === 'search_read' && (kwargs.fields as string[]).includes('groups_id')) {
        throw new HubError('ODOO_REJECTED', 'You are not allowed to access Users (res.users) records.', {
          details: { exceptionType: 'access_error' },
        });
      }
      return undefined;
    });
    const catalog = await loadCatalogFrom(rpc, { warn: (m) => warnings.push(m) });
    expect(catalog.users).toEqual([
      { id: 7, login: 'manager', name: 'Marta Manager' },
      { id: 2, login: 'admin', name: 'Mitchell Admin' },
      { id: 6, login: 'pos-hub', name: 'POS Hub Service' },
      { id: 8, login: 'waiter', name: 'Walter Waiter' },
    ]);
    expect(warnings).toEqual([expect.stringContaining('groups_id is not readable')]);
  });

  it('a missing open session is a clear HubError, from the loader and from the simulator route', async () => {
    odoo.sim.setPosSessionState(SIM_POS_SESSION.id, 'closed');
    const e = await failure(loadCatalog(client()));
    expect(e.code).toBe('ODOO_REJECTED');
    expect(e.retryable).toBe(false);
    expect(e.message).toBe(
      'No open POS session for "Main Restaurant" (pos.config 1): open a session in Odoo (Point of Sale → New Session)',
    );
    expect(e.details).toMatchObject({ reason: 'no_open_session', configId: 1 });
    const route = await simRoute();
    expect(route.status).toBe(503);
    expect(route.body).toEqual({ code: 'ODOO_REJECTED', message: e.message });
  });

  it('unreachable Odoo is ODOO_UNREACHABLE', async () => {
    await odoo.sim.refuse();
    const e = await failure(loadCatalog(client()));
    expect(e.code).toBe('ODOO_UNREACHABLE');
    expect(e.retryable).toBe(true);
  });

  it('Odoo answering 503 mid-catalog is ODOO_UNREACHABLE too', async () => {
    odoo.sim.setFaults({ http: { status: 503, count: 1, match: 'product.product.search_read' } });
    expect((await failure(loadCatalog(client()))).code).toBe('ODOO_UNREACHABLE');
  });
});

describe('the simulator read side, as 12.0', () => {
  it('search_read honours =, !=, in, booleans and multi-key order, with Many2one as [id, name]', async () => {
    const c = client();
    const rows = await c.callKw<Array<Record<string, unknown>>>('product.product', 'search_read', [], {
      domain: ['&', ['sale_ok', '=', true], ['id', '!=', 101]],
      fields: ['display_name', 'pos_categ_id'],
      order: 'pos_categ_id desc, id asc',
    });
    expect(rows).toHaveLength(SIM_PRODUCTS.length - 1);
    expect(rows[0]).toEqual({ id: 401, display_name: 'Flan', pos_categ_id: [4, 'Desserts'] });
    const terrace = await c.callKw<Array<Record<string, unknown>>>('restaurant.table', 'search_read', [
      [['floor_id', 'in', [2]]],
      ['name', 'floor_id'],
    ]);
    expect(terrace.map((t) => t.name)).toEqual(['T9', 'T10', 'T11', 'T12']);
    expect(terrace[0]?.floor_id).toEqual([2, 'Terrace']);
    const none = await c.callKw<unknown[]>('account.tax', 'search_read', [[['price_include', '=', true]]], {
      fields: ['name'],
    });
    expect(none).toEqual([]);
    const bad = await failure(c.callKw('product.product', 'search_read', [[['nope', '=', 1]]]));
    expect(bad.details).toMatchObject({ exceptionName: 'builtins.ValueError' });
  });

  it('read skips ids that do not exist and renders Many2one; fields_get answers only existing fields', async () => {
    const c = client();
    const read = await c.callKw<unknown[]>('res.users', 'read', [
      [SIM_USERS.waiter.id, 99_999],
      ['name', 'company_id'],
    ]);
    expect(read).toEqual([{ id: SIM_USERS.waiter.id, name: 'Walter Waiter', company_id: [1, 'My Company'] }]);
    const fields = await c.callKw<Record<string, unknown>>('pos.config', 'fields_get', [], {
      allfields: ['nu_hub_enabled', 'pricelist_id', 'no_such_field'],
      attributes: ['type'],
    });
    expect(fields).toEqual({ nu_hub_enabled: { type: 'boolean' }, pricelist_id: { type: 'many2one' } });
    const statements = await c.callKw<unknown[]>('account.bank.statement', 'search_read', [
      [['pos_session_id', '=', SIM_POS_SESSION.id]],
      ['journal_id', 'state'],
    ]);
    expect(statements).toEqual([
      { id: 420, journal_id: [7, 'Cash'], state: 'open' },
      { id: 421, journal_id: [8, 'Card'], state: 'open' },
    ]);
  });
});
