/**
 * The hub's Odoo 12 JSON-RPC client (global fetch): one POST per call with a per-call timeout
 * (ODOO_TIMEOUT_MS, AbortController on the Clock port) and ODOO_RPC_HEADERS on every request; the
 * hub's own login via /web/session/authenticate *without* any sid, taking the new sid from Set-Cookie
 * (12.0 returns a dead session_id in the body, odoo/odoo#29449); one re-login on code 100; every
 * failure classified into a HubError (rpc-errors.ts) and every call timed into HubMetrics.odooRpc.
 */
import { performance } from 'node:perf_hooks';
import type { Config } from '../../config.js';
import { HubError } from '../../protocol/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { HubMetrics } from '../../ports/metrics.js';
import type { Logger } from '../log/logger.js';
import { type OdooRpcError, classifyHttpFailure, classifyRpcError, classifyTransportFailure } from './rpc-errors.js';

export type OdooClientConfig = Pick<Config, 'ODOO_URL' | 'ODOO_DB' | 'ODOO_USER' | 'ODOO_PASSWORD' | 'ODOO_TIMEOUT_MS' | 'ODOO_RPC_HEADERS'>;

/** The part of 12.0's session_info the hub reads (the dict has more keys). */
export interface OdooSessionInfo {
  readonly uid: number;
  readonly username: string;
  readonly name: string;
  readonly db: string;
  readonly partner_id?: number | false;
  readonly is_admin?: boolean;
  readonly server_version?: string;
  readonly [key: string]: unknown;
}

export interface OdooVersionInfo {
  readonly server_version: string;
  readonly server_version_info: readonly unknown[];
  readonly server_serie: string;
  readonly protocol_version: number;
}

export interface RpcAnswer<T> {
  /** undefined when Odoo omitted `result` (the controller returned None). */
  readonly result: T | undefined;
  /** The sid from `Set-Cookie: session_id=…`, when Odoo sent one. */
  readonly cookieSid: string | null;
}

export interface RpcOptions {
  /** Sent as X-Openerp-Session-Id (an explicit session: Odoo sets no cookie). Absent: no session at all. */
  readonly sid?: string;
  /** Metric and error label; defaults to the path. */
  readonly label?: string;
}

export interface OdooClient {
  readonly baseUrl: string;
  /** One JSON-RPC 2.0 POST; throws a classified HubError for anything but a success envelope. */
  rpc<T>(path: string, params: Record<string, unknown>, options?: RpcOptions): Promise<RpcAnswer<T>>;
  /** Log the hub in now (drops the current hub session). */
  login(): Promise<OdooSessionInfo>;
  /** The hub's own session_info, logging in first if needed. */
  hubSessionInfo(): Promise<OdooSessionInfo>;
  /** call_kw with the hub's session; re-login once if Odoo answers code 100. */
  callKw<T>(model: string, method: string, args: readonly unknown[], kwargs?: Record<string, unknown>): Promise<T>;
  /** call_kw with somebody else's session (a terminal's); no re-login. */
  callKwAs<T>(sid: string, model: string, method: string, args: readonly unknown[], kwargs?: Record<string, unknown>): Promise<T>;
  /** get_session_info for a sid: alive → session_info, dead → ODOO_SESSION_EXPIRED. */
  sessionInfo(sid: string): Promise<OdooSessionInfo>;
  /** /web/webclient/version_info: no session needed (health, doctor). */
  versionInfo(): Promise<OdooVersionInfo>;
}

