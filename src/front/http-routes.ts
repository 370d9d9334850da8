/**
 * The hub's HTTP surface and dashboard push channel, served by the front thread from memory:
 * GET /health (the seed's eight fields first), GET /metrics, GET /, GET /api/state, POST /api/reset,
 * GET /api/catalog (when a catalog provider is given),
 * and WS /dashboard, which pushes {"type":"state"} on connect and on change (at most 4 per second).
 */
import { timingSafeEqual } from 'node:crypto';
import type { HttpReply, HttpRequestInfo, WsConnection, WsRoute } from '../adapters/uws/server.js';
import type { HealthView, HubStateView, TerminalView } from '../ports/state-view.js';
import type { Clock, TimerHandle } from '../ports/clock.js';
import { toHubError } from '../protocol/errors.js';
import type { WriterStateView } from '../../workers/protocol.js';
import type { Front } from './front.js';
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
  readonly adminToken: string;
  readonly writerState: () => Promise<WriterStateView>;
  readonly reset: () => Promise<void>;
  readonly renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  readonly dashboardHtml?: () => string;
  /** The terminal page and SDK bundle (src/public), served for any other GET path. */
  readonly staticFiles?: StaticFiles;
  /** GET /api/catalog: the terminal catalog from Odoo (adapters/odoo/catalog-cache.ts); throws a HubError when it has none. */
  readonly catalog?: () => Promise<unknown>;
}

const json = (status: number, body: unknown): HttpReply => ({ status, contentType: JSON_TYPE, body: JSON.stringify(body) });

export class Admin {
  private readonly dashboards = new Set<WsConnection<null>>();
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
    return [
      { method: 'get', path: '/health', handler: () => json(200, this.health()) },
      {
        method: 'get',
        path: '/metrics',
        handler: async () => {
          if (!this.deps.renderMetrics) return { status: 404, contentType: TEXT_TYPE, body: 'metrics are not enabled in this hub build\n' };
          const m = await this.deps.renderMetrics();
          return { status: 200, contentType: m.contentType, body: m.body };
        },
      },
      {
        method: 'get',
        path: '/',
        handler: () =>
          this.deps.dashboardHtml
            ? { status: 200, contentType: 'text/html; charset=utf-8', body: this.deps.dashboardHtml() }
            : { status: 200, contentType: TEXT_TYPE, body: 'pos-hub is running. GET /health for status, /api/state for the live state.\n' },
      },
      { method: 'get', path: '/api/state', handler: async () => json(200, await this.state()) },
      { method: 'post', path: '/api/reset', handler: (req) => this.handleReset(req) },
      ...(catalog ? [{ method: 'get' as const, path: '/api/catalog', handler: () => this.catalogReply(catalog) }] : []),
      { method: 'get', path: '/*', handler: (req) => this.staticFile(req) },
    ];
  }

  private async catalogReply(catalog: () => Promise<unknown>): Promise<HttpReply> {
    try {
      return json(200, await catalog());
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

  private async handleReset(req: HttpRequestInfo): Promise<HttpReply> {
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    const expected = this.deps.adminToken;
    const ok =
      expected !== '' && presented.length === expected.length && timingSafeEqual(Buffer.from(presented), Buffer.from(expected));
    if (!ok) {
      return json(403, { error: { code: 'RESET_FORBIDDEN', message: expected === '' ? 'reset is disabled: HUB_ADMIN_TOKEN is not set' : 'wrong admin token' } });
    }
    await this.deps.reset();
    return json(200, { ok: true });
  }

  dashboardRoute(): WsRoute<null> {
    return {
      upgrade: () => ({ state: null }),
      open: (conn) => {
        this.dashboards.add(conn);
        this.pushTo([conn]);
      },
      message: () => undefined,
      close: (conn) => {
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

  private pushTo(conns: WsConnection<null>[]): void {
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
