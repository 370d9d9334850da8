/**
 * The environment the CLI reads configuration from: an env file (`--env`, else ./.env, else the
 * installer's /etc/pos-hub/env) under the process environment, which wins — the same precedence as
 * main.ts and systemd's EnvironmentFile for a variable set in both. The option is `--env`, not
 * `--env-file`: Node 20 reads `--env-file` even after the script name and exits 9 when it is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { UsageError } from './io.js';

export const INSTALLED_ENV_FILE = '/etc/pos-hub/env';

export interface LoadedEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The file read, or null when only the process environment was used. */
  readonly file: string | null;
}

export function loadEnv(
  processEnv: Readonly<Record<string, string | undefined>>,
  explicitFile: string | undefined,
  cwd: string,
): LoadedEnv {
  const candidates = explicitFile !== undefined ? [explicitFile] : [`${cwd}/.env`, INSTALLED_ENV_FILE];
  for (const file of candidates) {
    if (!existsSync(file)) {
      if (explicitFile !== undefined) throw new UsageError(`env file ${file} does not exist`);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if (explicitFile !== undefined) throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
      continue; // /etc/pos-hub/env is readable by root and pos-hub only; fall back to the process environment.
    }
    return { env: { ...parseEnv(text), ...processEnv }, file };
  }
  return { env: processEnv, file: null };
}
