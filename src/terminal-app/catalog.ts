/**
 * The products, taxes, floors and payment method the page sells with. Fetched from the hub's
 * GET /api/catalog (the same JSON as the Odoo simulator's /pos-hub-sim/catalog) and remembered in
 * localStorage so a reload works offline. The page carries no copy of its own: until the hub's (or a
 * cached) catalog is here it shows an empty floor and rings nothing up.
 */
import type { Pricing } from '../domain/pricing.js';
import type { CatalogTable } from '../protocol/catalog-table.js';

export interface Product {
  readonly id: number;
  readonly name: string;
  readonly price: number;
  readonly taxIds: readonly number[];
  readonly category: string;
}


export interface Floor {
  readonly id: number;
  readonly name: string;
  readonly tables: readonly CatalogTable[];
}

export interface Catalog {
  readonly configId: number;
  readonly sessionId: number;
  readonly userId: number;
  /** The config's pricelist: Odoo's create_from_ui requires one on every order. */
  readonly pricelistId: number;
  readonly products: readonly Product[];
  readonly taxes: readonly { readonly id: number; readonly amount: number }[];
  readonly floors: readonly Floor[];
  /** The one payment line the page takes: the first journal and its statement in the session. */
  readonly payment: { readonly journalId: number; readonly statementId: number; readonly name: string };
  readonly staff: readonly string[];
  readonly sendChangesToKitchen: boolean;
}

/** 'none': nothing from the hub yet and nothing cached. */
export type CatalogSource = 'hub' | 'cache' | 'none';

export const CATALOG_STORAGE_KEY = 'pos_terminal_catalog';

/** Odoo 12's restaurant.table default width and height. */
const ODOO_TABLE_SIZE = 50;

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);

/** Accepts the simulator's catalog JSON; null when the essentials (config, session, products) are missing. */
export function parseCatalog(raw: unknown): Catalog | null {
  if (!isObj(raw) || !isObj(raw.config) || !isObj(raw.session)) return null;
  const configId = num(raw.config.id);
  const sessionId = num(raw.session.id);
  if (configId === null || sessionId === null) return null;
  const products: Product[] = [];
  for (const p of arr(raw.products)) {
    if (!isObj(p)) continue;
    const id = num(p.id);
    const price = num(p.price);
    if (id === null || price === null) continue;
    products.push({ id, name: str(p.name, `#${id}`), price, taxIds: arr(p.taxIds).filter((t): t is number => typeof t === 'number'), category: str(p.category, 'Other') });
  }
  if (products.length === 0) return null;
  const taxes = arr(raw.taxes).flatMap((t) => (isObj(t) && num(t.id) !== null && num(t.amount) !== null ? [{ id: num(t.id)!, amount: num(t.amount)! }] : []));
  const floors: Floor[] = arr(raw.floors).flatMap((f) => {
    if (!isObj(f) || num(f.id) === null) return [];
    const floorId = num(f.id)!;
    const tables = arr(f.tables).flatMap((t): CatalogTable[] => {
      if (!isObj(t) || num(t.id) === null) return [];
      const id = num(t.id)!;
      const size = (v: unknown): number => num(v) ?? ODOO_TABLE_SIZE;
      return [{ id, name: str(t.name, `T${id}`), floorId, seats: num(t.seats) ?? 0, x: num(t.x) ?? 0, y: num(t.y) ?? 0, width: size(t.width), height: size(t.height), shape: str(t.shape, 'square') }];
    });
    return [{ id: floorId, name: str(f.name, `Floor ${floorId}`), tables }];
  });
  const journals = arr(raw.journals).filter(isObj);
  const statements = arr(raw.session.statements).filter(isObj);
  const journal = journals[0];
  const journalId = num(journal?.id) ?? num(statements[0]?.journalId) ?? 1;
  const statementId = num(statements.find((s) => num(s.journalId) === journalId)?.id) ?? num(statements[0]?.id) ?? 1;
  const users = arr(raw.users).filter(isObj);
  const manager = users.find((u) => u.role === 'manager' && typeof u.sessionId === 'string') ?? users.find((u) => u.role === 'manager') ?? users[0];
  return {
    configId,
    sessionId,
    userId: num(manager?.id) ?? 1,
    pricelistId: num(isObj(raw.pricelist) ? raw.pricelist.id : undefined) ?? num(raw.config.pricelist_id) ?? 1,
    products,
    taxes,
    floors,
    payment: { journalId, statementId, name: str(journal?.name, 'Cash') },
    staff: users.filter((u) => u.login !== 'pos-hub' && u.login !== 'admin').map((u) => str(u.name, '')).filter((n) => n.length > 0),
    sendChangesToKitchen: raw.config.send_changes_to_kitchen !== false,
  };
}

export function pricingOf(catalog: Catalog): Pricing {
  return { taxRates: Object.fromEntries(catalog.taxes.map((t) => [t.id, t.amount])) };
}

export function tableName(catalog: Catalog, tableId: number | null): string {
  if (tableId === null) return 'No table';
  for (const floor of catalog.floors) for (const t of floor.tables) if (t.id === tableId) return t.name;
  return `T${tableId}`;
}

/** Before any catalog arrives: no products, no floors; the controller refuses to ring anything up. */
export const EMPTY_CATALOG: Catalog = {
  configId: 0,
  sessionId: 0,
  userId: 0,
  pricelistId: 0,
  products: [],
  taxes: [],
  floors: [],
  payment: { journalId: 0, statementId: 0, name: 'Cash' },
  staff: [],
  sendChangesToKitchen: true,
};
