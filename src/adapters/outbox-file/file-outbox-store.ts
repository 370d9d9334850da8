/**
 * The SDK outbox for Node kiosks: one JSON file, written to a temp file, fsynced, then renamed over
 * the old one, so a crash leaves either the previous queue or the new one, never half of each.
 * Lives here, not in src/client, because the browser SDK may not import node: modules.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseOutboxEntries, type OutboxEntry, type OutboxStore } from '../../client/outbox-store.js';

export function fileOutboxStore(path: string): OutboxStore {
  mkdirSync(dirname(path), { recursive: true });
  return {
    load(): OutboxEntry[] {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      try {
        return parseOutboxEntries(JSON.parse(text));
      } catch {
        return [];
      }
    },
    save(entries: readonly OutboxEntry[]): void {
      const tmp = `${path}.tmp`;
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, JSON.stringify(entries));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    },
  };
}
