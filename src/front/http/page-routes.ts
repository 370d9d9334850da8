/**
 * The pages: GET / (the dashboard page, or a line saying the hub runs), GET /api/page-config (public on
 * purpose: which other hubs the terminal page's `?hub=` may name) and every other GET path from the
 * static root (the terminal page and SDK bundle, src/public).
 */
import type { StaticFiles } from '../static-files.js';
import { json, text, type Route } from './reply.js';

export interface PageRoutesDeps {
  readonly dashboardHtml?: () => string;
  readonly staticFiles?: StaticFiles;
  /** HUB_ALLOWED_ORIGINS: no secrets in it. */
  readonly extraOrigins: readonly string[];
}

/** GET / and /api/page-config; the static catch-all is separate because it must be registered last. */
export function pageRoutes(deps: PageRoutesDeps): Route[] {
  return [
    {
      method: 'get',
      path: '/',
      handler: () =>
        deps.dashboardHtml
          ? { status: 200, contentType: 'text/html; charset=utf-8', body: deps.dashboardHtml() }
          : text(200, 'pos-hub is running. GET /health for status, /api/state (admin token) for the live state.\n'),
    },
    { method: 'get', path: '/api/page-config', handler: () => json(200, { allowedOrigins: deps.extraOrigins }) },
  ];
}

export function staticRoute(staticFiles: StaticFiles | undefined): Route {
  return {
    method: 'get',
    path: '/*',
    handler: (req) => {
      // With the query, so /terminal?table=2 redirects to /terminal/?table=2.
      const found = staticFiles?.lookup(
        req.query === '' ? req.url : `${req.url}?${req.query}`,
        req.headers['if-none-match'],
      );
      if (!found) return text(404, 'not found\n');
      return { status: found.status, contentType: found.contentType, body: found.body, headers: found.headers };
    },
  };
}
