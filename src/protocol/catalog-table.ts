/**
 * A restaurant table as the catalog carries it (GET /api/catalog, read from Odoo's restaurant.table;
 * the simulator seeds the same shape). Declared once here: the Odoo catalog mapper writes it, the
 * simulator seeds it and the terminal page draws it.
 */
export interface CatalogTable {
  readonly id: number;
  readonly name: string;
  readonly floorId: number;
  readonly seats: number;
  readonly x: number;
  readonly y: number;
  /** restaurant.table width/height in the page's units (Odoo's default is 50). */
  readonly width: number;
  readonly height: number;
  /** 'square' or 'round' in Odoo 12; kept as text so a newer shape still draws. */
  readonly shape: string;
}
