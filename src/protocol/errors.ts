/**
 * The one error type of pos-hub and its catalogue of stable codes.
 * Codes cross threads and the wire as plain data ({code, message}); they are never reused or renamed,
 * and the README's error table is checked against ERROR_CODES by a test.
 */

export const ERROR_CODES = {
  // Frames and protocol
  BAD_JSON: 'Text frame is not valid JSON.',
  BAD_FRAME: 'Binary frame is not valid msgpack, or the frame kind does not match the negotiated encoding.',
  UNKNOWN_TYPE: 'Message type is not part of the protocol.',
  INVALID_MESSAGE: 'Message does not match its schema; `message` names the fields.',
  PAYLOAD_TOO_LARGE: 'Frame is larger than HUB_MAX_PAYLOAD.',
  RATE_LIMITED: 'Too many frames of one class from this terminal, or AUTH attempts from this address (token buckets, HUB_RATE_*); `retryAfterMs` says when to try again.',
  TOO_MANY_LEASES: 'The terminal already holds or is acquiring HUB_MAX_LEASES_PER_TERMINAL order leases; release one first.',
  TOO_MANY_LOCKS: 'The terminal already holds or is acquiring HUB_MAX_LOCKS_PER_TERMINAL table locks; release one first.',
  TOO_MANY_KEYS: 'The terminal addressed more than HUB_MAX_KEYS_PER_TERMINAL distinct orders and tables within HUB_KEYS_WINDOW_MS.',
  TOO_MANY_CONNECTIONS: 'This address holds HUB_MAX_UNAUTH_PER_ADDRESS sockets that have not signed in; the new one is closed (4007).',
  // Session
  NOT_AUTHENTICATED: 'A frame other than AUTH arrived before AUTH_OK.',
  ALREADY_AUTHENTICATED: 'AUTH arrived on a connection that is already authenticated.',
  AUTH_FAILED: 'The token was refused by Odoo.',
  AUTH_TIMEOUT: 'No AUTH within the allowed time after connecting.',
  AUTH_UNAVAILABLE: 'Odoo is unreachable and the token is not in the offline cache.',
  FORBIDDEN: 'The terminal role may not do this (force acquire needs a manager).',
  // Leases, locks, versions
  LEASE_HELD: 'Another terminal holds the lease on this order.',
  LEASE_NOT_HELD: 'The sender does not hold the lease it tried to use, renew or release.',
  LOCK_HELD: 'Another terminal holds the lock on this table.',
  LOCK_NOT_HELD: 'The sender does not hold the table lock it tried to renew or release.',
  STALE_EPOCH: 'The write carries a fencing epoch older than the current grant.',
  VERSION_CONFLICT: 'baseVersion is older than the hub version.',
  ORDER_NOT_FOUND: 'No order with that posReference.',
  // Order domain
  ORDER_PAID: 'The order is paid; its lines and totals can no longer change.',
  INVALID_TRANSITION: 'The order state change is not allowed by the order lifecycle.',
  CHECKOUT_EMPTY: 'An order cannot go to checkout without at least one line.',
  KITCHEN_STATUS_MISMATCH: 'The kitchen status does not follow from the change.',
  TRANSFER_INVALID: 'The transfer or split names lines or orders that cannot move.',
  LINE_INVALID: 'A line edit names a line the order does not have, repeats a line uid, or sets an invalid quantity.',
  TRANSFER_BUSY: 'Another transfer on one of the two tables is waiting for its destination; nothing moved — retry.',
  // Odoo
  ODOO_UNREACHABLE: 'Odoo did not answer (connection refused, timeout, HTTP 5xx).',
  ODOO_REJECTED: 'Odoo refused the request for good (user_error, validation_error, access error).',
  ODOO_SESSION_EXPIRED: 'The Odoo session is dead (JSON-RPC code 100).',
  ODOO_PROTOCOL: 'Odoo answered with something that is not a JSON-RPC 2.0 envelope.',
  // Hub
  CONFIG_INVALID: 'One or more configuration variables are invalid.',
  SHUTTING_DOWN: 'The hub is shutting down and accepts no new work.',
  WORKER_DIED: 'A worker thread exited with requests in flight.',
  BACKPRESSURE: 'The terminal did not read its socket fast enough.',
  RESET_FORBIDDEN: 'Reset needs HUB_ADMIN_TOKEN to be set and presented.',
  INTERNAL: 'An unexpected error; the hub log has the details.',
  // Terminal SDK
  REQUEST_TIMEOUT: 'The hub did not answer a request in time (LEASE_ACQUIRE: 10 s); it is overloaded or the message was lost — check the hub logs.',
  DEVICE_REPLACED: 'A newer connection with the same deviceId replaced this one (close 4004); the SDK stops reconnecting.',
  HUB_UNREACHABLE: 'The terminal lost or cannot open its connection to the hub; its writes stay queued in the outbox.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** Plain-data form: what crosses postMessage and the wire. */
export interface HubErrorData {
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable?: boolean;
  readonly details?: unknown;
}

export class HubError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; retryable?: boolean; details?: unknown }) {
    super(message ?? ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.retryable = options?.retryable ?? false;
    this.details = options?.details;
  }

  toData(): HubErrorData {
    const data: HubErrorData = { code: this.code, message: this.message, retryable: this.retryable };
    return this.details === undefined ? data : { ...data, details: this.details };
  }

  static fromData(data: HubErrorData): HubError {
    return new HubError(data.code, data.message, { retryable: data.retryable ?? false, details: data.details });
  }
}

/** Normalise anything thrown into a HubError at a boundary; unknown errors become INTERNAL. */
export function toHubError(error: unknown, fallback: ErrorCode = 'INTERNAL'): HubError {
  if (error instanceof HubError) return error;
  if (typeof error === 'object' && error !== null && 'code' in error && isErrorCode(error.code)) {
    const message = 'message' in error && typeof error.message === 'string' ? error.message : undefined;
    return new HubError(error.code, message, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HubError(fallback, message, { cause: error });
}
