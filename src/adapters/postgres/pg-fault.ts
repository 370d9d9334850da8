/**
 * What a node-postgres error means for the writer (ports/store.ts StoreFault), as storage-fault.ts says it
 * for SQLite. A lost, refused or read-only primary, a server shutting down, a serialization conflict or a
 * full disk is transient: nothing was applied, the hub refuses retryable and reconnects (to the promoted
 * standby, after a failover). A COMMIT whose answer never came is in doubt (CommitInDoubtError). Anything
 * else — a constraint the writer should never break, bad SQL — is a bug and fatal.
 */
import type { StoreFault } from '../../ports/store.js';

/** The COMMIT was sent and its answer lost: applied or not, only a read-back after reconnecting can tell. */
export class CommitInDoubtError extends Error {
  constructor(cause: unknown) {
    super(`commit in doubt: the connection failed while COMMIT was under way (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'CommitInDoubtError';
  }
}

/** SQLSTATE classes and codes that leave nothing applied and pass once the cluster settles. */
const TRANSIENT_STATE = /^(08|53|57P0[123]|25006|40001|40P01|55P03|58030)/;

/** Socket errors and node-postgres' own messages for a connection that is gone or never came. */
const TRANSIENT_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const TRANSIENT_MESSAGE =
  /^(Connection terminated|Client has encountered a connection error|Client was closed|Query read timeout|timeout expired|no (read-write )?postgres host)/;

export function classifyPgError(error: unknown): StoreFault {
  if (error instanceof CommitInDoubtError) return 'in_doubt';
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_STATE.test(code) ? 'transient' : 'fatal';
  if (TRANSIENT_ERRNO.has(code)) return 'transient';
  const message = typeof e?.message === 'string' ? e.message : '';
  return TRANSIENT_MESSAGE.test(message) ? 'transient' : 'fatal';
}

/**
 * A call that ran out of time rather than failed: node-postgres' client-side query timeout, or the server
 * cancelling a statement (57014), seen directly or as the cause of a commit in doubt. The store tries
 * that host last on its next connect.
 */
export function isTimeout(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 3; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === '57014' || (typeof message === 'string' && message.startsWith('Query read timeout'))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
