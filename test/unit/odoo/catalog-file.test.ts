/**
 * The catalog survives a restart while Odoo is down: a real file beside the database, written when the
 * catalog changes, read by the next provider (the restarted hub) and served stale with the reason; a
 * file that is not ours is ignored, and a directory that cannot be written only warns.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { OdooClient } from '../../../src/adapters/odoo/client.js';
import type { CatalogJson } from '../../../src/adapters/odoo/catalog.js';
import { createCatalogProvider } from '../../../src/adapters/odoo/catalog-cache.js';
import { catalogCachePath, catalogFile } from '../../../src/adapters/odoo/catalog-file.js';
import { HubError } from '../../../src/protocol/errors.js';
import { catalogJson } from '../../helpers/catalog-json.js';
import { TestClock } from '../../helpers/clocks.js';

const client = {} as OdooClient;

const catalog = catalogJson;

const down = (): HubError => new HubError('ODOO_UNREACHABLE', 'Odoo unreachable: ECONNREFUSED', { retryable: true });

/** A logger whose warnings the test reads. */
function recordingLog(): { log: ReturnType<typeof createLogger>; warnings: string[] } {
  const warnings: string[] = [];
  const log = createLogger({ level: 'silent' });
  log.warn = ((first: unknown, second?: unknown) => {
    warnings.push(typeof first === 'string' ? first : String(second));
  }) as typeof log.warn;
  return { log, warnings };
}

function provider(path: string, clock: TestClock, answers: Array<CatalogJson | HubError>, log = createLogger({ level: 'silent' })) {
  const load = async (): Promise<CatalogJson> => {
    const next = answers.shift();
    if (next === undefined) throw new Error('no scripted answer left');
    if (next instanceof HubError) throw next;
    return next;
  };
  return createCatalogProvider({ client, clock, log, ttlMs: 60_000, retryMs: 5_000, load, store: catalogFile(path, log) });
}

describe('the catalog copy on disk', () => {
  it('is served stale by a restarted hub while Odoo is down, then fresh again', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pos-hub-catalog-')), 'catalog-cache.json');
    const clock = new TestClock();
    const before = provider(path, clock, [catalog('A')]);
    const first = await before();
    expect(first).toMatchObject({ config: { name: 'A' }, stale: false });

    clock.advance(3_600_000);
    // The restart: a new provider, Odoo down.
    const after = provider(path, clock, [down(), catalog('B')]);
    const served = await after();
    expect(served).toMatchObject({
      config: { name: 'A' },
      stale: true,
      fetchedAt: first.fetchedAt,
      staleReason: { code: 'ODOO_UNREACHABLE' },
    });
    clock.advance(5_000);
    expect(await after()).toMatchObject({ config: { name: 'B' }, stale: false });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ v: 1, catalog: { config: { name: 'B' } } });
  });

  it('is written only when the catalog changed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pos-hub-catalog-')), 'catalog-cache.json');
    const clock = new TestClock();
    const writes: number[] = [];
    const store = catalogFile(path, createLogger({ level: 'silent' }));
    const counting = { read: () => store.read(), write: (copy: Parameters<typeof store.write>[0]) => (writes.push(copy.fetchedAt), store.write(copy)) };
    const answers = [catalog('A'), catalog('A'), catalog('C')];
    const p = createCatalogProvider({ client, clock, log: createLogger({ level: 'silent' }), ttlMs: 1, retryMs: 1, load: async () => answers.shift()!, store: counting });
    await p();
    clock.advance(1);
    await p();
    clock.advance(1);
    await p();
    expect(writes).toHaveLength(2);
  });

  it('ignores a file that is not a copy of ours, and without any copy the provider fails as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pos-hub-catalog-'));
    const { log, warnings } = recordingLog();
    for (const [name, text] of [['garbage', 'not json'], ['other', '{"v":2,"fetchedAt":1,"catalog":{}}'], ['array', '{"v":1,"fetchedAt":1,"catalog":[]}']] as const) {
      const path = join(dir, `${name}.json`);
      writeFileSync(path, text);
      expect(catalogFile(path, log).read()).toBeNull();
    }
    expect(warnings.filter((w) => w.includes('not a catalog this hub wrote'))).toHaveLength(3);
    const p = provider(join(dir, 'garbage.json'), new TestClock(), [down()], log);
    await expect(p()).rejects.toMatchObject({ code: 'ODOO_UNREACHABLE' });
  });

  it('only warns, once, when the copy cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pos-hub-catalog-'));
    // A path under a regular file: no directory can be made there, whoever runs the test (root included).
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    const { log, warnings } = recordingLog();
    const clock = new TestClock();
    const p = provider(join(blocker, 'catalog-cache.json'), clock, [catalog('A'), catalog('B')], log);
    expect(await p()).toMatchObject({ config: { name: 'A' }, stale: false });
    clock.advance(60_000);
    expect(await p()).toMatchObject({ config: { name: 'B' }, stale: false });
    expect(warnings.filter((w) => w.includes('could not keep a copy on disk'))).toHaveLength(1);
  });

  it('lives beside HUB_DB_PATH unless HUB_CATALOG_CACHE_PATH says otherwise; none for an in-memory database', () => {
    expect(catalogCachePath({ HUB_CATALOG_CACHE_PATH: '', HUB_DB_PATH: '/var/lib/pos-hub/hub.sqlite' })).toBe('/var/lib/pos-hub/catalog-cache.json');
    expect(catalogCachePath({ HUB_CATALOG_CACHE_PATH: '/srv/c.json', HUB_DB_PATH: ':memory:' })).toBe('/srv/c.json');
    expect(catalogCachePath({ HUB_CATALOG_CACHE_PATH: '', HUB_DB_PATH: ':memory:' })).toBeNull();
  });
});
