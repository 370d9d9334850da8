/**
 * The simulator's seeded restaurant: one database, taxes, products, a POS config (id 1) with the hub
 * fields, an open POS session (id 42) with a cash and a card statement, two floors of tables, and the
 * users (manager, waiter, the hub's own user, dev admin) with known passwords and pre-issued live
 * session ids, so tests, the demo and the terminal page can authenticate without a login round trip.
 */
import type { CatalogTable } from '../protocol/catalog-table.js';

export const SIM_DB = 'pos';

/** POS groups as `ir.model.data` would resolve them (res.groups ids). */
export const GROUP_IDS = {
  'base.group_user': 1,
  'base.group_system': 2,
  'point_of_sale.group_pos_user': 10,
  'point_of_sale.group_pos_manager': 11,
} as const;
export type GroupXmlId = keyof typeof GROUP_IDS;

export interface SeedUser {
  readonly id: number;
  readonly login: string;
  readonly password: string;
  readonly name: string;
  readonly partnerId: number;
  readonly groups: readonly GroupXmlId[];
  /** A live session issued at boot (40 lowercase hex, like werkzeug's sha1 keys); null for none. */
  readonly sessionId: string | null;
}

export const SIM_USERS = {
  admin: {
    id: 2,
    login: 'admin',
    password: 'admin',
    name: 'Mitchell Admin',
    partnerId: 3,
    groups: ['base.group_user', 'base.group_system', 'point_of_sale.group_pos_user', 'point_of_sale.group_pos_manager'],
    sessionId: null,
  },
  hub: {
    id: 6,
    login: 'pos-hub',
    password: 'hub-secret',
    name: 'POS Hub Service',
    partnerId: 7,
    groups: ['base.group_user', 'point_of_sale.group_pos_user', 'point_of_sale.group_pos_manager'],
    sessionId: null,
  },
  manager: {
    id: 7,
    login: 'manager',
    password: 'manager-pass',
    name: 'Marta Manager',
    partnerId: 8,
    groups: ['base.group_user', 'point_of_sale.group_pos_user', 'point_of_sale.group_pos_manager'],
    sessionId: '7a11ce0000000000000000000000000000000007',
  },
  waiter: {
    id: 8,
    login: 'waiter',
    password: 'waiter-pass',
    name: 'Walter Waiter',
    partnerId: 9,
    groups: ['base.group_user', 'point_of_sale.group_pos_user'],
    sessionId: 'b0b0000000000000000000000000000000000008',
  },
} as const satisfies Record<string, SeedUser>;

export const MANAGER_SESSION_ID = SIM_USERS.manager.sessionId;
export const WAITER_SESSION_ID = SIM_USERS.waiter.sessionId;
export const HUB_LOGIN = SIM_USERS.hub.login;
export const HUB_PASSWORD = SIM_USERS.hub.password;

export interface SeedTax {
  readonly id: number;
  readonly name: string;
  readonly amount: number;
  readonly priceInclude: boolean;
}
export const SIM_TAXES: readonly SeedTax[] = [
  { id: 1, name: 'ITBIS 18%', amount: 18, priceInclude: false },
  { id: 2, name: 'Servicio 10%', amount: 10, priceInclude: false },
];

export interface SeedProduct {
  readonly id: number;
  readonly name: string;
  readonly price: number;
  readonly taxIds: readonly number[];
  readonly category: string;
}
export const SIM_PRODUCTS: readonly SeedProduct[] = [
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
];

export const SIM_PRICELIST = { id: 1, name: 'Public Pricelist' } as const;

export interface SeedJournal {
  readonly id: number;
  readonly name: string;
  readonly type: 'cash' | 'bank';
}
export const SIM_JOURNALS: readonly SeedJournal[] = [
  { id: 7, name: 'Cash', type: 'cash' },
  { id: 8, name: 'Card', type: 'bank' },
];

export const SIM_POS_CONFIG = {
  id: 1,
  name: 'Main Restaurant',
  nu_hub_enabled: true,
  nu_hub_url: '',
  nu_hub_fallback_ip: '',
  pricelist_id: SIM_PRICELIST.id,
  journal_ids: SIM_JOURNALS.map((j) => j.id),
  sequence_prefix: 'Main/',
} as const;

/** The open session and its statements (cash registers), one per journal. */
export const SIM_POS_SESSION = {
  id: 42,
  name: 'POS/2026/0042',
  configId: SIM_POS_CONFIG.id,
  userId: SIM_USERS.manager.id,
  statements: [
    { id: 420, journalId: 7 },
    { id: 421, journalId: 8 },
  ],
} as const;

/** The seeded tables have the catalog's table shape (src/protocol/catalog-table.ts). */
export type SeedTable = CatalogTable;
export const SIM_FLOORS = [
  { id: 1, name: 'Main Dining' },
  { id: 2, name: 'Terrace' },
] as const;
export const SIM_TABLES: readonly SeedTable[] = Array.from({ length: 12 }, (_, i) => {
  const n = i + 1;
  const floorId = n <= 8 ? 1 : 2;
  const col = (n - 1) % 4;
  const row = Math.floor(((n <= 8 ? n : n - 8) - 1) / 4);
  return { id: n, name: `T${n}`, floorId, seats: n % 3 === 0 ? 6 : n % 2 === 0 ? 4 : 2, x: 40 + col * 140, y: 40 + row * 140, shape: n % 2 ? 'round' : 'square', width: 100, height: 100 };
});

/** res.company of every seeded record (account.tax, res.users and pos.config are read per company). */
export const SIM_COMPANY = { id: 1, name: 'My Company', currency: 'DOP' } as const;
