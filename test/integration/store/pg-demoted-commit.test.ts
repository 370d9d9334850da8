/**
 * A demoted leader gives up a commit hung on its primary (docs/ha.md, two-hub `partition`), on a real
 * server: commits wait for a synchronous standby that is named but never attaches, as on an old primary
 * cut off from the standby that was promoted. The demotion refuses the write in doubt long before the
 * store's query timeout; the connection is given up (the next call reconnects); and when the commit lands
 * after all (the "standby comes back"), the resend with the same mutation id is answered, not applied twice.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import type { Outbound } from '../../../src/threads/actor-io.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';
import { orderWriteUnit } from '../../helpers/order-write-unit.js';
import { setPgSetting, startPgServer, type PgServer } from '../../helpers/pg-server.js';
import { pollUntil, waitFor } from '../../helpers/wait.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

/** Far beyond the wait below: without the give-up the refusal would come only after this. */
const QUERY_TIMEOUT_MS = 60_000;
/** How long the refusal may take after the demotion on a loaded box: a fraction of the query timeout. */
const GIVE_UP_LIMIT_MS = 10_000;
const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });

let server: PgServer | null = null;
beforeAll(async () => {
  server = await startPgServer();
}, 60_000);
afterAll(async () => {
  await server?.close();
}, 60_000);

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: server?.url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function hub(store: PgStore) {
  const notices = new EventEmitter();
  const outs: Outbound[] = [];
  const rollbacks: number[] = [];
  const core = new WriterCore({
    store,
    config,
    clock: writerClock(fixedClock()),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    toFront: (m: WriterNotice) => {
      if (m.type !== 'deliver') return;
      for (const d of m.input.deliveries) for (const o of d.out) outs.push(o);
      notices.emit('out');
    },
    onRollback: (g) => rollbacks.push(g),
    role: 'follower',
  });
  await core.request('take_over', { node: `hub-${Math.random().toString(36).slice(2, 6)}` });
  await core.settled();
  // A takeover delivers what its predecessors committed since this store's mark (its catch-up): not looked at here.
  outs.length = 0;
  return { core, outs, rollbacks, notices };
}

describe('a demoted leader with a commit hung on a primary that lost its standby', () => {
  it('refuses the write in doubt at once, and the resend is answered from the store once the commit lands', async () => {
    if (server === null) throw new Error('no server');
    const url = server.url;
    const storeA = await PgStore.open({ url, connectTimeoutMs: 2000, queryTimeoutMs: QUERY_TIMEOUT_MS });
    const storeB = await PgStore.open({ url, connectTimeoutMs: 2000, queryTimeoutMs: QUERY_TIMEOUT_MS });
    try {
      const a = await hub(storeA);
      await setPgSetting(url, 'synchronous_standby_names', 'gone_standby', 'gone_standby');
      a.core.enqueue([orderWriteUnit('m1')]);
      a.core.commit();
      // Its COMMIT is written on the primary and waits for the standby's flush.
      await pollUntil(async () => (await query(`SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep'`)).length === 1, 'a commit waiting for the standby');

      const rollbacks = a.rollbacks.length;
      await a.core.request('demote', { leader: { url: 'ws://hub-b.local:8766/', epoch: 99 } });
      const refused = await waitFor<Outbound | undefined>(
        (listener) => {
          const on = (): void => listener(a.outs.find((o) => o.msg.type === 'ERROR'));
          a.notices.on('out', on);
          on();
          return () => a.notices.off('out', on);
        },
        (o) => o !== undefined,
        'the hung write refused',
        GIVE_UP_LIMIT_MS,
      );
      expect(refused?.msg).toMatchObject({ type: 'ERROR', code: 'STORAGE_UNAVAILABLE', retryable: true, message: expect.stringMatching(/maybe stored/) });
      expect(a.outs.some((o) => o.msg.type === 'ORDER_ACK')).toBe(false);
      expect(a.rollbacks.length).toBeGreaterThan(rollbacks);
      await a.core.settled();

      // The standby "comes back": the given-up transaction completes on the server (it was committed there).
      await setPgSetting(url, 'synchronous_standby_names', null, '');
      await pollUntil(async () => (await query(`SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep'`)).length === 0, 'the waiting commit released');
      const b = await hub(storeB);
      b.core.enqueue([orderWriteUnit('m1')]);
      await b.core.settled();
      expect(b.outs).toEqual([{ to: 'terminal', terminalId: 'ann', msg: { type: 'ORDER_ACK', posReference: 'A', version: 1, mutationId: 'm1', seq: 1 } }]);
      expect(await query(`SELECT id FROM events WHERE type = 'ORDER_UPDATED'`)).toHaveLength(1);

      // The old leader's store reconnected: it still answers (as a follower would read).
      expect(await storeA.currentEpoch()).toBeGreaterThan(0);
    } finally {
      await setPgSetting(url, 'synchronous_standby_names', null, '').catch(() => undefined);
      await Promise.all([storeA.close(), storeB.close()]);
    }
  }, 120_000);
});
