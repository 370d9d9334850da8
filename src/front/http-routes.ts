/**
 * The hub's HTTP surface and dashboard push channel, served by the front thread from memory:
 * GET /health (the seed's eight fields first), GET /metrics (optionally behind HUB_METRICS_TOKEN),
 * GET /, GET /api/state, POST /api/reset, POST /api/devices/release (admin token), GET /api/catalog
 * (when a catalog provider is given, without logins), GET /api/page-config, and WS /dashboard, which
 * after an admin-token frame pushes {"type":"state"} on connect and on change (at most 4 per second).
 * Every request has its Host checked, /api/* and the dashboard socket their Origin (request-guard.ts),
 * and every reply carries the security headers (security-headers.ts).
 */
import type { HttpReply, HttpRequestInfo, UpgradeInfo, WsConnection, WsRoute } from '../adapters/uws/server.js';
import type { HealthView, HubStateView, TerminalView } from '../ports/state-view.js';
import type { Clock, TimerHandle } from '../ports/clock.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import { toHubError } from '../protocol/errors.js';
import type { WriterStateView } from '../../workers/protocol.js';
import { bearerOf, tokenMatches, type AdminCheck, type AdminGate } from './admin-auth.js';
import { publicCatalog } from './catalog-public.js';
import type { Front } from './front.js';
import { headerFault, type RequestGuard } from './request-guard.js';
import { withSecurityHeaders } from './security-headers.js';
import type { StaticFiles } from './static-files.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const PUSH_INTERVAL_MS = 250;

export interface AdminDeps {
  readonly front: Front;
  readonly clock: Clock;
  readonly startedAt: number;
  readonly shards: number;
  readonly uwsNative: () => boolean;
  readonly version: string;
  readonly writerState: () => Promise<WriterStateView>;
  readonly reset: () => Promise<void>;
  readonly renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  readonly dashboardHtml?: () => string;
  /** The terminal page and SDK bundle (src/public), served for any other GET path. */
  readonly staticFiles?: StaticFiles;
  /** GET /api/catalog: the terminal catalog from Odoo (adapters/odoo/catalog-cache.ts); throws a HubError when it has none. */
  readonly catalog?: () => Promise<unknown>;
  readonly guard: RequestGuard;
  readonly adminGate: AdminGate;
  /** HUB_METRICS_TOKEN; '' leaves /metrics open (a scraper on the LAN). */
  readonly metricsToken: string;
  /** The hub's own Odoo login, left out of /api/catalog. */
  readonly hubLogin: string;
  /** Free a device id from its user (admin action); resolves whether it was bound. */
  readonly releaseDevice: (deviceId: string) => Promise<boolean>;
}

/** The dashboard socket says who it is in its first frame: browsers cannot set headers on a WebSocket. */
export interface DashboardSocket {
  authed: boolean;
  readonly address: string;
}

/** The dashboard's first frame must arrive this soon, or the socket is closed. */
const DASHBOARD_AUTH_MS = 10_000;

const json = (status: number, body: unknown): HttpReply => ({ status, contentType: JSON_TYPE, body: JSON.stringify(body) });

export class Admin {
  private readonly dashboards = new Set<WsConnection<DashboardSocket>>();
  private pushTimer: TimerHandle | null = null;
  private lastPush = 0;

  constructor(private readonly deps: AdminDeps) {}

  health(): HealthView {
    const { front } = this.deps;
    const s = front.stats;
    const storage = s.storageError ?? null;
    return {
      status: storage === null ? 'ok' : 'degraded',
      uptime: Math.floor((this.deps.clock.now() - this.deps.startedAt) / 1000),
      connectedTerminals: front.readyCount,
      activeLeases: s.activeLeases,
      orders: s.orders,
      pendingForward: s.pendingForward,
      totalForwarded: s.totalForwarded,
      lastOdooSync: s.lastOdooSync === null ? null : new Date(s.lastOdooSync).toISOString(),
      deadLetters: s.deadLetters,
      odooReachable: s.odooReachable,
      uws: this.deps.uwsNative() ? 'native' : 'fallback',
      shards: this.deps.shards,
      activeLocks: s.activeLocks,
      seq: s.seq,
      version: this.deps.version,
      ...(storage === null ? {} : { degraded: { reason: `storage: ${storage.reason}`, since: new Date(storage.since).toISOString(), storageFailures: storage.failures } }),
    };
  }

  terminals(): TerminalView[] {
    const views: TerminalView[] = [];
    for (const [terminalId, conn] of this.deps.front.byTerminal) {
      const s = conn.state;
      views.push({ terminalId, deviceId: terminalId, role: s.role ?? '', userName: s.userName, encoding: s.encoding, connectedAt: s.connectedAt, lastSeen: s.lastSeen });
    }
    return views;
  }

  async state(): Promise<HubStateView> {
    const w = await this.deps.writerState();
    return { health: this.health(), terminals: this.terminals(), leases: w.leases, locks: w.locks, events: w.events, serverTime: this.deps.clock.now() };
  }

