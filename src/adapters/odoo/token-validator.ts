/**
 * TokenValidator on Odoo 12: AUTH.token is an Odoo session id, checked with get_session_info sent as
 * X-Openerp-Session-Id; the role is `res.users.has_group('point_of_sale.group_pos_manager')` called
 * with the terminal's own session (12.0's has_group is @api.model and answers for the calling user,
 * exactly as the Odoo web client's session.user_has_group does). Successes are cached for a minute;
 * while Odoo is unreachable a token validated within HUB_AUTH_CACHE_HOURS is admitted from cache.
 * In front of Odoo: a token Odoo refused is refused from memory for HUB_AUTH_NEGATIVE_CACHE_MS, and the
 * checks that do reach Odoo share one hub-wide bucket (HUB_RATE_AUTH_ODOO), so a flood of random tokens
 * from many sockets never reaches Odoo at full rate.
 */
import type { Config } from '../../config.js';
import { type HubError, toHubError } from '../../protocol/errors.js';
import type { AuthResult, TerminalIdentity, TokenValidator } from '../../ports/auth.js';
import type { Clock } from '../../ports/clock.js';
import { TokenBucket } from '../../ports/token-bucket.js';
import type { Logger } from '../log/logger.js';
import type { OdooClient, OdooSessionInfo } from './client.js';

export const POS_MANAGER_GROUP = 'point_of_sale.group_pos_manager';
/**
 * A fresh validation is reused this long without asking Odoo again (a reconnect storm asks once).
 * Short, because a logout is not seen by new AUTHs before it runs out; open sockets are re-checked
 * past it every HUB_AUTH_RECHECK_MS.
 */
export const AUTH_FRESH_MS = 15_000;
/** Bound on remembered tokens (oldest dropped first), for the positive and the negative cache each. */
const CACHE_LIMIT = 5000;

interface CacheEntry {
  readonly identity: TerminalIdentity;
  readonly validatedAt: number;
}

export interface OdooTokenValidatorOptions {
  readonly client: OdooClient;
  readonly config: Pick<Config, 'HUB_DEV_AUTH' | 'HUB_AUTH_CACHE_HOURS' | 'HUB_AUTH_NEGATIVE_CACHE_MS' | 'HUB_RATE_AUTH_ODOO'>;
  readonly clock: Clock;
  readonly log: Logger;
}

const EXPIRED: AuthResult = { ok: false, code: 'AUTH_FAILED', reason: 'Odoo session expired or invalid' };
const DEV_KEY = '\u0000dev-auth';
/**
 * Odoo 12 session ids are sha1 hex digests, and werkzeug answers any other sid with a fresh empty session
 * (reference/odoo12-wire-contract.md): a token of another shape can never be valid, so it is refused
 * here, before it costs the hub-wide Odoo budget, a negative-cache slot or an HTTP call.
 */
const ODOO_SESSION_ID = /^[0-9a-f]{40}$/;

function identityOf(info: OdooSessionInfo, role: TerminalIdentity['role']): TerminalIdentity {
  return { userId: info.uid, login: String(info.username), name: String(info.name ?? info.username), role };
}

