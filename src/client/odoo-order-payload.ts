/**
 * Direct mode's `create_from_ui` order: the hub gateway's builder (src/domain/odoo-order.ts), given
 * the POS config's pricelist for snapshots that carry none. One builder, so a terminal writing to Odoo
 * itself sends exactly what the hub would have sent for the same snapshot.
 */
import { buildUiOrder, type UiOrder, type UiOrderDefaults } from '../domain/odoo-order.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';

export { odooDatetime } from '../domain/odoo-order.js';
export type OdooOrderDefaults = UiOrderDefaults;

export function toCreateFromUiOrder(snapshot: OrderSnapshot, defaults: OdooOrderDefaults): UiOrder {
  return buildUiOrder(snapshot, snapshot.posReference, defaults);
}
