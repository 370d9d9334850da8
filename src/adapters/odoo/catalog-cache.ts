/**
 * The provider behind GET /api/catalog: the last good catalog from Odoo, re-read after `ttlMs`, and
 * served marked `stale: true` (with the reason) while Odoo cannot give a fresh one — a restaurant's
 * internet drops, and terminals on the LAN must still get their products and tables. Only with no
 * good copy at all does it fail, with the loader's HubError. With a `store` (catalog-file.ts) the last good
 * copy also survives a restart: it is served stale until Odoo answers again.
 */
import { HubError, type HubErrorData, toHubError } from '../../protocol/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../log/logger.js';
import type { OdooClient } from './client.js';
import { type CatalogJson, type LoadCatalogOptions, loadCatalog } from './catalog.js';
import type { CatalogStore } from './catalog-file.js';

/** What GET /api/catalog answers: the catalog plus where it stands. */
export type ServedCatalog = CatalogJson & {
  /** true: Odoo could not give a fresh copy; this is the last good one. */
  readonly stale: boolean;
  /** When this copy was read from Odoo (ISO 8601). */
  readonly fetchedAt: string;
  /** Why the copy is stale (the last refresh's error). */
  readonly staleReason?: Pick<HubErrorData, 'code' | 'message'>;
};

export interface CatalogProviderOptions {
  readonly client: OdooClient;
  readonly clock: Clock;
  readonly log: Logger;
  /** A good copy is served as fresh this long, then re-read. */
  readonly ttlMs?: number;
  /** After a failed refresh, the stale copy is served this long before Odoo is asked again. */
  readonly retryMs?: number;
  readonly configId?: number;
  /** Where the last good copy is kept across restarts (read once now, written when it changes). */
  readonly store?: CatalogStore;
  /** Test seam: the loader (default loadCatalog). */
  readonly load?: (client: OdooClient, opts: LoadCatalogOptions) => Promise<CatalogJson>;
}

export function createCatalogProvider(options: CatalogProviderOptions): () => Promise<ServedCatalog> {
  const { client, clock, log } = options;
  const ttlMs = options.ttlMs ?? 60_000;
  const retryMs = options.retryMs ?? Math.min(ttlMs, 10_000);
  const load = options.load ?? loadCatalog;
  const loadOptions: LoadCatalogOptions = {
    ...(options.configId === undefined ? {} : { configId: options.configId }),
    warn: (message, details) => log.warn(details, `catalog: ${message}`),
  };
  // A copy from before a restart is as good as any: served fresh until ttlMs after its read, then re-read.
  let good: { catalog: CatalogJson; fetchedAt: number } | null = options.store?.read() ?? null;
  let stored = good === null ? '' : JSON.stringify(good.catalog);
  let failure: { error: HubError; at: number } | null = null;
  // Concurrent requests after expiry share one Odoo read.
  let inFlight: Promise<void> | null = null;

  const served = (stale: boolean): ServedCatalog => {
    if (good === null) throw new Error('catalog: nothing cached');
    const base = { ...good.catalog, stale, fetchedAt: new Date(good.fetchedAt).toISOString() };
    return stale && failure !== null
      ? { ...base, staleReason: { code: failure.error.code, message: failure.error.message } }
      : base;
  };

  const refresh = (): Promise<void> => {
    inFlight ??= (async () => {
      try {
        const catalog = await load(client, loadOptions);
        good = { catalog, fetchedAt: clock.now() };
        const text = JSON.stringify(catalog);
        if (options.store !== undefined && text !== stored) {
          options.store.write(good);
          stored = text;
        }
        if (failure !== null) log.info('catalog: Odoo answered again; serving a fresh catalog');
        failure = null;
      } catch (e) {
        const error = toHubError(e);
        if (failure === null)
          log.warn(
            { code: error.code, err: error.message, cached: good !== null },
            'catalog: could not read the catalog from Odoo',
          );
        failure = { error, at: clock.now() };
      }
    })().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  return async () => {
    const now = clock.now();
    const fresh = good !== null && now - good.fetchedAt < ttlMs;
    const resting = failure !== null && now - failure.at < retryMs;
    if (!fresh && !resting) await refresh();
    if (good !== null && failure === null) return served(false);
    if (good !== null) return served(true);
    throw failure?.error ?? new HubError('INTERNAL', 'catalog: the loader gave no answer');
  };
}
