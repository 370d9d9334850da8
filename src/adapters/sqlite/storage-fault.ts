/**
 * What a SQLite or file-system error means for the hub. At start-up a fault is classified (corrupt,
 * read-only, permission, locked, I/O) so main.ts can print one line naming the file and exit with the
 * class's own code; while serving, a full or failing disk is transient: the commit is refused with a
 * retryable error and the hub keeps running. The cause (SQLite code, errno) is kept as plain data.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseFault } from '../../exit-codes.js';
import { causeOf, describeCause, type ErrorCause } from '../../protocol/errors.js';

const TRANSIENT = /^SQLITE_(FULL|IOERR|BUSY|LOCKED)/;

/** A disk that is full, failing or busy: refuse this commit (retryable) and keep serving. */
export function isTransientStorageError(error: unknown): boolean {
  const cause = causeOf(error);
  if (cause.sqliteCode !== undefined) return TRANSIENT.test(cause.sqliteCode);
  return cause.errno === 'ENOSPC' || cause.errno === 'EIO' || cause.errno === 'EDQUOT';
}

export interface StartupFault {
  readonly fault: DatabaseFault;
  readonly path: string;
  readonly cause: ErrorCause;
  /** One line for the operator: the path, what is wrong, and what to do. */
  readonly line: string;
}

const ADVICE: Record<DatabaseFault, string> = {
  corrupt: 'it is not a SQLite database or it is damaged; the file was left untouched — restore a backup or move it aside',
  read_only: 'its directory or file system is read-only or missing; the hub must create the database, its -wal and -shm there',
  permission: 'the hub user may not read or write it; fix the owner or mode',
  locked: 'another process holds its write lock (a second hub on the same file?)',
  io: 'the disk failed or is full while opening it',
};

function fault(kind: DatabaseFault, path: string, cause: ErrorCause): StartupFault {
  return { fault: kind, path, cause, line: `database ${path}: ${ADVICE[kind]} (${describeCause(cause)})` };
}

function errnoOf(error: unknown): string | undefined {
  return (error as { code?: unknown } | null)?.code as string | undefined;
}

/**
 * Before SQLite touches anything: can the hub create and write the database and its side files? Root
 * passes every access() check, so read-only mounts show up as EROFS and the rest only for other users.
 */
export function preflightDatabase(path: string): StartupFault | null {
  const dir = dirname(path);
  if (!existsSync(dir)) return fault('read_only', path, { message: `directory ${dir} does not exist`, errno: 'ENOENT' });
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'EROFS' || errno === 'EACCES' || errno === 'EPERM') return fault('read_only', path, causeOf(error));
    return fault('io', path, causeOf(error));
  }
  if (!existsSync(path)) return null;
  try {
    if (!statSync(path).isFile()) return fault('corrupt', path, { message: 'not a regular file' });
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'EROFS') return fault('read_only', path, causeOf(error));
    if (errno === 'EACCES' || errno === 'EPERM') return fault('permission', path, causeOf(error));
    return fault('io', path, causeOf(error));
  }
  return null;
}

/** Classify what opening, checking or migrating the database threw; null when it is no storage fault. */
export function classifyStartupError(path: string, error: unknown): StartupFault | null {
  const cause = causeOf(error);
  const code = cause.sqliteCode ?? '';
  if (/^SQLITE_(NOTADB|CORRUPT)/.test(code)) return fault('corrupt', path, cause);
  if (/^SQLITE_READONLY/.test(code)) return fault('read_only', path, cause);
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return fault('locked', path, cause);
  if (/^SQLITE_(IOERR|FULL)/.test(code)) return fault('io', path, cause);
  if (/^SQLITE_(PERM|AUTH|CANTOPEN)/.test(code)) return fault('permission', path, cause);
  switch (cause.errno) {
    case 'EACCES':
    case 'EPERM':
      return fault('permission', path, cause);
    case 'EROFS':
      return fault('read_only', path, cause);
    case 'ENOSPC':
    case 'EIO':
      return fault('io', path, cause);
    default:
      break;
  }
  // better-sqlite3 checks the directory itself and throws a TypeError before SQLite runs.
  if (/directory does not exist/.test(cause.message)) return fault('read_only', path, cause);
  return null;
}
