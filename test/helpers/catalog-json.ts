/**
 * A small catalog as Odoo's loader returns it, for the catalog provider's tests: `name` tells copies apart.
 */
import type { CatalogJson } from '../../src/adapters/odoo/catalog.js';

export function catalogJson(name: string): CatalogJson {
  return {
    db: 'pos',
    config: { id: 1, name, pricelist_id: 1, journal_ids: [7] },
    session: { id: 42, name: 'S', statements: [{ id: 420, journalId: 7 }] },
    pricelist: { id: 1, name: 'P' },
    journals: [{ id: 7, name: 'Cash', type: 'cash' }],
    taxes: [],
    products: [],
    floors: [],
    users: [],
  };
}
