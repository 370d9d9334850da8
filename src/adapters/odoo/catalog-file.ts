/**
 * The catalog's copy on disk, next to the database: a hub restarted while the venue's internet is down
 * (a power cut during an outage) still serves the products and tables it last read from Odoo, marked
 * stale, instead of a 503 that leaves every terminal page without a menu. A cache, never the truth: a
 * file that is missing, unreadable or not ours is ignored (logged), and a failed write only warns.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { CatalogJson } from './catalog.js';

/** A catalog as read from Odoo, with when (epoch ms). */
export interface CatalogCopy {
  readonly catalog: CatalogJson;
  readonly fetchedAt: number;
}

export interface CatalogStore {
  /** The last copy written, or null (none, or not readable as one). */
  read(): CatalogCopy | null;
  write(copy: CatalogCopy): void;
}

const VERSION = 1;

export function catalogFile(path: string, log: Logger): CatalogStore {
  let lastFailure = '';
  return {
    read() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err: error, path }, 'catalog: the copy on disk is unreadable; ignored');
        return null;
      }
      try {
        const parsed = JSON.parse(text) as { v?: unknown; fetchedAt?: unknown; catalog?: unknown };
        if (parsed.v === VERSION && typeof parsed.fetchedAt === 'number' && Number.isFinite(parsed.fetchedAt) && typeof parsed.catalog === 'object' && parsed.catalog !== null && !Array.isArray(parsed.catalog)) {
          return { catalog: parsed.catalog as CatalogJson, fetchedAt: parsed.fetchedAt };
        }
      } catch {
        // Not JSON: treated like any other file that is not a copy of ours.
      }
      log.warn({ path }, 'catalog: the copy on disk is not a catalog this hub wrote; ignored');
      return null;
    },
    write(copy) {
      // Written whole, then renamed over the old one: a crash leaves the old copy or the new, never half.
      const temporary = `${path}.${process.pid}.tmp`;
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(temporary, JSON.stringify({ v: VERSION, fetchedAt: copy.fetchedAt, catalog: copy.catalog }), { mode: 0o640 });
        renameSync(temporary, path);
        lastFailure = '';
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
        // Once per kind of failure (a full disk would otherwise warn at every refresh).
        if (code !== lastFailure) log.warn({ err: error, path }, 'catalog: could not keep a copy on disk; a restart while Odoo is down will have no catalog');
        lastFailure = code;
      }
    },
  };
}

/** HUB_CATALOG_CACHE_PATH, or catalog-cache.json beside HUB_DB_PATH; null for an in-memory database. */
export function catalogCachePath(config: { readonly HUB_CATALOG_CACHE_PATH: string; readonly HUB_DB_PATH: string }): string | null {
  if (config.HUB_CATALOG_CACHE_PATH !== '') return config.HUB_CATALOG_CACHE_PATH;
  if (config.HUB_DB_PATH === ':memory:') return null;
  return join(dirname(config.HUB_DB_PATH), 'catalog-cache.json');
}
