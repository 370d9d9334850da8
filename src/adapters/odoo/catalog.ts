/**
 * The terminal catalog read from a stock Odoo 12 with the hub's own session: the same models, domains
 * and read/search_read calls the 12.0 POS web client's models.js makes (pos.config, the open
 * pos.session, its bank statements and journals, pricelist, taxes, POS products, restaurant floors and
 * tables, POS users), mapped by catalog-map.ts. A real Odoo has no catalog route; this is the hub's.
 */
import { HubError } from '../../protocol/errors.js';
import type { OdooClient } from './client.js';
import { type CatalogJson, type CatalogRows, OPTIONAL_CONFIG_FIELDS, m2oId, mapCatalog } from './catalog-map.js';

export type { CatalogJson } from './catalog-map.js';

type Row = Record<string, unknown>;

/** The two things the loader needs from a JSON-RPC connection (the simulator passes a local one). */
export interface CatalogRpc {
  readonly db: string;
  /** The calling user (res.users.read of it gives the company, as models.js does). */
  readonly uid: number;
  callKw<T>(model: string, method: string, args: readonly unknown[], kwargs?: Record<string, unknown>): Promise<T>;
}

export interface LoadCatalogOptions {
  /** pos.config to serve; default: the first with nu_hub_enabled (when the field exists), else the first. */
  readonly configId?: number;
  /** Told when a part of the catalog had to be left out (e.g. user groups not readable). */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
}

/** models.js sends display_default_code false so product names come without "[CODE] ". */
const CONTEXT = { display_default_code: false };

const CONFIG_FIELDS = [
  'id',
  'name',
  'pricelist_id',
  'journal_ids',
  'company_id',
  'group_pos_manager_id',
  'group_pos_user_id',
];
const SESSION_FIELDS = ['id', 'name', 'state', 'user_id', 'config_id', 'statement_ids'];
const STATEMENT_FIELDS = ['journal_id', 'state', 'name', 'pos_session_id'];
const JOURNAL_FIELDS = ['name', 'type', 'sequence'];
const TAX_FIELDS = ['name', 'amount', 'price_include', 'include_base_amount', 'amount_type', 'children_tax_ids'];
const PRODUCT_FIELDS = [
  'display_name',
  'lst_price',
  'taxes_id',
  'pos_categ_id',
  'categ_id',
  'barcode',
  'default_code',
  'to_weight',
  'uom_id',
];
const FLOOR_FIELDS = ['name', 'background_color', 'table_ids', 'sequence'];
const TABLE_FIELDS = ['name', 'width', 'height', 'position_h', 'position_v', 'shape', 'floor_id', 'color', 'seats'];

/** The hub's catalog: log in if needed, then read everything with the hub's session. */
export async function loadCatalog(client: OdooClient, opts: LoadCatalogOptions = {}): Promise<CatalogJson> {
  const info = await client.hubSessionInfo();
  return loadCatalogFrom(
    { db: info.db, uid: info.uid, callKw: (model, method, args, kwargs) => client.callKw(model, method, args, kwargs) },
    opts,
  );
}

function notReady(message: string, details: Record<string, unknown>): HubError {
  // Not retryable by repeating the same call now: someone must change Odoo (open a session, enable a config).
  return new HubError('ODOO_REJECTED', message, { retryable: false, details: { rpc: 'catalog', ...details } });
}

