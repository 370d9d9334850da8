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
      if (!options.devAuth) return { ok: false, code: 'AUTH_FAILED', reason: 'dev authentication is disabled (HUB_DEV_AUTH=false)' };
      if (token === '') {
        return { ok: true, identity: { userId: 1, login: options.hubUser, name: options.hubUser, role: 'manager' } };
      }
      const match = /^dev:([a-z]+):(.{1,64})$/.exec(token);
      const role = match?.[1] as TerminalRole | undefined;
      const name = match?.[2];
      if (role && name && ROLES.includes(role)) {
        return { ok: true, identity: { userId: 1, login: name, name, role } };
      }
      return { ok: false, code: 'AUTH_FAILED', reason: 'dev hub accepts an empty token or dev:<role>:<name>' };
    },
  };
}
