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
}

export type AuthResult =
  | { readonly ok: true; readonly identity: TerminalIdentity; readonly fromCache?: boolean }
  | { readonly ok: false; readonly code: Extract<ErrorCode, 'AUTH_FAILED' | 'AUTH_UNAVAILABLE' | 'RATE_LIMITED'>; readonly reason: string };

export interface TokenValidator {
  /** Never throws: every failure is an AuthResult with a human reason. */
  validate(token: string, deviceId: string): Promise<AuthResult>;
}
