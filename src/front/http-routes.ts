/**
 * The hub's HTTP surface, assembled from routes split by job (src/front/http): /health, /metrics, the pages
 * and static files, /api/catalog, the admin API, and the dashboard socket. Every request has its Host
 * checked, /api/* and POSTs their Origin (request-guard.ts), and every reply carries the security headers.
 */
import type { HttpReply, HttpRequestInfo } from '../adapters/uws/server.js';
import { headerFault, type RequestGuard } from './request-guard.js';
import { withSecurityHeaders } from './security-headers.js';
import { json, text, type Route } from './http/reply.js';

export { adminRoutes } from './http/admin-routes.js';
export { catalogRoute } from './http/catalog-route.js';
export { DashboardPush, type DashboardSocket } from './http/dashboard-socket.js';
export { createHubState, type FrontView, type HubState } from './http/hub-state.js';
export { metricsRoute } from './http/metrics-route.js';
export { pageRoutes, staticRoute } from './http/page-routes.js';
export type { Route } from './http/reply.js';

export function healthRoute(health: () => unknown): Route {
  return { method: 'get', path: '/health', handler: () => json(200, health()) };
}

/** Each route behind the Host check (DNS rebinding) and, for /api/* and POSTs, the Origin check (cross-site calls). */
export function guardedRoutes(routes: readonly Route[], guard: RequestGuard): Route[] {
  return routes.map((route) => ({ ...route, handler: (req: HttpRequestInfo) => guarded(guard, route, req) }));
}

async function guarded(guard: RequestGuard, route: Route, req: HttpRequestInfo): Promise<HttpReply> {
  const host = req.headers.host ?? '';
  let reply: HttpReply;
  const fault = headerFault(host, req.headers.origin ?? '');
  if (fault !== null) {
    reply = text(400, `${fault}\n`);
  } else if (!guard.hostAllowed(host)) {
    reply = text(421, 'unknown Host: add it to HUB_ALLOWED_HOSTS if this name is yours\n');
  } else if (
    (route.path.startsWith('/api/') || req.method === 'POST') &&
    !guard.originAllowed(req.headers.origin ?? '', host)
  ) {
    reply = json(403, {
      error: {
        code: 'FORBIDDEN',
        message: 'cross-origin request refused: add the origin to HUB_ALLOWED_ORIGINS if it is yours',
      },
    });
  } else {
    reply = await route.handler(req);
  }
  return withSecurityHeaders(reply, guard.extraOrigins);
}