export function createOdooTokenValidator(opts: OdooTokenValidatorOptions): TokenValidator {
  const { client, config, clock, log } = opts;
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<AuthResult>>();
  const offlineWindowMs = config.HUB_AUTH_CACHE_HOURS * 3_600_000;
  /** Tokens Odoo refused for good → when that answer was given. */
  const refused = new Map<string, { result: AuthResult; at: number }>();
  const odooBudget = new TokenBucket(config.HUB_RATE_AUTH_ODOO, clock.now());

  const rememberRefusal = (key: string, result: AuthResult): AuthResult => {
    if (config.HUB_AUTH_NEGATIVE_CACHE_MS === 0) return result;
    refused.delete(key);
    refused.set(key, { result, at: clock.now() });
    if (refused.size > CACHE_LIMIT) {
      const oldest = refused.keys().next();
      if (!oldest.done) refused.delete(oldest.value);
    }
    return result;
  };

  const remember = (key: string, identity: TerminalIdentity): void => {
    cache.delete(key);
    cache.set(key, { identity, validatedAt: clock.now() });
    if (cache.size > CACHE_LIMIT) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
  };

  /** Odoo unreachable (or answering garbage): admit from the offline cache or refuse with the reason. */
  const offline = (key: string, error: HubError): AuthResult => {
    log.warn({ err: error.message, code: error.code }, 'auth: Odoo could not validate a session');
    const entry = cache.get(key);
    if (entry && clock.now() - entry.validatedAt <= offlineWindowMs) {
      log.warn({ userId: entry.identity.userId, err: error.message }, 'auth: Odoo unreachable, admitting from the offline cache');
      return { ok: true, identity: entry.identity, fromCache: true };
    }
    return {
      ok: false,
      code: 'AUTH_UNAVAILABLE',
      // Our words only: the cause (Odoo's text, an errno) goes to the log, never to the terminal.
      reason: `Odoo is unreachable and this session was not validated in the last ${config.HUB_AUTH_CACHE_HOURS} h`,
    };
  };

  const ask = async (key: string, token: string): Promise<AuthResult> => {
    try {
      if (key === DEV_KEY) {
        const info = await client.hubSessionInfo();
        const identity = identityOf(info, 'manager');
        remember(key, identity);
        return { ok: true, identity };
      }
      const info = await client.sessionInfo(token);
      const isManager = await client.callKwAs<boolean>(token, 'res.users', 'has_group', [POS_MANAGER_GROUP]);
      const identity = identityOf(info, isManager === true ? 'manager' : 'cashier');
      remember(key, identity);
      return { ok: true, identity };
    } catch (raw) {
      const error = toHubError(raw);
      switch (error.code) {
        case 'ODOO_SESSION_EXPIRED':
          cache.delete(key);
          return rememberRefusal(key, EXPIRED);
        case 'ODOO_UNREACHABLE':
        case 'ODOO_PROTOCOL':
          return offline(key, error);
        case 'ODOO_REJECTED':
          cache.delete(key);
          log.info({ err: error.message }, 'auth: Odoo refused a session');
          return rememberRefusal(key, { ok: false, code: 'AUTH_FAILED', reason: 'Odoo refused the session' });
        default:
          log.error({ err: error }, 'auth: unexpected error validating a token');
          return offline(key, error);
      }
    }
  };

  /** One question to Odoo per token at a time, shared by concurrent AUTHs and re-checks. */
  const askOnce = (key: string, token: string): Promise<AuthResult> => {
    const pending = inFlight.get(key);
    if (pending) return pending;
    const p = ask(key, token).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
    return p;
  };

  return {
    revalidate: async (token: string, _deviceId: string): Promise<AuthResult> => {
      if (token === '' && !config.HUB_DEV_AUTH) return { ok: false, code: 'AUTH_FAILED', reason: 'Empty token: sign in to Odoo first' };
      if (token !== '' && !ODOO_SESSION_ID.test(token)) return EXPIRED;
      return askOnce(token === '' ? DEV_KEY : token, token);
    },
    validate: async (token: string, _deviceId: string): Promise<AuthResult> => {
      let key = token;
      if (token === '') {
        if (!config.HUB_DEV_AUTH) return { ok: false, code: 'AUTH_FAILED', reason: 'Empty token: sign in to Odoo first' };
        key = DEV_KEY;
      } else if (!ODOO_SESSION_ID.test(token)) {
        return EXPIRED;
      }
      const entry = cache.get(key);
      if (entry && clock.now() - entry.validatedAt < AUTH_FRESH_MS) return { ok: true, identity: entry.identity };
      const pending = inFlight.get(key);
      if (pending) return pending;
      const no = refused.get(key);
      if (no) {
        if (clock.now() - no.at < config.HUB_AUTH_NEGATIVE_CACHE_MS) return no.result;
        refused.delete(key);
      }
      // The dev key is one key (the hub's own session), de-duplicated in flight: it cannot flood Odoo.
      const wait = key === DEV_KEY ? 0 : odooBudget.take(clock.now());
      if (wait > 0) return { ok: false, code: 'RATE_LIMITED', reason: `too many sign-ins are being checked with Odoo; retry in ${wait} ms` };
      return askOnce(key, token);
    },
  };
}