  routes(): Array<{ method: 'get' | 'post'; path: string; handler: (req: HttpRequestInfo) => Promise<HttpReply> | HttpReply }> {
    const { catalog } = this.deps;
    const routes: Array<{ method: 'get' | 'post'; path: string; handler: (req: HttpRequestInfo) => Promise<HttpReply> | HttpReply }> = [
      { method: 'get', path: '/health', handler: () => json(200, this.health()) },
      { method: 'get', path: '/metrics', handler: (req) => this.metricsReply(req) },
      {
        method: 'get',
        path: '/',
        handler: () =>
          this.deps.dashboardHtml
            ? { status: 200, contentType: 'text/html; charset=utf-8', body: this.deps.dashboardHtml() }
            : { status: 200, contentType: TEXT_TYPE, body: 'pos-hub is running. GET /health for status, /api/state (admin token) for the live state.\n' },
      },
      { method: 'get', path: '/api/state', handler: (req) => this.asAdmin(req, async () => json(200, await this.state())) },
      { method: 'post', path: '/api/reset', handler: (req) => this.asAdmin(req, () => this.handleReset()) },
      { method: 'post', path: '/api/devices/release', handler: (req) => this.asAdmin(req, () => this.handleRelease(req)) },
      // Public on purpose: the terminal page learns which other hubs `?hub=` may name. No secrets in it.
      { method: 'get', path: '/api/page-config', handler: () => json(200, { allowedOrigins: this.deps.guard.extraOrigins }) },
      ...(catalog ? [{ method: 'get' as const, path: '/api/catalog', handler: () => this.catalogReply(catalog) }] : []),
      { method: 'get', path: '/*', handler: (req) => this.staticFile(req) },
    ];
    return routes.map((route) => ({ ...route, handler: (req: HttpRequestInfo) => this.guarded(route.path, route.handler, req) }));
  }

  /** Host on every request (DNS rebinding), Origin on /api/* (cross-site calls), security headers on every reply. */
  private async guarded(path: string, handler: (req: HttpRequestInfo) => Promise<HttpReply> | HttpReply, req: HttpRequestInfo): Promise<HttpReply> {
    const { guard } = this.deps;
    const host = req.headers.host ?? '';
    let reply: HttpReply;
    const fault = headerFault(host, req.headers.origin ?? '');
    if (fault !== null) {
      reply = { status: 400, contentType: TEXT_TYPE, body: `${fault}\n` };
    } else if (!guard.hostAllowed(host)) {
      reply = { status: 421, contentType: TEXT_TYPE, body: 'unknown Host: add it to HUB_ALLOWED_HOSTS if this name is yours\n' };
    } else if ((path.startsWith('/api/') || req.method === 'POST') && !guard.originAllowed(req.headers.origin ?? '', host)) {
      reply = json(403, { error: { code: 'FORBIDDEN', message: 'cross-origin request refused: add the origin to HUB_ALLOWED_ORIGINS if it is yours' } });
    } else {
      reply = await handler(req);
    }
    return withSecurityHeaders(reply, guard.extraOrigins);
  }

  /** The admin token as a bearer header; 401 without one, 403 when wrong, 429 after too many wrong ones. */
  private async asAdmin(req: HttpRequestInfo, handler: () => Promise<HttpReply> | HttpReply): Promise<HttpReply> {
    const presented = bearerOf(req.headers.authorization);
    const refusal = adminRefusal(this.deps.adminGate.check(presented, req.remoteAddress), presented === '');
    return refusal ?? handler();
  }

  private async metricsReply(req: HttpRequestInfo): Promise<HttpReply> {
    const { metricsToken } = this.deps;
    if (metricsToken !== '' && !tokenMatches(bearerOf(req.headers.authorization), metricsToken)) {
      return { status: 401, contentType: TEXT_TYPE, body: 'metrics need Authorization: Bearer <HUB_METRICS_TOKEN>\n', headers: { 'cache-control': 'no-store', 'www-authenticate': 'Bearer' } };
    }
    if (!this.deps.renderMetrics) return { status: 404, contentType: TEXT_TYPE, body: 'metrics are not enabled in this hub build\n' };
    const m = await this.deps.renderMetrics();
    return { status: 200, contentType: m.contentType, body: m.body };
  }

  private async catalogReply(catalog: () => Promise<unknown>): Promise<HttpReply> {
    try {
      return json(200, publicCatalog(await catalog(), this.deps.hubLogin));
    } catch (error) {
      const { code, message, retryable } = toHubError(error).toData();
      return json(503, { code, message, retryable });
    }
  }

  private staticFile(req: HttpRequestInfo): HttpReply {
    // With the query, so /terminal?table=2 redirects to /terminal/?table=2.
    const found = this.deps.staticFiles?.lookup(req.query === '' ? req.url : `${req.url}?${req.query}`, req.headers['if-none-match']);
    if (!found) return { status: 404, contentType: TEXT_TYPE, body: 'not found\n' };
    return { status: found.status, contentType: found.contentType, body: found.body, headers: found.headers };
  }

