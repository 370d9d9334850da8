/**
 * The terminal catalog's JSON shape and the pure mapping from stock Odoo 12 search_read rows to it.
 * Shared by the hub (catalog.ts, over JSON-RPC) and the Odoo simulator's /pos-hub-sim/catalog route,
 * so the two cannot drift; the field names are the ones src/terminal-app/catalog.ts parses.
 */

import type { CatalogTable } from '../../protocol/catalog-table.js';

type Row = Readonly<Record<string, unknown>>;

export interface CatalogJson {
  readonly db: string;
  readonly config: {
    readonly id: number;
    readonly name: string;
    readonly pricelist_id: number | null;
    readonly journal_ids: readonly number[];
    /** The reference addon's fields, present only when Odoo has them. */
    readonly nu_hub_enabled?: boolean;
    readonly nu_hub_url?: string;
    readonly nu_hub_fallback_ip?: string;
  };
  readonly session: {
    readonly id: number;
    readonly name: string;
    readonly statements: readonly { readonly id: number; readonly journalId: number }[];
  };
  readonly pricelist: { readonly id: number; readonly name: string } | null;
  readonly journals: readonly { readonly id: number; readonly name: string; readonly type: string }[];
  readonly taxes: readonly {
    readonly id: number;
    readonly name: string;
    readonly amount: number;
    readonly priceInclude: boolean;
    readonly amountType: string;
  }[];
  readonly products: readonly {
    readonly id: number;
    readonly name: string;
    readonly price: number;
    readonly taxIds: readonly number[];
    readonly category: string | null;
    readonly barcode: string | null;
  }[];
  readonly floors: readonly { readonly id: number; readonly name: string; readonly tables: readonly CatalogTable[] }[];
  readonly users: readonly {
    readonly id: number;
    readonly login: string;
    readonly name: string;
    readonly role?: 'manager' | 'cashier';
  }[];
}

export type { CatalogTable };

/** What the loader read from Odoo, as search_read/read returned it. */
export interface CatalogRows {
  readonly db: string;
  readonly config: Row;
  readonly session: Row;
  readonly statements: readonly Row[];
  readonly journals: readonly Row[];
  readonly pricelist: Row | null;
  readonly taxes: readonly Row[];
  readonly products: readonly Row[];
  readonly floors: readonly Row[];
  readonly tables: readonly Row[];
  readonly users: readonly Row[];
  /** false when res.users.groups_id could not be read: roles are then omitted. */
  readonly usersHaveGroups: boolean;
}

/** The reference addon's pos.config fields, requested only when fields_get reports them. */
export const OPTIONAL_CONFIG_FIELDS = ['nu_hub_enabled', 'nu_hub_url', 'nu_hub_fallback_ip'] as const;

const num = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
/** Many2one read as `[id, "display name"]` or false. */
export const m2oId = (v: unknown): number | null => (Array.isArray(v) && typeof v[0] === 'number' ? v[0] : null);
const m2oName = (v: unknown): string | null => (Array.isArray(v) && typeof v[1] === 'string' ? v[1] : null);
/** x2many read as a list of ids. */
export const ids = (v: unknown): number[] =>
  Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];

/** models.js puts cash registers first, then by journal sequence. */
function journalRank(journals: readonly Row[]): (journalId: number) => [number, number, number] {
  const byId = new Map(journals.map((j) => [num(j.id), j]));
  return (id) => {
    const j = byId.get(id);
    return [j?.type === 'cash' ? 0 : 1, num(j?.sequence, Number.MAX_SAFE_INTEGER), id];
  };
}

const compareTuples = (a: readonly number[], b: readonly number[]): number => {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
};

export function mapCatalog(rows: CatalogRows): CatalogJson {
  const { config } = rows;
  const rank = journalRank(rows.journals);
  const statements = rows.statements
    .map((s) => ({ id: num(s.id), journalId: m2oId(s.journal_id) ?? 0 }))
    .sort((a, b) => compareTuples(rank(a.journalId), rank(b.journalId)) || a.id - b.id);
  const journals = rows.journals
    .map((j) => ({ id: num(j.id), name: str(j.name), type: str(j.type) }))
    .sort((a, b) => compareTuples(rank(a.id), rank(b.id)));
  const hubFields: Record<string, unknown> = {};
  for (const f of OPTIONAL_CONFIG_FIELDS) {
    if (!Object.hasOwn(config, f)) continue;
    // An unset Char comes back as false; the shape keeps strings.
    hubFields[f] = f === 'nu_hub_enabled' ? config[f] === true : str(config[f]);
  }
  const managerGroup = m2oId(config.group_pos_manager_id);
  const userGroup = m2oId(config.group_pos_user_id);
  const users = rows.users.flatMap((u) => {
    const base = { id: num(u.id), login: str(u.login), name: str(u.name) };
    if (!rows.usersHaveGroups) return [base];
    // models.js: manager wins, then cashier; a user in neither POS group is not a POS user.
    const groups = ids(u.groups_id);
    const role =
      managerGroup !== null && groups.includes(managerGroup)
        ? 'manager'
        : userGroup !== null && groups.includes(userGroup)
          ? 'cashier'
          : null;
    return role === null ? [] : [{ ...base, role }];
  });
  return {
    db: rows.db,
    config: {
      id: num(config.id),
      name: str(config.name),
      ...hubFields,
      pricelist_id: m2oId(config.pricelist_id),
      journal_ids: ids(config.journal_ids),
    },
    session: { id: num(rows.session.id), name: str(rows.session.name), statements },
    pricelist:
      rows.pricelist === null
        ? null
        : { id: num(rows.pricelist.id), name: str(rows.pricelist.name, str(rows.pricelist.display_name)) },
    journals,
    taxes: rows.taxes.map((t) => ({
      id: num(t.id),
      name: str(t.name),
      amount: num(t.amount),
      priceInclude: t.price_include === true,
      amountType: str(t.amount_type, 'percent'),
    })),
    products: rows.products.map((p) => ({
      id: num(p.id),
      name: str(p.display_name, str(p.name)),
      price: num(p.lst_price),
      taxIds: ids(p.taxes_id),
      category: m2oName(p.pos_categ_id),
      barcode: typeof p.barcode === 'string' && p.barcode !== '' ? p.barcode : null,
    })),
    floors: rows.floors.map((f) => {
      const floorId = num(f.id);
      const tables = rows.tables
        .filter((t) => m2oId(t.floor_id) === floorId)
        .map((t) => ({
          id: num(t.id),
          name: str(t.name),
          floorId,
          seats: num(t.seats),
          x: num(t.position_h),
          y: num(t.position_v),
          width: num(t.width),
          height: num(t.height),
          shape: str(t.shape, 'square'),
        }));
      return { id: floorId, name: str(f.name), tables };
    }),
    users,
  };
}
