/**
 * GET /metrics: the Prometheus text, optionally behind HUB_METRICS_TOKEN (a scraper on the LAN needs none
 * when it is empty). 404 in a hub built without metrics.
 */
import { bearerOf, tokenMatches } from '../admin-auth.js';
import { text, type Route } from './reply.js';

export interface MetricsRouteDeps {
  /** HUB_METRICS_TOKEN; '' leaves /metrics open. */
  readonly token: string;
  readonly render?: () => Promise<{ contentType: string; body: string }>;
}

export function metricsRoute(deps: MetricsRouteDeps): Route {
  return {
    method: 'get',
    path: '/metrics',
    handler: async (req) => {
      if (deps.token !== '' && !tokenMatches(bearerOf(req.headers.authorization), deps.token)) {
        return {
          ...text(401, 'metrics need Authorization: Bearer <HUB_METRICS_TOKEN>\n'),
          headers: { 'cache-control': 'no-store', 'www-authenticate': 'Bearer' },
        };
      }
      if (!deps.render) return text(404, 'metrics are not enabled in this hub build\n');
      const m = await deps.render();
      return { status: 200, contentType: m.contentType, body: m.body };
    },
  };
}
