/**
 * The result type every domain operation returns. The hub turns a refusal into an ERROR frame and
 * the terminal into a UI message, so nothing here throws for a rule the user can break.
 */
import type { ErrorCode } from '../protocol/errors.js';

export type DomainResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

export type DomainFailure = Extract<DomainResult<never>, { ok: false }>;

export function ok<T>(value: T): DomainResult<T> {
  return { ok: true, value };
}

export function fail(code: ErrorCode, message: string): DomainFailure {
  return { ok: false, code, message };
}
