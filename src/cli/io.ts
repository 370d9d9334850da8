/**
 * What every CLI command receives: its arguments, the environment and where to print. Commands return
 * an exit code instead of calling process.exit, so tests can run them in-process and main.ts exits once.
 */

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(line: string): void;
  err(line: string): void;
}

/** Exit codes: 0 fine, 1 the thing checked is wrong or unreachable, 2 the command line is wrong. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
