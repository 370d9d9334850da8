/**
 * The admin API, each behind the admin token as a bearer header: GET /api/state, POST /api/reset and
 * POST /api/devices/release. 401 without a token, 403 when wrong or disabled, 429 after too many wrong ones.
 */
import type { HttpReply, HttpRequestInfo } from '../../adapters/uws/server.js';
import { bearerOf, type AdminCheck, type AdminGate } from '../admin-auth.js';
import type { HubState } from './hub-state.js';
import { json, type Route } from './reply.js';

export interface AdminRoutesDeps {
  readonly adminGate: AdminGate;
  readonly hubState: HubState;
  readonly reset: () => Promise<void>;
  /** Free a device id from its user; resolves whether it was bound. */
  readonly releaseDevice: (deviceId: string) => Promise<boolean>;
}

export function adminRoutes(deps: AdminRoutesDeps): Route[] {
  const asAdmin =
    (handler: (req: HttpRequestInfo) => Promise<HttpReply>) =>
    async (req: HttpRequestInfo): Promise<HttpReply> => {
      const presented = bearerOf(req.headers.authorization);
      return adminRefusal(deps.adminGate.check(presented, req.remoteAddress), presented === '') ?? handler(req);
    };
  return [
    { method: 'get', path: '/api/state', handler: asAdmin(async () => json(200, await deps.hubState.state())) },
    {
      method: 'post',
      path: '/api/reset',
      handler: asAdmin(async () => {
        await deps.reset();
        return json(200, { ok: true });
      }),
    },
    {
      method: 'post',
      path: '/api/devices/release',
      handler: asAdmin(async (req) => {
        const deviceId = deviceIdOf(req.body);
        if (deviceId === null)
          return json(400, {
            error: { code: 'INVALID_MESSAGE', message: 'body must be {"deviceId": "<1–128 characters>"}' },
          });
        return json(200, { ok: true, released: await deps.releaseDevice(deviceId) });
      }),
    },
  ];
}

function deviceIdOf(body: string): string | null {
  let deviceId: unknown;
  try {
    deviceId = (JSON.parse(body) as { deviceId?: unknown } | null)?.deviceId;
  } catch {
    return null;
  }
  return typeof deviceId === 'string' && deviceId.length > 0 && deviceId.length <= 128 ? deviceId : null;
}

/** The reply for a refused admin check, or null when it passed. Never a 500, whatever was presented. */
function adminRefusal(verdict: AdminCheck, absent: boolean): HttpReply | null {
  switch (verdict) {
    case 'ok':
      return null;
    case 'disabled':
      return json(403, {
        error: { code: 'RESET_FORBIDDEN', message: 'the admin API is disabled: HUB_ADMIN_TOKEN is not set' },
      });
    case 'wrong':
      return absent
        ? {
            ...json(401, {
              error: { code: 'RESET_FORBIDDEN', message: 'needs Authorization: Bearer <HUB_ADMIN_TOKEN>' },
            }),
            headers: { 'cache-control': 'no-store', 'www-authenticate': 'Bearer' },
          }
        : json(403, { error: { code: 'RESET_FORBIDDEN', message: 'wrong admin token' } });
    case 'limited':
      return {
        ...json(429, {
          error: { code: 'RATE_LIMITED', message: 'too many wrong admin tokens from this address; wait a minute' },
        }),
        headers: { 'cache-control': 'no-store', 'retry-after': '60' },
      };
    default: {
      const unreachable: never = verdict;
      throw new Error(`unknown admin check ${String(unreachable)}`);
    }
  }
}
