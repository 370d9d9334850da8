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
  // Frame bounds, checked before any parser or schema runs (README "Security"); the connection stays open.
  FRAME_TOO_LARGE: 'Frame is larger than HUB_FRAME_MAX_BYTES.',
  FRAME_TOO_DEEP: 'Frame nests objects/arrays deeper than HUB_FRAME_MAX_DEPTH.',
  FRAME_TOO_MANY_KEYS: 'An object in the frame has more keys than HUB_FRAME_MAX_KEYS.',
  FRAME_ARRAY_TOO_LONG: 'An array in the frame has more elements than HUB_FRAME_MAX_ARRAY.',
  FRAME_STRING_TOO_LONG: 'A string in the frame is longer than HUB_FRAME_MAX_STRING.',
  PASSTHROUGH_TOO_LARGE: 'A field the hub does not know is deeper than HUB_PASSTHROUGH_MAX_DEPTH or larger than HUB_PASSTHROUGH_MAX_BYTES.',
  PREAUTH_FRAME_TOO_LARGE: 'A frame before AUTH_OK is larger than HUB_PREAUTH_MAX_BYTES; it was not decoded.',
  FLOOR_PLAN_TOO_LARGE: 'FLOOR_PLAN_UPDATE is larger than HUB_FLOOR_PLAN_MAX_BYTES.',
  ORDER_VALUE_INVALID: 'A quantity, price, discount or amount is out of bounds, or a negative quantity is not on a refund line.',
  ORDER_TOTALS_MISMATCH: 'Line subtotals or order amounts do not follow from the lines within rounding.',
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
  DEVICE_OWNED: 'The deviceId belongs to another user; it is released by the admin API or after HUB_DEVICE_IDLE_RELEASE_HOURS unused.',
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
  RESET_FORBIDDEN: 'The admin API (reset, /api/state, /api/devices, the dashboard) needs HUB_ADMIN_TOKEN to be set and presented.',
  INTERNAL: 'An unexpected error; the hub log has the details.',
  STORAGE_UNAVAILABLE: 'The write was not stored: the disk is full or failing (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, ENOSPC). Nothing was applied; retryable — the hub retries by itself once the disk has room.',
  DATABASE_UNUSABLE: 'At start-up the database is damaged, read-only, not permitted or locked; the hub exits with that class\'s exit code (README: Exit codes).',
  PORT_IN_USE: 'At start-up HUB_HOST:HUB_HTTP_PORT is taken or cannot be bound; the hub exits 69 instead of sharing the port.',
  // Terminal SDK
  REQUEST_TIMEOUT: 'The hub did not answer a request in time (LEASE_ACQUIRE: 10 s); it is overloaded or the message was lost — check the hub logs.',
  DEVICE_REPLACED: 'A newer connection with the same deviceId replaced this one (close 4004); the SDK stops reconnecting.',
  HUB_UNREACHABLE: 'The terminal lost or cannot open its connection to the hub; its writes stay queued in the outbox.',
  HUB_IDENTITY_MISMATCH: 'The hub did not prove the identity pinned in the bootstrap (`nu_hub_key_pin`); the SDK sent it nothing and tries the next hub.',
  // Venue failover (issue 18)
  NOT_LEADER: 'This hub is a follower and does not take writes; the ERROR names the leader (`leader: {url, epoch}`, or null while none is known). Retryable: the SDK moves to the leader and resends with the same mutationId.',
  HUB_EPOCH_STALE: 'A hub answered with an epoch lower than one this terminal has already seen (a demoted or stale primary); the SDK does not sync from it and tries the other hubs it knows.',
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

/** The facts of a thrown value that survive postMessage (a SqliteError clones to `{code}` alone). */
export interface ErrorCause {
  readonly message: string;
  /** SQLite extended result code name (SQLITE_FULL, SQLITE_IOERR_WRITE, …). */
  readonly sqliteCode?: string;
  /** errno name (ENOSPC, EACCES, EROFS, …). */
  readonly errno?: string;
  readonly name?: string;
}

/** Read the message, SQLite code and errno of anything thrown, as plain data; never `undefined`. */
export function causeOf(error: unknown): ErrorCause {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const e = error as { message?: unknown; code?: unknown; name?: unknown; constructor?: { name?: unknown } };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : (code ?? JSON.stringify(error) ?? 'unknown error');
  const name = typeof e.name === 'string' ? e.name : typeof e.constructor?.name === 'string' && e.constructor.name !== 'Object' ? e.constructor.name : undefined;
  return {
    message,
    ...(code?.startsWith('SQLITE_') ? { sqliteCode: code } : {}),
    ...(code !== undefined && /^E[A-Z0-9]+$/.test(code) ? { errno: code } : {}),
    ...(name === undefined ? {} : { name }),
  };
}

/** `SQLITE_FULL: database or disk is full` — a cause in one short line. */
export function describeCause(cause: ErrorCause): string {
  const code = cause.sqliteCode ?? cause.errno;
  return code === undefined || cause.message.includes(code) ? cause.message : `${code}: ${cause.message}`;
}
