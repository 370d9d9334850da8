/**
 * The hub's process exit codes, one per class of fault an operator must tell apart (sysexits style).
 * The README's exit-code table and the systemd unit's RestartPreventExitStatus are checked against this
 * table by a test: a restart cannot fix a damaged database or a taken port, so the unit does not loop.
 */
import { RUNTIME_EXIT_CODE } from './adapters/uws/runtime.js';
import { CONFIG_EXIT_CODE } from './config.js';
import type { HubError } from './protocol/errors.js';

export interface ExitCodeSpec {
  readonly code: number;
  /** The sysexits.h name the number comes from, for operators who know those. */
  readonly sysexits: string;
  /** True when a supervisor restart cannot fix it: the unit lists it in RestartPreventExitStatus. */
  readonly final: boolean;
  readonly meaning: string;
}

export const EXIT_CODES = {
  OK: { code: 0, sysexits: 'EX_OK', final: false, meaning: 'Stopped on SIGTERM/SIGINT after committing in-flight writes.' },
  FAILURE: { code: 1, sysexits: '-', final: false, meaning: 'A worker died while serving, or an unexpected error; the log names the cause. Restarting from SQLite is safe.' },
  DATABASE_CORRUPT: { code: 65, sysexits: 'EX_DATAERR', final: true, meaning: 'HUB_DB_PATH is not a SQLite database, or is damaged or truncated (quick_check failed). The file is left untouched.' },
  PORT_IN_USE: { code: 69, sysexits: 'EX_UNAVAILABLE', final: true, meaning: 'HUB_HOST:HUB_HTTP_PORT (or HUB_TLS_PORT) is taken (another hub?) or cannot be bound; the port is never shared.' },
  DATABASE_READ_ONLY: { code: 73, sysexits: 'EX_CANTCREAT', final: true, meaning: 'The database directory is missing, or it or its file system is read-only: SQLite cannot create the database, its -wal or -shm.' },
  DATABASE_IO: { code: 74, sysexits: 'EX_IOERR', final: false, meaning: 'Disk I/O error or disk full while opening the database; the unit retries.' },
  DATABASE_LOCKED: { code: 75, sysexits: 'EX_TEMPFAIL', final: true, meaning: 'Another process holds the database write lock for more than 5 s at start-up.' },
  DATABASE_PERMISSION: { code: 77, sysexits: 'EX_NOPERM', final: true, meaning: 'The hub user may not read or write the database file.' },
  CONFIG_INVALID: { code: CONFIG_EXIT_CODE, sysexits: 'EX_CONFIG', final: true, meaning: 'Invalid configuration; every bad variable is named on stderr.' },
  UNSUPPORTED_RUNTIME: { code: RUNTIME_EXIT_CODE, sysexits: '-', final: true, meaning: 'The uWS native binary did not load (Node other than 20.x, another platform, or UWS_USE_FALLBACK=1): the hub refuses its JavaScript imitation (README: Runtime).' },
} as const satisfies Record<string, ExitCodeSpec>;

export type ExitCodeName = keyof typeof EXIT_CODES;

/** The classes of database fault found at start-up (src/adapters/sqlite/storage-fault.ts). */
export type DatabaseFault = 'corrupt' | 'read_only' | 'permission' | 'locked' | 'io';

export const DATABASE_FAULT_EXIT: Readonly<Record<DatabaseFault, ExitCodeName>> = {
  corrupt: 'DATABASE_CORRUPT',
  read_only: 'DATABASE_READ_ONLY',
  permission: 'DATABASE_PERMISSION',
  locked: 'DATABASE_LOCKED',
  io: 'DATABASE_IO',
};

/** The exit code for the error that stopped the hub: its database fault class, a taken port, else FAILURE. */
export function exitCodeFor(error: HubError): ExitCodeName {
  switch (error.code) {
    case 'DATABASE_UNUSABLE': {
      const fault = (error.details as { fault?: unknown } | undefined)?.fault;
      return typeof fault === 'string' && Object.hasOwn(DATABASE_FAULT_EXIT, fault) ? DATABASE_FAULT_EXIT[fault as DatabaseFault] : 'FAILURE';
    }
    case 'PORT_IN_USE':
      return 'PORT_IN_USE';
    case 'CONFIG_INVALID':
      return 'CONFIG_INVALID';
    default:
      return 'FAILURE';
  }
}
