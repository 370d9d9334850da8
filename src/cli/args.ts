/**
 * A small argv parser for the pos-hub CLI: `--flag`, `--name value` and `--name=value`, each command
 * declaring which options it knows so a typo is an error, not a silently ignored option.
 */
import { UsageError } from './io.js';

export interface ParsedArgs {
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, string>;
  readonly positional: readonly string[];
}

export interface ArgSpec {
  /** Options without a value, e.g. `json` for --json. */
  readonly flags?: readonly string[];
  /** Options with a value, e.g. `url` for --url URL. */
  readonly values?: readonly string[];
}

export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const knownFlags = new Set(spec.flags ?? []);
  const knownValues = new Set(spec.values ?? []);
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (knownFlags.has(name) && eq === -1) {
      flags.add(name);
    } else if (knownValues.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return { flags, values, positional };
}
