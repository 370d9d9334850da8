/**
 * GET /api/catalog: the terminal catalog from Odoo (adapters/odoo/catalog-cache.ts) without logins, public
 * like the page that needs it; 503 with the HubError's code when the hub has no catalog yet.
 */
import { toHubError } from '../../protocol/errors.js';
import { publicCatalog } from '../catalog-public.js';
import { json, type Route } from './reply.js';

export function catalogRoute(catalog: () => Promise<unknown>, hubLogin: string): Route {
  return {
    method: 'get',
    path: '/api/catalog',
    handler: async () => {
      try {
        return json(200, publicCatalog(await catalog(), hubLogin));
      } catch (error) {
        const { code, message, retryable } = toHubError(error).toData();
        return json(503, { code, message, retryable });
      }
    },
  };
}
