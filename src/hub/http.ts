/**
 * The front thread's listeners: the terminal socket (WS /), the dashboard socket and every HTTP route,
 * on one uWS app (plain, and TLS with a venue certificate). Upgrades are checked for Host and Origin here;
 * the routes only see read-only views of the front and ask the writer through the callbacks given.
 */
import type { Logger } from '../adapters/log/logger.js';
import { createUwsServer, type UwsServer, type WsRoute } from '../adapters/uws/server.js';
import type { TlsIdentity } from '../adapters/tls/identity.js';
import type { Config } from '../config.js';
import type { Clock } from '../ports/clock.js';
import { negotiateEncoding } from '../protocol/negotiation.js';
import { createAdminGate } from '../front/admin-auth.js';
import type { Front } from '../front/front.js';
import {
  adminRoutes,
  catalogRoute,
  createHubState,
  DashboardPush,
  guardedRoutes,
  healthRoute,
  metricsRoute,
  pageRoutes,
  staticRoute,
  type Route,
} from '../front/http-routes.js';
import { identityProofRoute } from '../front/identity-route.js';
import { headerFault, type RequestGuard } from '../front/request-guard.js';
import type { Session } from '../front/session.js';
import { createStaticFiles } from '../front/static-files.js';
import type { WriterStateView } from '../threads/contract.js';
import type { ClusterView } from '../ports/cluster.js';

export interface HttpDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  readonly front: Front;
  readonly guard: RequestGuard;
  readonly startedAt: number;
  readonly version: string;
  readonly writerState: () => Promise<WriterStateView>;
  readonly reset: () => Promise<void>;
  readonly releaseDevice: (deviceId: string) => Promise<boolean>;
  readonly renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  readonly dashboardHtml?: () => string;
  readonly staticRoot?: string;
  readonly catalog?: () => Promise<unknown>;
  readonly tlsIdentity?: TlsIdentity;
  readonly cluster?: () => ClusterView;
}

export interface HubHttp {
  readonly server: UwsServer;
  readonly dashboards: DashboardPush;
}

export function createHubHttp(deps: HttpDeps): HubHttp {
  const { config, clock, front, guard } = deps;
  let uwsNative = false;
  const hubState = createHubState({
    front,
    clock,
    startedAt: deps.startedAt,
    shards: config.HUB_SHARDS,
    uwsNative: () => uwsNative,
    version: deps.version,
    writerState: deps.writerState,
    ...(deps.cluster ? { cluster: deps.cluster } : {}),
  });
  const adminGate = createAdminGate({
    token: config.HUB_ADMIN_TOKEN,
    maxFailures: config.HUB_ADMIN_AUTH_FAILURES,
    clock,
  });
  const dashboards = new DashboardPush({ clock, guard, adminGate, hubState });
  const routes: Route[] = [
    healthRoute(() => hubState.health()),
    metricsRoute({ token: config.HUB_METRICS_TOKEN, ...(deps.renderMetrics ? { render: deps.renderMetrics } : {}) }),
    ...pageRoutes({
      extraOrigins: guard.extraOrigins,
      ...(deps.dashboardHtml ? { dashboardHtml: deps.dashboardHtml } : {}),
    }),
    ...adminRoutes({ adminGate, hubState, reset: deps.reset, releaseDevice: deps.releaseDevice }),
    ...(deps.catalog ? [catalogRoute(deps.catalog, config.ODOO_USER)] : []),
    staticRoute(deps.staticRoot ? createStaticFiles(deps.staticRoot) : undefined),
  ];
  const http = guardedRoutes(routes, guard);
  const tls = deps.tlsIdentity;

  const server = createUwsServer({
    maxPayload: config.HUB_MAX_PAYLOAD,
    maxBackpressure: config.HUB_MAX_BACKPRESSURE,
    ws: { '/': terminalRoute(front, guard), '/dashboard': dashboards.route() },
    http: tls
      ? [
          identityProofRoute({ prove: (nonce, host) => tls.prove(nonce, host), perAddress: config.HUB_RATE_IDENTITY_PER_ADDRESS, now: () => clock.now() }),
          ...http,
        ]
      : http,
    onError: (error, where) => deps.log.error({ err: error, where }, 'front handler failed'),
    ...(tls ? { tls: { certFile: tls.certFile, keyFile: tls.keyFile } } : {}),
  });
  uwsNative = server.native;
  return { server, dashboards };
}

function terminalRoute(front: Front, guard: RequestGuard): WsRoute<Session> {
  return {
    upgrade: (info) => {
      // Native terminals send no Origin and pass; a browser page from a foreign origin does not.
      const fault = headerFault(info.host, info.origin);
      if (fault !== null) return { refuse: fault };
      if (!guard.hostAllowed(info.host) || !guard.originAllowed(info.origin, info.host)) return null;
      const negotiated = negotiateEncoding(info.protocols, info.query);
      if (!negotiated.ok) return { refuse: negotiated.reason };
      const session = front.newSession(negotiated.encoding, info.remoteAddress);
      return negotiated.protocol === undefined ? { state: session } : { state: session, protocol: negotiated.protocol };
    },
    open: (conn) => front.onOpen(conn),
    message: (conn, data, isBinary) => front.onMessage(conn, data, isBinary),
    drain: (conn) => front.onDrain(conn),
    close: (conn) => front.onClose(conn),
  };
}