  private async handleReset(): Promise<HttpReply> {
    await this.deps.reset();
    return json(200, { ok: true });
  }

  private async handleRelease(req: HttpRequestInfo): Promise<HttpReply> {
    let deviceId: unknown;
    try {
      deviceId = (JSON.parse(req.body) as { deviceId?: unknown } | null)?.deviceId;
    } catch {
      deviceId = undefined;
    }
    if (typeof deviceId !== 'string' || deviceId.length === 0 || deviceId.length > 128) {
      return json(400, { error: { code: 'INVALID_MESSAGE', message: 'body must be {"deviceId": "<1–128 characters>"}' } });
    }
    const released = await this.deps.releaseDevice(deviceId);
    return json(200, { ok: true, released });
  }

  dashboardRoute(): WsRoute<DashboardSocket> {
    const timers = new Map<WsConnection<DashboardSocket>, TimerHandle>();
    return {
      upgrade: (info: UpgradeInfo) => {
        const fault = headerFault(info.host, info.origin);
        if (fault !== null) return { refuse: fault };
        return this.deps.guard.hostAllowed(info.host) && this.deps.guard.originAllowed(info.origin, info.host) ? { state: { authed: false, address: info.remoteAddress } } : null;
      },
      open: (conn) => {
        timers.set(
          conn,
          this.deps.clock.setTimeout(() => {
            timers.delete(conn);
            if (!conn.state.authed) conn.end(CLOSE_CODES.AUTH_TIMEOUT.code, 'send {"type":"auth","token":…} first');
          }, DASHBOARD_AUTH_MS),
        );
      },
      message: (conn, data) => {
        if (conn.state.authed) return;
        let token = '';
        try {
          const frame = JSON.parse(Buffer.from(data).toString('utf8')) as { type?: unknown; token?: unknown } | null;
          if (frame?.type === 'auth' && typeof frame.token === 'string') token = frame.token;
        } catch {
          token = '';
        }
        const verdict = this.deps.adminGate.check(token, conn.state.address);
        if (verdict !== 'ok') {
          conn.end(CLOSE_CODES.AUTH_FAILED.code, verdict === 'limited' ? 'too many wrong admin tokens' : 'admin token refused');
          return;
        }
        conn.state.authed = true;
        this.dashboards.add(conn);
        this.pushTo([conn]);
      },
      close: (conn) => {
        const timer = timers.get(conn);
        if (timer !== undefined) this.deps.clock.clearTimeout(timer);
        timers.delete(conn);
        this.dashboards.delete(conn);
      },
    };
  }

  /** Something changed: push to dashboards, at most every PUSH_INTERVAL_MS. */
  changed(): void {
    if (this.dashboards.size === 0 || this.pushTimer !== null) return;
    const wait = Math.max(0, this.lastPush + PUSH_INTERVAL_MS - this.deps.clock.now());
    this.pushTimer = this.deps.clock.setTimeout(() => {
      this.pushTimer = null;
      this.lastPush = this.deps.clock.now();
      this.pushTo([...this.dashboards]);
    }, wait);
  }

  private pushTo(conns: WsConnection<DashboardSocket>[]): void {
    this.state().then(
      (state) => {
        const frame = JSON.stringify({ type: 'state', state });
        for (const conn of conns) if (!conn.closed) conn.send(frame, false);
      },
      () => undefined,
    );
  }

  closeDashboards(code: number): void {
    for (const conn of this.dashboards) conn.end(code, 'closing');
    this.dashboards.clear();
    if (this.pushTimer !== null) this.deps.clock.clearTimeout(this.pushTimer);
    this.pushTimer = null;
  }
}

/** The reply for a refused admin check, or null when it passed. Never a 500, whatever was presented. */
function adminRefusal(verdict: AdminCheck, absent: boolean): HttpReply | null {
  switch (verdict) {
    case 'ok':
      return null;
    case 'disabled':
      return json(403, { error: { code: 'RESET_FORBIDDEN', message: 'the admin API is disabled: HUB_ADMIN_TOKEN is not set' } });
    case 'wrong':
      return absent
        ? { ...json(401, { error: { code: 'RESET_FORBIDDEN', message: 'needs Authorization: Bearer <HUB_ADMIN_TOKEN>' } }), headers: { 'cache-control': 'no-store', 'www-authenticate': 'Bearer' } }
        : json(403, { error: { code: 'RESET_FORBIDDEN', message: 'wrong admin token' } });
    case 'limited':
      return { ...json(429, { error: { code: 'RATE_LIMITED', message: 'too many wrong admin tokens from this address; wait a minute' } }), headers: { 'cache-control': 'no-store', 'retry-after': '60' } };
    default: {
      const unreachable: never = verdict;
      throw new Error(`unknown admin check ${String(unreachable)}`);
    }
  }
}
