/**
 * The Odoo 12 simulator's HTTP server (node:http): the JSON-RPC transport rules, sessions and
 * endpoints of shared/reference/odoo12-wire-contract.md ("What a faithful fake must implement"),
 * fault injection, and a few simulator-only routes under /pos-hub-sim/ (catalog, faults, control,
 * state) for the demo, the terminal page and tests running the simulator in a child process. The
 * catalog route runs the hub's own loader (adapters/odoo/catalog.ts) against the data in process.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { OdooException, internal, notFound, serializationFailure, typeError } from './odoo-errors.js';
import { bindPy } from './py-call.js';
import { type SimFaults, defaultFaults, takeCounted } from './faults.js';
import { PosData } from './pos-data.js';
import { SessionStore, type SimSession } from './sessions.js';
import { SIM_DB, SIM_USERS } from './seed.js';
import { loadCatalogFrom } from '../adapters/odoo/catalog.js';
import { HubError } from '../protocol/errors.js';
import { buildRoutes, requireUser, routeFor, type Route, type RouteCtx } from './rpc-routes.js';

export { SIM_VERSION_INFO } from './rpc-routes.js';

export interface OdooSimOptions {
  readonly port?: number;
  readonly host?: string;
  /** Model carrying hub_finalize_snapshot (the hub's ODOO_FINALIZE_MODEL). */
  readonly finalizeModel?: string;
  readonly faults?: Partial<SimFaults>;
}

/** The control handle tests use: faults, counters, sessions, data, and network on/off. */
export interface OdooSimControl {
  readonly faults: SimFaults;
  readonly data: PosData;
  readonly sessions: SessionStore;
  setFaults(patch: Partial<SimFaults>): void;
  resetFaults(): void;
  /** Orders Odoo holds for this pos_reference (must be 1 for exactly-once). */
  ordersFor(posReference: string): number;
  orderCounts(): Record<string, number>;
  /** Requests per label: a path, or `model.method` for call_kw. */
  calls(label: string): number;
  callCounts(): Record<string, number>;
  /** Resolves once `count` requests with this label were fully handled (answered, failed or left hanging). */
  waitForHandled(label: string, count: number): Promise<void>;
  /** GC a session file: the sid becomes unknown. */
  expireSession(sid: string): boolean;
  /** Password change / deactivation: all sessions of the login die. */
  revokeUser(login: string): number;
  /** Issue a fresh live session for a seeded login (as if that user logged in elsewhere). */
  issueSession(login: string): string;
  liveSessionsOf(login: string): string[];
  /** Move a POS session to closing_control/closed (create_from_ui then uses a rescue session). */
  setPosSessionState(id: number, state: 'opened' | 'closing_control' | 'closed'): void;
  /** Stop listening and drop every connection (ECONNREFUSED), then listen again on the same port. */
  refuse(): Promise<void>;
  accept(): Promise<void>;
}

export interface OdooSimServer {
  readonly url: string;
  readonly port: number;
  readonly sim: OdooSimControl;
  close(): Promise<void>;
}

const CONTROL_PREFIX = '/pos-hub-sim/';


function htmlPage(status: number, title: string, text: string): string {
  return `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${text.replace(/</g, '&lt;')}</p>\n`;
}

function readSid(req: IncomingMessage, url: URL): { sid: string | null; explicit: boolean } {
  const q = url.searchParams.get('session_id');
  if (q !== null) return { sid: q, explicit: true };
  const h = req.headers['x-openerp-session-id'];
  if (typeof h === 'string' && h !== '') return { sid: h, explicit: true };
  const cookie = req.headers.cookie ?? '';
  const m = /(?:^|;\s*)session_id=([^;]*)/.exec(cookie);
  return { sid: m?.[1] ?? null, explicit: false };
}

