/**
 * Commits and takeovers never hang on a lock (issue 18, docs/ha.md): a session stuck holding the
 * takeovers lock — a half-dead old leader's connection on a primary that lives — makes a fenced commit or
 * a takeover fail after lock_timeout as transient with nothing applied, and both go through once the lock
 * is free. Two real connections on a single-node PostgreSQL.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';

let server: PgServer;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  server = await startPgServer();
}, 90_000);
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A store whose query timeout is far beyond the lock timeout: only lock_timeout can end the wait. */
async function store(): Promise<PgStore> {
  const s = await PgStore.open({ url: `${server.url}?target_session_attrs=read-write`, lockTimeoutMs: 300, queryTimeoutMs: 60_000 });
  closers.push(() => s.close());
  return s;
}

/** Another session that takes `mode` on takeovers and keeps its transaction open. */
async function holder(mode: 'SHARE' | 'EXCLUSIVE'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  closers.push(() => client.end());
  await client.query('BEGIN');
  await client.query(`LOCK TABLE takeovers IN ${mode} MODE`);
  return client;
}

const NOW = 1_700_000_000_000;
const unit = (value: string) => ({ ops: [{ op: 'meta_put' as const, key: 'probe', value }] });

describe('postgres lock waits', () => {
  it('a fenced commit behind a stuck takeover lock is refused as transient, nothing applied, and goes through once it is free', async () => {
    const s = await store();
    const epoch = await s.takeOver('hub-a', NOW);
    const seq = (await s.commit([unit('before')], NOW, epoch)).seq;
    const stuck = await holder('EXCLUSIVE');

    const refused: unknown = await s.commit([unit('during')], NOW, epoch).then(
      () => null,
      (error: unknown) => error,
    );
    expect((refused as { code?: unknown }).code).toBe('55P03');
    expect(s.classifyError(refused)).toBe('transient');
    expect(await s.meta('probe')).toBe('before');

    await stuck.query('ROLLBACK');
    const after = await s.commit([unit('after')], NOW, epoch);
    expect(after.seq).toBe(seq);
    expect(await s.meta('probe')).toBe('after');
  });

  it('a takeover behind a stuck commit lock is refused as transient with no new epoch, and succeeds once it is free', async () => {
    const s = await store();
    const first = await s.takeOver('hub-a', NOW);
    const stuck = await holder('SHARE');

    const refused: unknown = await s.takeOver('hub-b', NOW + 1).then(
      () => null,
      (error: unknown) => error,
    );
    expect((refused as { code?: unknown }).code).toBe('55P03');
    expect(s.classifyError(refused)).toBe('transient');
    expect(await s.currentEpoch()).toBe(first);

    await stuck.query('ROLLBACK');
    expect(await s.takeOver('hub-b', NOW + 2)).toBe(first + 1);
  });
});
