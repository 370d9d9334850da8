/**
 * Load a sibling module only when its file exists: the runtime wires in the metrics adapter, the
 * domain rules and the Odoo forwarder as the other helpers deliver them, without a hard import.
 * Looks for the .ts source (tsx) and the compiled .js next to it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function importIfPresent<T>(relativeFromWorkers: string): Promise<T | null> {
  for (const ext of ['.ts', '.js']) {
    const url = new URL(`${relativeFromWorkers}${ext}`, import.meta.url);
    if (existsSync(fileURLToPath(url))) return (await import(url.href)) as T;
  }
  return null;
}