export async function loadCatalogFrom(rpc: CatalogRpc, opts: LoadCatalogOptions = {}): Promise<CatalogJson> {
  const searchRead = (
    model: string,
    domain: unknown[],
    fields: string[],
    order: string,
    limit?: number,
  ): Promise<Row[]> =>
    rpc.callKw<Row[]>(model, 'search_read', [], {
      domain,
      fields,
      order,
      ...(limit === undefined ? {} : { limit }),
      context: CONTEXT,
    });

  const [me] = await rpc.callKw<Row[]>('res.users', 'read', [[rpc.uid], ['name', 'company_id']], { context: CONTEXT });
  const companyId = m2oId(me?.company_id);
  // fields_get tells which optional fields this Odoo has (the addon's nu_hub_*, pos_restaurant's floor_ids).
  const known = await rpc.callKw<Record<string, unknown>>('pos.config', 'fields_get', [], {
    allfields: [...OPTIONAL_CONFIG_FIELDS, 'floor_ids', 'group_pos_manager_id', 'group_pos_user_id'],
    attributes: ['type'],
    context: CONTEXT,
  });
  const has = (field: string): boolean => Object.hasOwn(known, field);
  const configFields = [
    ...CONFIG_FIELDS.filter((f) => !f.startsWith('group_') || has(f)),
    ...OPTIONAL_CONFIG_FIELDS.filter(has),
  ];

  let configs: Row[];
  if (opts.configId !== undefined) {
    configs = await searchRead('pos.config', [['id', '=', opts.configId]], configFields, 'id', 1);
  } else {
    configs = has('nu_hub_enabled')
      ? await searchRead('pos.config', [['nu_hub_enabled', '=', true]], configFields, 'id', 1)
      : [];
    if (configs.length === 0) {
      if (has('nu_hub_enabled')) opts.warn?.('no pos.config has nu_hub_enabled; serving the first one', {});
      configs = await searchRead('pos.config', [], configFields, 'id', 1);
    }
  }
  const config = configs[0];
  if (config === undefined) {
    throw notReady(
      opts.configId === undefined
        ? 'Odoo has no active POS config (pos.config)'
        : `Odoo has no active POS config with id ${opts.configId}`,
      {
        reason: 'no_pos_config',
        configId: opts.configId ?? null,
      },
    );
  }
  const configId = Number(config.id);
  const configName = String(config.name);

  const sessions = await searchRead(
    'pos.session',
    [
      ['state', '=', 'opened'],
      ['config_id', '=', configId],
      ['rescue', '=', false],
    ],
    SESSION_FIELDS,
    'id',
    1,
  );
  const session = sessions[0];
  if (session === undefined) {
    throw notReady(
      `No open POS session for "${configName}" (pos.config ${configId}): open a session in Odoo (Point of Sale → New Session)`,
      {
        reason: 'no_open_session',
        configId,
      },
    );
  }
  const sessionId = Number(session.id);

  // Everything below depends only on the config and the session: asked in parallel (two round trips deep instead of nine in a row).
  const pricelistId = m2oId(config.pricelist_id);
  const [[statements, journals], pricelists, taxes, products, [floors, tables], { users, usersHaveGroups }] =
    await Promise.all([
      (async (): Promise<[Row[], Row[]]> => {
        const st = await searchRead(
          'account.bank.statement',
          [
            ['state', '=', 'open'],
            ['pos_session_id', '=', sessionId],
          ],
          STATEMENT_FIELDS,
          'id',
        );
        const journalIds = [...new Set(st.map((s) => m2oId(s.journal_id)).filter((id): id is number => id !== null))];
        return [
          st,
          journalIds.length === 0
            ? []
            : await searchRead('account.journal', [['id', 'in', journalIds]], JOURNAL_FIELDS, 'sequence, id'),
        ];
      })(),
      pricelistId === null
        ? Promise.resolve([])
        : searchRead('product.pricelist', [['id', 'in', [pricelistId]]], ['name', 'display_name'], 'id'),
      searchRead('account.tax', [['company_id', '=', companyId ?? false]], TAX_FIELDS, 'sequence, id'),
      searchRead(
        'product.product',
        [
          ['sale_ok', '=', true],
          ['available_in_pos', '=', true],
        ],
        PRODUCT_FIELDS,
        'sequence, default_code, name, id',
      ),
      (async (): Promise<[Row[], Row[]]> => {
        // restaurant.floor exists only with pos_restaurant, which adds pos.config.floor_ids.
        if (!has('floor_ids')) return [[], []];
        const fl = await searchRead(
          'restaurant.floor',
          [['pos_config_id', '=', configId]],
          FLOOR_FIELDS,
          'sequence, name, id',
        );
        const floorIds = fl.map((f) => Number(f.id));
        return [
          fl,
          floorIds.length === 0
            ? []
            : await searchRead('restaurant.table', [['floor_id', 'in', floorIds]], TABLE_FIELDS, 'id'),
        ];
      })(),
      loadUsers(searchRead, config, companyId, opts),
    ]);
  const rows: CatalogRows = {
    db: rpc.db,
    config,
    session,
    statements,
    journals,
    pricelist: pricelists[0] ?? null,
    taxes,
    products,
    floors,
    tables,
    users,
    usersHaveGroups,
  };
  return mapCatalog(rows);
}

type SearchRead = (model: string, domain: unknown[], fields: string[], order: string, limit?: number) => Promise<Row[]>;

/**
 * The POS users as models.js loads them (company, member of a POS group) with groups_id for the role.
 * Roles per terminal come from has_group at AUTH; here they are informative, so an Odoo that refuses
 * groups_id to the hub user still gets a user list, without roles.
 */
async function loadUsers(
  searchRead: SearchRead,
  config: Row,
  companyId: number | null,
  opts: LoadCatalogOptions,
): Promise<{ users: Row[]; usersHaveGroups: boolean }> {
  const groupIds = [m2oId(config.group_pos_manager_id), m2oId(config.group_pos_user_id)].filter(
    (id): id is number => id !== null,
  );
  const domain: unknown[] = [['company_id', '=', companyId ?? false]];
  if (groupIds.length > 0) domain.push(['groups_id', 'in', groupIds]);
  if (groupIds.length === 0) {
    opts.warn?.('pos.config has no POS group fields; users are listed without roles', {});
    return { users: await searchRead('res.users', domain, ['name', 'login'], 'name, login'), usersHaveGroups: false };
  }
  try {
    return {
      users: await searchRead('res.users', domain, ['name', 'login', 'groups_id'], 'name, login'),
      usersHaveGroups: true,
    };
  } catch (error) {
    if (!(error instanceof HubError) || error.code !== 'ODOO_REJECTED') throw error;
    opts.warn?.('res.users.groups_id is not readable by the hub user; users are listed without roles', {
      error: error.message,
    });
    return { users: await searchRead('res.users', domain, ['name', 'login'], 'name, login'), usersHaveGroups: false };
  }
}
