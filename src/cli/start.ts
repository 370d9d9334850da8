/**
 * `pos-hub start`: runs the hub's composition root (src/main.ts) in this process, so systemd, Docker
 * and a shell all signal the hub itself. The entry is located at run time (main.ts under tsx, main.js
 * in a build) and main.ts owns config, signals and exit codes (78 for a bad configuration).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from './args.js';
import { EXIT, type CliIo } from './io.js';

export async function startCommand(argv: readonly string[], io: CliIo): Promise<number | 'running'> {
  parseArgs(argv, {});
  const candidates = ['../main.ts', '../main.js'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const entry = candidates.find((p) => existsSync(p));
  if (entry === undefined) {
    io.err(`pos-hub start: the hub entry point is missing (looked for ${candidates.join(', ')}).`);
    return EXIT.FAILED;
  }
  await import(pathToFileURL(entry).href);
  return 'running';
}
