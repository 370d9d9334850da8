/**
 * Port: how the front thread validates a terminal's AUTH token. The Odoo gateway implements it
 * (get_session_info, role from the Odoo user, an offline cache); tests and dev mode use simpler ones.
 */
import type { ErrorCode } from '../protocol/errors.js';

export type TerminalRole = 'manager' | 'cashier';

export interface TerminalIdentity {
  readonly userId: number;
  readonly login: string;
  readonly name: string;
  readonly role: TerminalRole;
  /** A dev-auth identity (HUB_DEV_AUTH): no Odoo user behind it; it owns devices by its name. */
  readonly dev?: true;
}

/** The key a device id is bound to (docs/security.md): the Odoo user id, or in dev mode the dev name. */
export function ownerOf(identity: TerminalIdentity): string {
  return identity.dev === true ? `dev:${identity.login}` : `odoo:${identity.userId}`;
}

export type AuthResult =
  | { readonly ok: true; readonly identity: TerminalIdentity; readonly fromCache?: boolean }
  | { readonly ok: false; readonly code: Extract<ErrorCode, 'AUTH_FAILED' | 'AUTH_UNAVAILABLE' | 'RATE_LIMITED'>; readonly reason: string };

export interface TokenValidator {
  /** Never throws: every failure is an AuthResult with a human reason. */
  validate(token: string, deviceId: string): Promise<AuthResult>;
  /**
   * The periodic re-check of an open socket's token: asks the source of truth past any fresh cache,
   * so a logout is seen within HUB_AUTH_RECHECK_MS. Absent: validate() is used.
   */
  revalidate?(token: string, deviceId: string): Promise<AuthResult>;
}
