/**
 * How an Odoo 12 answer that is not a success becomes a HubError (wire contract §1, §5): business
 * refusals are final and carry arguments[0] as the human text; code 100 means the session is dead;
 * transport failures, 5xx and serialization failures are retryable; anything that is not a JSON-RPC
 * envelope is a protocol error (retryable: usually a proxy or captive portal, never the order's fault).
 */
import { HubError } from '../../protocol/errors.js';

export interface OdooRpcErrorData {
  readonly name?: string;
  readonly message?: string;
  readonly arguments?: readonly unknown[];
  readonly exception_type?: string;
  readonly debug?: string;
}

export interface OdooRpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: OdooRpcErrorData;
}

/** What every Odoo HubError carries in `details`. */
export interface OdooErrorDetails {
  readonly rpc: string;
  readonly odooCode?: number;
  readonly exceptionType?: string;
  readonly exceptionName?: string;
  readonly httpStatus?: number;
  /**
   * The request may have reached Odoo and may still be running or have committed (timeout, reset,
   * gateway 502/504): a retry must wait until that execution is surely over.
   */
  readonly inDoubt?: boolean;
}

/** exception_type values Odoo raises on purpose: the same request will be refused again. */
const REJECTED_TYPES = new Set(['user_error', 'validation_error', 'access_error', 'access_denied', 'missing_error', 'warning', 'except_orm']);

/** psycopg2 concurrency failures Odoo gave up retrying (5 internal retries) and lost connections. */
const TRANSIENT_NAMES = [/TransactionRollbackError$/, /SerializationFailure$/, /DeadlockDetected$/, /LockNotAvailable$/, /InterfaceError$/];

function humanText(error: OdooRpcError): string {
  const arg0 = error.data?.arguments?.[0];
  if (typeof arg0 === 'string' && arg0.trim() !== '') return arg0.trim();
  const message = error.data?.message;
  if (typeof message === 'string' && message.trim() !== '') return message.replace(/\nNone$/, '').trim();
  return error.message;
}

/** Classify a JSON-RPC `error` member. `rpc` names the call (e.g. `pos.order.create_from_ui`). */
export function classifyRpcError(error: OdooRpcError, rpc: string, httpStatus: number): HubError {
  const type = error.data?.exception_type;
  const name = error.data?.name ?? '';
  const details: OdooErrorDetails = { rpc, odooCode: error.code, exceptionType: type, exceptionName: name, httpStatus };
  const text = humanText(error);
  if (error.code === 100) {
    return new HubError('ODOO_SESSION_EXPIRED', `Odoo session expired or invalid (${rpc})`, { retryable: true, details });
  }
  if (error.code === 404 || httpStatus === 404) {
    return new HubError('ODOO_PROTOCOL', `Odoo has no route for ${rpc} (404): check ODOO_URL`, { retryable: true, details });
  }
  if (type !== undefined && REJECTED_TYPES.has(type)) {
    return new HubError('ODOO_REJECTED', text, { retryable: false, details });
  }
  if (TRANSIENT_NAMES.some((re) => re.test(name)) || (name === 'psycopg2.OperationalError' && !/does not exist/.test(text))) {
    return new HubError('ODOO_UNREACHABLE', `Odoo database busy (${name}): ${text}`, { retryable: true, details });
  }
  // KeyError, TypeError, ValueError, an unknown database…: deterministic for the same request.
  return new HubError('ODOO_REJECTED', `${name || 'Odoo error'}: ${text}`, { retryable: false, details });
}

/** An HTTP answer that is not a usable JSON-RPC envelope. */
export function classifyHttpFailure(status: number, contentType: string, rpc: string): HubError {
  // A proxy's 502/504 means Odoo got the request and did not answer in time: it may still commit.
  const details: OdooErrorDetails = { rpc, httpStatus: status, inDoubt: status === 502 || status === 504 };
  if (status >= 500) {
    return new HubError('ODOO_UNREACHABLE', `Odoo answered HTTP ${status} to ${rpc}`, { retryable: true, details });
  }
  return new HubError('ODOO_PROTOCOL', `Odoo answered ${rpc} with HTTP ${status} ${contentType || 'without a content type'}, not JSON-RPC`, {
    retryable: true,
    details,
  });
}

const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** fetch() threw: refused, reset, DNS, or our own abort on timeout. */
export function classifyTransportFailure(error: unknown, rpc: string, timedOut: boolean, timeoutMs: number): HubError {
  if (timedOut) {
    const details: OdooErrorDetails = { rpc, inDoubt: true };
    return new HubError('ODOO_UNREACHABLE', `Odoo did not answer ${rpc} within ${timeoutMs} ms`, { retryable: true, details, cause: error });
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : '';
  const message = cause instanceof Error ? cause.message : String(cause);
  // Never connected: the request surely did not run. Anything else (reset, socket closed) may have.
  const details: OdooErrorDetails = { rpc, inDoubt: !NEVER_SENT.has(code) };
  return new HubError('ODOO_UNREACHABLE', `Odoo unreachable for ${rpc}: ${code || message}`, { retryable: true, details, cause: error });
}
