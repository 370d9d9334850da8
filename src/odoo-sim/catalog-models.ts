/**
 * The read-only Odoo 12 models the POS web client (and the hub's catalog loader) reads, built from the
 * seed with 12.0 field names: pos.config, account.bank.statement, account.journal, product.pricelist,
 * account.tax, product.product, restaurant.floor, restaurant.table. Many2one fields hold raw ids here
 * (so domains compare ids) with a display-name function per field, rendered `[id, name]` by read.
 */
import type { PosSessionRec } from './pos-records.js';
import {
  GROUP_IDS,
  SIM_COMPANY,
  SIM_FLOORS,
  SIM_JOURNALS,
  SIM_POS_CONFIG,
  SIM_PRICELIST,
  SIM_PRODUCTS,
  SIM_TABLES,
  SIM_TAXES,
} from './seed.js';

type Dict = Record<string, unknown>;

export interface SimModel {
  readonly rows: () => Dict[];
  /** Many2one fields of the model and the display name of a target id. */
  readonly many2one: Readonly<Record<string, (id: number) => string | undefined>>;
}

/** pos.category ids for the seed's category names, in first-seen order. */
const POS_CATEGORIES: readonly string[] = [...new Set(SIM_PRODUCTS.map((p) => p.category))];
const posCategoryId = (name: string): number => POS_CATEGORIES.indexOf(name) + 1;

const company = (): string => SIM_COMPANY.name;
const journalName = (id: number): string | undefined => SIM_JOURNALS.find((j) => j.id === id)?.name;
/** 12.0 product.pricelist.name_get: "<name> (<currency>)". */
const pricelistName = (id: number): string | undefined =>
  id === SIM_PRICELIST.id ? `${SIM_PRICELIST.name} (${SIM_COMPANY.currency})` : undefined;
/** res.groups display names are "<category> / <name>". */
const groupName = (id: number): string | undefined =>
  ({
    [GROUP_IDS['point_of_sale.group_pos_manager']]: 'Point of Sale / Manager',
    [GROUP_IDS['point_of_sale.group_pos_user']]: 'Point of Sale / User',
  })[id];

/** The catalog models over the live session table (statements follow sessions, rescue ones included). */
export function catalogModels(sessions: ReadonlyMap<number, PosSessionRec>): Readonly<Record<string, SimModel>> {
  return {
    'pos.config': {
      rows: () => [
        {
          id: SIM_POS_CONFIG.id,
          name: SIM_POS_CONFIG.name,
          active: true,
          nu_hub_enabled: SIM_POS_CONFIG.nu_hub_enabled,
          nu_hub_url: SIM_POS_CONFIG.nu_hub_url,
          nu_hub_fallback_ip: SIM_POS_CONFIG.nu_hub_fallback_ip,
          pricelist_id: SIM_POS_CONFIG.pricelist_id,
          available_pricelist_ids: [SIM_POS_CONFIG.pricelist_id],
          journal_ids: [...SIM_POS_CONFIG.journal_ids],
          company_id: SIM_COMPANY.id,
          group_pos_manager_id: GROUP_IDS['point_of_sale.group_pos_manager'],
          group_pos_user_id: GROUP_IDS['point_of_sale.group_pos_user'],
          module_pos_restaurant: true,
          floor_ids: SIM_FLOORS.map((f) => f.id),
        },
      ],
      many2one: {
        pricelist_id: pricelistName,
        company_id: company,
        group_pos_manager_id: groupName,
        group_pos_user_id: groupName,
      },
    },
    'account.bank.statement': {
      rows: () =>
        [...sessions.values()].flatMap((s) =>
          s.statements.map((st) => ({
            id: st.id,
            // 12.0 names a session's statements after the session.
            name: s.name,
            journal_id: st.journalId,
            pos_session_id: s.id,
            state: s.state === 'closed' ? 'confirm' : 'open',
            company_id: SIM_COMPANY.id,
          })),
        ),
      many2one: { journal_id: journalName, pos_session_id: (id) => sessions.get(id)?.name, company_id: company },
    },
    'account.journal': {
      rows: () =>
        SIM_JOURNALS.map((j, i) => ({
          id: j.id,
          name: j.name,
          type: j.type,
          code: j.name.slice(0, 4).toUpperCase(),
          sequence: (i + 1) * 10,
          company_id: SIM_COMPANY.id,
        })),
      many2one: { company_id: company },
    },
    'product.pricelist': {
      rows: () => [
        {
          id: SIM_PRICELIST.id,
          name: SIM_PRICELIST.name,
          display_name: pricelistName(SIM_PRICELIST.id),
          active: true,
          company_id: false,
        },
      ],
      many2one: { company_id: company },
    },
    'account.tax': {
      rows: () =>
        SIM_TAXES.map((t) => ({
          id: t.id,
          name: t.name,
          amount: t.amount,
          amount_type: 'percent',
          price_include: t.priceInclude,
          include_base_amount: false,
          children_tax_ids: [],
          type_tax_use: 'sale',
          sequence: 1,
          active: true,
          company_id: SIM_COMPANY.id,
        })),
      many2one: { company_id: company },
    },
    'product.product': {
      rows: () =>
        SIM_PRODUCTS.map((p, i) => ({
          id: p.id,
          name: p.name,
          display_name: p.name,
          lst_price: p.price,
          list_price: p.price,
          taxes_id: [...p.taxIds],
          pos_categ_id: posCategoryId(p.category),
          categ_id: 1,
          barcode: false,
          default_code: false,
          to_weight: false,
          uom_id: 1,
          sale_ok: true,
          available_in_pos: true,
          // product.template.sequence: the seed's order is the menu order.
          sequence: i + 1,
          active: true,
        })),
      many2one: {
        pos_categ_id: (id) => POS_CATEGORIES[id - 1],
        categ_id: () => 'All / Saleable',
        uom_id: () => 'Unit(s)',
      },
    },
    'restaurant.floor': {
      rows: () =>
        SIM_FLOORS.map((f, i) => ({
          id: f.id,
          name: f.name,
          pos_config_id: SIM_POS_CONFIG.id,
          background_color: 'rgb(210, 210, 210)',
          table_ids: SIM_TABLES.filter((t) => t.floorId === f.id).map((t) => t.id),
          sequence: i + 1,
        })),
      many2one: { pos_config_id: () => SIM_POS_CONFIG.name },
    },
    'restaurant.table': {
      rows: () =>
        SIM_TABLES.map((t) => ({
          id: t.id,
          name: t.name,
          floor_id: t.floorId,
          seats: t.seats,
          position_h: t.x,
          position_v: t.y,
          width: t.width,
          height: t.height,
          shape: t.shape,
          color: false,
          active: true,
        })),
      many2one: { floor_id: (id) => SIM_FLOORS.find((f) => f.id === id)?.name },
    },
  };
}