function cookieFor(sid: string): string {
  const expires = new Date(Date.now() + 7_776_000_000).toUTCString();
  return `session_id=${sid}; Expires=${expires}; Max-Age=7776000; HttpOnly; Path=/`;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * GET /pos-hub-sim/catalog — simulator-only (a real Odoo 12 has no such route). It is the hub's own
 * loader run in process as the hub user, over the same search_read/read/fields_get implementations
 * the JSON-RPC endpoint serves, so it returns exactly what GET /api/catalog on a hub returns.
 */
function catalog(data: PosData, faults: SimFaults, finalizeModel: string): Promise<unknown> {
  const uid = SIM_USERS.hub.id;
  return loadCatalogFrom({
    db: SIM_DB,
    uid,
    // A JSON round trip, as over the wire (undefined dropped, fresh objects).
    callKw: async <T>(model: string, method: string, args: readonly unknown[], kwargs: Record<string, unknown> = {}): Promise<T> =>
      JSON.parse(JSON.stringify(data.callKw(model, method, args, kwargs, { uid, faults, finalizeModel }) ?? null)) as T,
  });
}

/** Start the simulator on 127.0.0.1 (port 0 = any free port). */
export async function startOdooSimServer(options: OdooSimOptions = {}): Promise<OdooSimServer> {
  const host = options.host ?? '127.0.0.1';
  const finalizeModel = options.finalizeModel ?? 'pos.order';
  const faults: SimFaults = { ...defaultFaults(), ...options.faults };
  const data = new PosData();
  const store = new SessionStore();
  for (const u of Object.values(SIM_USERS)) if (u.sessionId !== null) store.issue(u.sessionId, SIM_DB, u.id, u.login);
  const routes = buildRoutes();
  const callCounts = new Map<string, number>();
  const handledCounts = new Map<string, number>();
  const handledWaiters: { label: string; count: number; resolve: () => void }[] = [];
  const markHandled = (label: string): void => {
    const n = (handledCounts.get(label) ?? 0) + 1;
    handledCounts.set(label, n);
    for (const w of [...handledWaiters]) {
      if (w.label === label && n >= w.count) {
        handledWaiters.splice(handledWaiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const sockets = new Set<Socket>();
  let baseUrl = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const body = await readBody(req, 64 * 1024 * 1024);
    if (url.pathname.startsWith(CONTROL_PREFIX)) return control(url.pathname, req.method ?? 'GET', body, res);

    const mimetype = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const isJson = mimetype === 'application/json' || mimetype === 'application/json-rpc';
    const route = routeFor(routes, url.pathname);
    const { sid, explicit } = readSid(req, url);
    const session = store.open(sid);
    let envelope: Record<string, unknown> | null = null;
    let label = url.pathname;
    if (isJson) {
      let request: unknown;
      try {
        request = JSON.parse(body.toString('utf8'));
      } catch (e) {
        return sendHtml(res, 400, 'Bad Request', `Invalid JSON data: ${(e as Error).message}`);
      }
      envelope = typeof request === 'object' && request !== null && !Array.isArray(request) ? (request as Record<string, unknown>) : {};
      const params = envelope.params as Record<string, unknown> | undefined;
      if (route && url.pathname.startsWith('/web/dataset/call_kw') && params && typeof params.model === 'string') {
        label = `${params.model}.${String(params.method)}`;
      }
    }
    callCounts.set(label, (callCounts.get(label) ?? 0) + 1);
    try {
      await answer(req, res, url, route, session, explicit, isJson, envelope, label);
    } finally {
      markHandled(label);
    }
  };

  const answer = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    route: Route | undefined,
    session: SimSession,
    explicit: boolean,
    isJson: boolean,
    envelope: Record<string, unknown> | null,
    label: string,
  ): Promise<void> => {
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (transportFault(label, 'before', req, res)) return;

    if (!isJson || envelope === null) {
      if (!route) return sendHtml(res, 404, 'Not Found', 'The requested URL was not found on the server.');
      if ((req.method ?? 'GET') === 'POST') {
        if (route.auth === 'user' && session.uid === null) {
          res.writeHead(303, { Location: `/web/login?redirect=${encodeURIComponent(url.pathname)}`, 'Content-Type': 'text/html; charset=utf-8' });
          res.end('<html><body>Redirecting</body></html>');
          return;
        }
        return sendHtml(res, 400, 'Bad Request', 'Session expired (invalid CSRF token)');
      }
      return sendHtml(res, 400, 'Bad Request', "Function declared as capable of handling request of type 'json' but called with a request of type 'http'");
    }

    const id = envelope.id ?? null;
    const ctx: RouteCtx = { session, store, data, faults, baseUrl, finalizeModel, nextSession: session };
    let payload: Record<string, unknown>;
    let status = 200;
    try {
      if (!route) throw notFound();
      const rawParams = envelope.params ?? {};
      if (typeof rawParams !== 'object' || rawParams === null || Array.isArray(rawParams)) throw typeError("'list' object is not a mapping");
      const { context: _ctx, ...params } = rawParams as Record<string, unknown>;
      if (route.auth === 'user') requireUser(ctx);
      const bound = bindPy(route.sig, [], params);
      const result = route.db ? await withSerializationRetries(() => route.handle(bound, ctx)) : route.handle(bound, ctx);
      payload = result === undefined || result === null ? { jsonrpc: '2.0', id } : { jsonrpc: '2.0', id, result };
    } catch (e) {
      const ex = e instanceof OdooException ? e : internal('builtins.Exception', (e as Error).message);
      status = ex.httpStatus;
      payload = { jsonrpc: '2.0', id, error: ex.toBody() };
    }
    if (transportFault(label, 'after', req, res)) return;
    const text = JSON.stringify(payload);
    const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) };
    if (!explicit) headers['Set-Cookie'] = cookieFor(ctx.nextSession.sid);
    res.writeHead(status, headers);
    res.end(text);
  };

  /** service_model.check: Odoo re-runs the whole controller up to 5 times on a serialization failure. */
  const withSerializationRetries = async (fn: () => unknown): Promise<unknown> => {
    for (let tries = 0; ; tries += 1) {
      if (faults.serializationFailures > 0) {
        faults.serializationFailures -= 1;
        if (tries >= 5) throw serializationFailure();
        if (faults.serializationRetryDelayMs > 0) await sleep(faults.serializationRetryDelayMs);
        continue;
      }
      return fn();
    }
  };

  const transportFault = (label: string, phase: 'before' | 'after', req: IncomingMessage, res: ServerResponse): boolean => {
    if (takeCounted(faults.hang, label, phase)) {
      return true; // never answered; the socket is destroyed on close()/refuse()
    }
    if (takeCounted(faults.reset, label, phase)) {
      req.socket.destroy();
      return true;
    }
    const http = takeCounted(faults.http, label, phase);
    if (http) {
      const titles: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Time-out' };
      sendHtml(res, http.status, titles[http.status] ?? 'Error', 'Injected by the Odoo simulator.');
      return true;
    }
    return false;
  };

  const control = (path: string, method: string, body: Buffer, res: ServerResponse): void => {
    // The terminal page (served by the hub, another origin) reads the catalog from the browser.
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS', 'Access-Control-Allow-Headers': 'content-type' };
    const json = (status: number, value: unknown): void => {
      const text = JSON.stringify(value);
      res.writeHead(status, { ...cors, 'X-Pos-Hub-Sim': 'simulator-only route', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    try {
      const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      if (path === '/pos-hub-sim/catalog') {
        catalog(data, faults, finalizeModel).then(
          (value) => json(200, value),
          (e: unknown) => {
            const error = e instanceof HubError ? e.toData() : { code: 'INTERNAL', message: e instanceof OdooException ? JSON.stringify(e.toBody()) : String(e) };
            json(503, { code: error.code, message: error.message });
          },
        );
        return;
      }
      if (path === '/pos-hub-sim/state') return json(200, { orders: sim.orderCounts(), calls: sim.callCounts(), faults });
      if (path === '/pos-hub-sim/faults' && method === 'POST') {
        if (input.reset === true) sim.resetFaults();
        const { reset: _r, ...patch } = input;
        sim.setFaults(patch as Partial<SimFaults>);
        return json(200, faults);
      }
      if (path === '/pos-hub-sim/control' && method === 'POST') {
        switch (input.action) {
          case 'expireSession':
            return json(200, { ok: sim.expireSession(String(input.sid)) });
          case 'revokeUser':
            return json(200, { revoked: sim.revokeUser(String(input.login)) });
          case 'issueSession':
            return json(200, { sid: sim.issueSession(String(input.login)) });
          case 'setPosSessionState':
            sim.setPosSessionState(Number(input.id), input.state as 'opened' | 'closing_control' | 'closed');
            return json(200, { ok: true });
          default:
            return json(400, { error: `unknown action ${String(input.action)}` });
        }
      }
      return json(404, { error: 'not found' });
    } catch (e) {
      return json(400, { error: (e as Error).message });
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendHtml(res, 500, 'Internal Server Error', (e as Error).message);
      else res.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const dropConnections = (): void => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      dropConnections();
    });

  const port = await listen(options.port ?? 0);
  baseUrl = `http://${host}:${port}`;

  const sim: OdooSimControl = {
    faults,
    data,
    sessions: store,
    setFaults: (patch) => {
      Object.assign(faults, patch);
    },
    resetFaults: () => {
      Object.assign(faults, defaultFaults());
    },
    ordersFor: (ref) => data.createdPerReference.get(ref) ?? 0,
    orderCounts: () => Object.fromEntries(data.createdPerReference),
    calls: (label) => callCounts.get(label) ?? 0,
    callCounts: () => Object.fromEntries(callCounts),
    waitForHandled: (label, count) =>
      (handledCounts.get(label) ?? 0) >= count ? Promise.resolve() : new Promise<void>((resolve) => handledWaiters.push({ label, count, resolve })),
    expireSession: (sid) => store.expire(sid),
    revokeUser: (login) => {
      const user = data.userByLogin(login);
      return user ? store.revokeUser(user.id) : 0;
    },
    issueSession: (login) => {
      const user = data.userByLogin(login);
      if (!user) throw new Error(`no seeded user ${login}`);
      const sid = store.open(null).sid;
      store.issue(sid, SIM_DB, user.id, user.login);
      return sid;
    },
    liveSessionsOf: (login) => {
      const user = data.userByLogin(login);
      return user ? store.sidsOf(user.id) : [];
    },
    setPosSessionState: (id, state) => {
      const s = data.sessions.get(id);
      if (!s) throw new Error(`no POS session ${id}`);
      s.state = state;
    },
    refuse: stopListening,
    accept: async () => {
      if (!server.listening) await listen(port);
    },
  };

  return {
    url: baseUrl,
    port,
    sim,
    close: stopListening,
  };
}

function sendHtml(res: ServerResponse, status: number, title: string, text: string): void {
  const html = htmlPage(status, title, text);
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
  res.end(html);
}
