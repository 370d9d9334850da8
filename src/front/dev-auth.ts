/**
 * The development TokenValidator (HUB_DEV_AUTH=true only): an empty token signs in as the hub's own
 * user with role manager, as the reference's dev bypass does; tests may also send `dev:<role>:<name>`.
 * Every other token is refused, so a dev hub never admits a real-looking token it cannot check.
 */
import type { AuthResult, TerminalRole, TokenValidator } from '../ports/auth.js';

const ROLES: readonly TerminalRole[] = ['manager', 'cashier'];

export function createDevTokenValidator(options: { devAuth: boolean; hubUser: string }): TokenValidator {
  return {
    async validate(token: string): Promise<AuthResult> {
      if (!options.devAuth) return { ok: false, code: 'AUTH_FAILED', reason: 'this hub validates tokens with Odoo: sign in to Odoo first' };
      if (token === '') {
        return { ok: true, identity: { userId: 1, login: options.hubUser, name: options.hubUser, role: 'manager', dev: true } };
      }
      const match = /^dev:([a-z]+):(.{1,64})$/.exec(token);
      const role = match?.[1] as TerminalRole | undefined;
      const name = match?.[2];
      if (role && name && ROLES.includes(role)) {
        return { ok: true, identity: { userId: 1, login: name, name, role, dev: true } };
      }
      return { ok: false, code: 'AUTH_FAILED', reason: 'dev hub accepts an empty token or dev:<role>:<name>' };
    },
  };
}

/**
 * Dev auth in front of the real validator: `dev:<role>:<name>` tokens are answered locally, an empty
 * token asks Odoo for the hub's own user and, only when Odoo cannot be reached, falls back to a local
 * manager identity so a dev hub works with no Odoo at all. Every other token goes to Odoo.
 */
export function withDevAuth(real: TokenValidator, options: { hubUser: string; onFallback?: (reason: string) => void }): TokenValidator {
  const dev = createDevTokenValidator({ devAuth: true, hubUser: options.hubUser });
  const check = async (token: string, deviceId: string, ask: (token: string, deviceId: string) => Promise<AuthResult>): Promise<AuthResult> => {
    if (token.startsWith('dev:')) return dev.validate(token, deviceId);
    const result = await ask(token, deviceId);
    if (token !== '') return result;
    if (!result.ok && result.code === 'AUTH_UNAVAILABLE') {
      options.onFallback?.(result.reason);
      return dev.validate(token, deviceId);
    }
    // The empty token is the dev sign-in whether Odoo or the fallback answered: one owner for its devices.
    return result.ok ? { ...result, identity: { ...result.identity, login: options.hubUser, dev: true } } : result;
  };
  return {
    validate: (token, deviceId) => check(token, deviceId, (t, d) => real.validate(t, d)),
    revalidate: (token, deviceId) => check(token, deviceId, (t, d) => (real.revalidate ?? real.validate)(t, d)),
  };
}
