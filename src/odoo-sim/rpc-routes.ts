/**
 * The simulator's JSON-RPC route table: one entry per Odoo 12 endpoint (/web/session/*, /web/dataset/*,
 * /jsonrpc, /web/webclient/version_info …) with its Python signature and whether it needs a session.
 * Kept apart from server.ts, which owns the HTTP transport rules (body limits, cookies, faults, control).
 */
import { accessDenied, internal, sessionExpired, typeError } from './odoo-errors.js';
import { type PySignature } from './py-call.js';
import type { SimFaults } from './faults.js';
import type { PosData } from './pos-data.js';
import type { SessionStore, SimSession } from './sessions.js';
import { SIM_DB } from './seed.js';

export const SIM_VERSION_INFO = {
  server_version: '12.0',
  server_version_info: [12, 0, 0, 'final', 0, ''],
  server_serie: '12.0',
  protocol_version: 1,
} as const;

export interface RouteCtx {
  readonly session: SimSession;
  readonly store: SessionStore;
  readonly data: PosData;
  readonly faults: SimFaults;
  readonly baseUrl: string;
  readonly finalizeModel: string;
  /** Set by authenticate: the session to save (rotated) after the call. */
  nextSession: SimSession;
}

export interface Route {
  readonly sig: PySignature;
  readonly auth: 'none' | 'user';
  /** Requests that have a database run inside service_model.check (serialization retries). */
  readonly db: boolean;
  handle(p: Record<string, unknown>, ctx: RouteCtx): unknown;
}

function sessionInfo(session: SimSession, data: PosData, baseUrl: string): Record<string, unknown> {
  const user = session.uid === null ? undefined : data.userById(session.uid);
  const groups = (user?.groups ?? []) as readonly string[];
  return {
    session_id: session.sid,
    uid: session.uid,
    is_system: groups.includes('base.group_system'),
    is_admin: groups.includes('base.group_system'),
    user_context: { lang: 'en_US', tz: 'America/Santo_Domingo', uid: session.uid },
    db: session.db,
    server_version: SIM_VERSION_INFO.server_version,
    server_version_info: SIM_VERSION_INFO.server_version_info,
    name: user?.name ?? false,
    username: user?.login ?? false,
    partner_display_name: user?.name ?? false,
    company_id: 1,
    partner_id: user?.partnerId ?? false,
    user_companies: false,
    currencies: { '74': { symbol: 'RD$', position: 'before', digits: [69, 2] } },
    'web.base.url': baseUrl,
    show_effect: 'True',
  };
}

export function requireUser(ctx: RouteCtx): number {
  if (ctx.session.uid === null || ctx.session.db === null) throw sessionExpired();
  return ctx.session.uid;
}

export function buildRoutes(): Map<string, Route> {
  const routes = new Map<string, Route>();
  routes.set('/web/webclient/version_info', {
    sig: { name: 'version_info', params: [], required: 0 },
    auth: 'none',
    db: false,
    handle: () => SIM_VERSION_INFO,
  });
  routes.set('/web/session/authenticate', {
    sig: { name: 'authenticate', params: ['db', 'login', 'password', 'base_location'], required: 3 },
    auth: 'none',
    db: false,
    handle: (p, ctx) => {
      if (p.db !== SIM_DB) throw internal('psycopg2.OperationalError', `FATAL:  database "${String(p.db)}" does not exist\n`);
      const user = ctx.data.userByLogin(String(p.login));
      if (!user || user.password !== p.password) throw accessDenied();
      const session = ctx.session;
      session.db = SIM_DB;
      session.uid = user.id;
      session.login = user.login;
      session.context = { lang: 'en_US', tz: 'America/Santo_Domingo', uid: user.id };
      // 12.0 builds session_info *before* get_response rotates the sid: the body's session_id is dead.
      const info = sessionInfo(session, ctx.data, ctx.baseUrl);
      ctx.nextSession = ctx.store.rotate(session);
      return info;
    },
  });
  routes.set('/web/session/get_session_info', {
    sig: { name: 'get_session_info', params: [], required: 0 },
    auth: 'none',
    db: false,
    handle: (_p, ctx) => {
      requireUser(ctx);
      return sessionInfo(ctx.session, ctx.data, ctx.baseUrl);
    },
  });
  routes.set('/web/session/check', {
    sig: { name: 'check', params: [], required: 0 },
    auth: 'user',
    db: false,
    handle: () => undefined,
  });
  routes.set('/web/session/destroy', {
    sig: { name: 'destroy', params: [], required: 0 },
    auth: 'user',
    db: false,
    handle: (_p, ctx) => {
      ctx.store.logout(ctx.session);
      return undefined;
    },
  });
  routes.set('/web/database/list', {
    sig: { name: 'list', params: [], required: 0 },
    auth: 'none',
    db: false,
    handle: (_p, ctx) => {
      if (!ctx.faults.listDb) throw accessDenied();
      return [SIM_DB];
    },
  });
  routes.set('/web/dataset/call_kw', {
    sig: { name: 'call_kw', params: ['model', 'method', 'args', 'kwargs', 'path'], required: 4 },
    auth: 'user',
    db: true,
    handle: (p, ctx) => {
      const uid = requireUser(ctx);
      if (typeof p.model !== 'string' || typeof p.method !== 'string') throw typeError('getattr(): attribute name must be string');
      if (!Array.isArray(p.args)) throw typeError(`call_kw() argument after * must be an iterable, not ${typeof p.args}`);
      if (typeof p.kwargs !== 'object' || p.kwargs === null || Array.isArray(p.kwargs)) throw typeError('call_kw() argument after ** must be a mapping');
      return ctx.data.callKw(p.model, p.method, p.args, p.kwargs as Record<string, unknown>, { uid, faults: ctx.faults, finalizeModel: ctx.finalizeModel });
    },
  });
  return routes;
}

export function routeFor(routes: Map<string, Route>, path: string): Route | undefined {
  // call_kw's /<model>/<method> suffix is cosmetic (the web client builds it); any suffix matches.
  if (path.startsWith('/web/dataset/call_kw/')) return routes.get('/web/dataset/call_kw');
  return routes.get(path);
}