export interface OdooClientOptions {
  readonly config: OdooClientConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics?: HubMetrics;
  /** Test seam; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

/** Odoo session ids are 40 hex chars; anything outside this alphabet never reaches a header. */
const SID_SHAPE = /^[A-Za-z0-9]{1,128}$/;

function sidFromSetCookie(headers: Headers): string | null {
  for (const cookie of headers.getSetCookie()) {
    const m = /^\s*session_id=([^;]+)/.exec(cookie);
    if (m?.[1]) return m[1];
  }
  return null;
}

function isEnvelope(value: unknown): value is { jsonrpc: string; id?: unknown; result?: unknown; error?: OdooRpcError } {
  return typeof value === 'object' && value !== null && (value as { jsonrpc?: unknown }).jsonrpc === '2.0';
}

export function createOdooClient(options: OdooClientOptions): OdooClient {
  const { config, clock, log } = options;
  const fetchImpl = options.fetch ?? fetch;
  const baseUrl = config.ODOO_URL.replace(/\/+$/, '');
  let nextId = 1;
  let hubSid: string | null = null;
  let hubInfo: OdooSessionInfo | null = null;
  let loginInFlight: Promise<OdooSessionInfo> | null = null;

  const rpc = async <T>(path: string, params: Record<string, unknown>, opts: RpcOptions = {}): Promise<RpcAnswer<T>> => {
    const label = opts.label ?? path;
    const id = nextId++;
    const headers: Record<string, string> = { ...config.ODOO_RPC_HEADERS, 'content-type': 'application/json', accept: 'application/json' };
    if (opts.sid !== undefined) headers['x-openerp-session-id'] = opts.sid;
    const controller = new AbortController();
    let timedOut = false;
    const timer = clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, config.ODOO_TIMEOUT_MS);
    const started = performance.now();
    const observe = (outcome: 'ok' | 'error'): void => options.metrics?.odooRpc(label, outcome, (performance.now() - started) / 1000);
    let status: number;
    let contentType: string;
    let text: string;
    let cookieSid: string | null;
    try {
      const res = await fetchImpl(`${baseUrl}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params, id }),
        signal: controller.signal,
        redirect: 'manual',
      });
      status = res.status;
      contentType = res.headers.get('content-type') ?? '';
      cookieSid = sidFromSetCookie(res.headers);
      text = await res.text();
    } catch (error) {
      observe('error');
      throw classifyTransportFailure(error, label, timedOut, config.ODOO_TIMEOUT_MS);
    } finally {
      clock.clearTimeout(timer);
    }
    let body: unknown = undefined;
    if (/^application\/json/i.test(contentType)) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!isEnvelope(body)) {
      observe('error');
      throw classifyHttpFailure(status, contentType, label);
    }
    if (body.error !== undefined) {
      observe('error');
      throw classifyRpcError(body.error, label, status);
    }
    if (status >= 500) {
      observe('error');
      throw classifyHttpFailure(status, contentType, label);
    }
    observe('ok');
    return { result: body.result as T | undefined, cookieSid };
  };

  const doLogin = async (): Promise<OdooSessionInfo> => {
    hubSid = null;
    hubInfo = null;
    let answer: RpcAnswer<OdooSessionInfo>;
    try {
      // No sid of any kind: only a non-explicit session makes Odoo send the rotated sid in Set-Cookie.
      answer = await rpc<OdooSessionInfo>(
        '/web/session/authenticate',
        { db: config.ODOO_DB, login: config.ODOO_USER, password: config.ODOO_PASSWORD },
        { label: 'session.authenticate' },
      );
    } catch (error) {
      if (error instanceof HubError && error.code === 'ODOO_REJECTED') {
        throw new HubError('ODOO_REJECTED', `Odoo refused the hub's login as ${config.ODOO_USER} on ${config.ODOO_DB}: ${error.message}`, {
          retryable: false,
          details: error.details,
          cause: error,
        });
      }
      throw error;
    }
    if (answer.cookieSid === null || answer.result === undefined || typeof answer.result.uid !== 'number') {
      throw new HubError('ODOO_PROTOCOL', 'Odoo authenticate answered without a Set-Cookie session id', {
        retryable: true,
        details: { rpc: 'session.authenticate' },
      });
    }
    hubSid = answer.cookieSid;
    hubInfo = answer.result;
    log.info({ odooUid: hubInfo.uid, odooDb: config.ODOO_DB }, 'odoo: hub logged in');
    return hubInfo;
  };

  const login = (): Promise<OdooSessionInfo> => {
    if (loginInFlight) return loginInFlight;
    loginInFlight = doLogin().finally(() => {
      loginInFlight = null;
    });
    return loginInFlight;
  };

  const ensureSid = async (): Promise<string> => {
    if (hubSid !== null) return hubSid;
    await login();
    if (hubSid === null) throw new HubError('ODOO_SESSION_EXPIRED', 'Odoo hub session lost during login', { retryable: true });
    return hubSid;
  };

  const callKwWith = async <T>(sid: string, model: string, method: string, args: readonly unknown[], kwargs: Record<string, unknown>): Promise<T> => {
    const answer = await rpc<T>(
      `/web/dataset/call_kw/${model}/${method}`,
      { model, method, args, kwargs },
      { sid, label: `${model}.${method}` },
    );
    return answer.result as T;
  };

  const guardSid = (sid: string): void => {
    if (!SID_SHAPE.test(sid)) throw new HubError('ODOO_SESSION_EXPIRED', 'Odoo session expired or invalid', { retryable: false });
  };

  return {
    baseUrl,
    rpc,
    login,
    hubSessionInfo: async () => {
      if (hubInfo !== null && hubSid !== null) return hubInfo;
      return login();
    },
    callKw: async <T>(model: string, method: string, args: readonly unknown[], kwargs: Record<string, unknown> = {}) => {
      const sid = await ensureSid();
      try {
        return await callKwWith<T>(sid, model, method, args, kwargs);
      } catch (error) {
        if (!(error instanceof HubError) || error.code !== 'ODOO_SESSION_EXPIRED') throw error;
        // Code 100 is raised before the method runs, so repeating the call after a new login is safe.
        log.warn({ rpc: `${model}.${method}` }, 'odoo: hub session expired, logging in again');
        if (hubSid === sid) hubSid = null;
        const fresh = await ensureSid();
        return callKwWith<T>(fresh, model, method, args, kwargs);
      }
    },
    callKwAs: async <T>(sid: string, model: string, method: string, args: readonly unknown[], kwargs: Record<string, unknown> = {}) => {
      guardSid(sid);
      return callKwWith<T>(sid, model, method, args, kwargs);
    },
    sessionInfo: async (sid: string) => {
      guardSid(sid);
      const answer = await rpc<OdooSessionInfo>('/web/session/get_session_info', {}, { sid, label: 'session.get_session_info' });
      if (answer.result === undefined || typeof answer.result.uid !== 'number') {
        throw new HubError('ODOO_PROTOCOL', 'get_session_info answered without a uid', { retryable: true });
      }
      return answer.result;
    },
    versionInfo: async () => {
      const answer = await rpc<OdooVersionInfo>('/web/webclient/version_info', {}, { label: 'webclient.version_info' });
      if (answer.result === undefined) throw new HubError('ODOO_PROTOCOL', 'version_info answered without a result', { retryable: true });
      return answer.result;
    },
  };
}
