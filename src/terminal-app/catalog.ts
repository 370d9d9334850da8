/**
 * The products, taxes, floors and payment method the page sells with. Fetched from the hub's
 * GET /api/catalog (the same JSON as the Odoo simulator's /pos-hub-sim/catalog), remembered in
 * localStorage so a reload works offline, and — for a first load with no hub at all — an embedded
 * copy of the simulator's seed, so the page is never empty.
 */
import type { Pricing } from '../domain/pricing.js';

export interface Product {
  readonly id: number;
  readonly name: string;
  readonly price: number;
  readonly taxIds: readonly number[];
  readonly category: string;
}

export interface TableInfo {
  readonly id: number;
  readonly name: string;
  readonly floorId: number;
  readonly seats: number;
  readonly x: number;
  readonly y: number;
  readonly shape: string;
}

export interface Floor {
  readonly id: number;
  readonly name: string;
  readonly tables: readonly TableInfo[];
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

export type CatalogSource = 'hub' | 'cache' | 'embedded';

export const CATALOG_STORAGE_KEY = 'pos_terminal_catalog';

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
    const tables = arr(f.tables).flatMap((t): TableInfo[] => {
      if (!isObj(t) || num(t.id) === null) return [];
      const id = num(t.id)!;
      return [{ id, name: str(t.name, `T${id}`), floorId, seats: num(t.seats) ?? 0, x: num(t.x) ?? 0, y: num(t.y) ?? 0, shape: str(t.shape, 'square') }];
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

/** A copy of the Odoo simulator's seed (src/odoo-sim/seed.ts), for a first load with no hub reachable. */
export const EMBEDDED_CATALOG_JSON = {
  config: { id: 1, name: 'Main Restaurant', pricelist_id: 1 },
  pricelist: { id: 1, name: 'Public Pricelist' },
  session: { id: 42, statements: [{ id: 420, journalId: 7 }, { id: 421, journalId: 8 }] },
  journals: [{ id: 7, name: 'Cash', type: 'cash' }, { id: 8, name: 'Card', type: 'bank' }],
  taxes: [{ id: 1, name: 'ITBIS 18%', amount: 18 }, { id: 2, name: 'Servicio 10%', amount: 10 }],
  products: [
    { id: 101, name: 'Espresso', price: 90, taxIds: [1], category: 'Drinks' },
    { id: 102, name: 'Cappuccino', price: 140, taxIds: [1], category: 'Drinks' },
    { id: 103, name: 'Fresh Orange Juice', price: 160, taxIds: [1], category: 'Drinks' },
    { id: 104, name: 'Presidente Beer', price: 180, taxIds: [1, 2], category: 'Drinks' },
    { id: 201, name: 'Tostones', price: 220, taxIds: [1, 2], category: 'Starters' },
    { id: 202, name: 'Empanadas (3)', price: 260, taxIds: [1, 2], category: 'Starters' },
    { id: 301, name: 'Sancocho', price: 480, taxIds: [1, 2], category: 'Mains' },
    { id: 302, name: 'Mofongo with Shrimp', price: 650, taxIds: [1, 2], category: 'Mains' },
    { id: 303, name: 'La Bandera', price: 420, taxIds: [1, 2], category: 'Mains' },
    { id: 304, name: 'Grilled Chillo', price: 790, taxIds: [1, 2], category: 'Mains' },
    { id: 401, name: 'Flan', price: 190, taxIds: [1], category: 'Desserts' },
    { id: 402, name: 'Habichuelas con Dulce', price: 210, taxIds: [1], category: 'Desserts' },
  ],
  floors: [
    { id: 1, name: 'Main Dining', tables: [1, 2, 3, 4, 5, 6, 7, 8].map(seedTable) },
    { id: 2, name: 'Terrace', tables: [9, 10, 11, 12].map(seedTable) },
  ],
  users: [
    { id: 7, login: 'manager', name: 'Marta Manager', role: 'manager', sessionId: '7a11ce0000000000000000000000000000000007' },
    { id: 8, login: 'waiter', name: 'Walter Waiter', role: 'cashier', sessionId: 'b0b0000000000000000000000000000000000008' },
  ],
};

function seedTable(n: number): Json {
  const col = (n - 1) % 4;
  const row = Math.floor(((n <= 8 ? n : n - 8) - 1) / 4);
  return { id: n, name: `T${n}`, floorId: n <= 8 ? 1 : 2, seats: n % 3 === 0 ? 6 : n % 2 === 0 ? 4 : 2, x: 40 + col * 140, y: 40 + row * 140, shape: n % 2 ? 'round' : 'square' };
}
