/**
 * The Postgres store's host choice on real servers: a node out of recovery whose commits wait for a
 * synchronous standby that is not attached (a cut-off old primary its keeper never demoted) is passed over
 * when another node is out of recovery, and is still used when it is the only one — its commits wait, and
 * go through once it can commit again (issue 18; the cluster-level repro is `npm run failover -- --faults
 * partition`). Two standalone servers stand in for the two primaries a partition leaves visible.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import type { StoreUnit } from '../../../src/ports/store.js';
import { setPgSetting, startPgServer, type PgServer } from '../../helpers/pg-server.js';

let stuck: PgServer | null = null;
let healthy: PgServer | null = null;

async function onServer<T>(server: PgServer, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Make commits on `server` wait for a synchronous standby named `standby` (none will attach), or stop. */
const requireStandby = (server: PgServer, standby: string | null): Promise<void> =>
  setPgSetting(server.url, 'synchronous_standby_names', standby, standby ?? '');

const write = (i: number): StoreUnit => ({
  dedupe: { terminalId: 'T1', mutationId: `h-${i}` },
  ops: [
    {
      op: 'event',
      type: 'ORDER_UPDATED',
      posReference: `H/${i}`,
      payload: { type: 'ORDER_UPDATED', posReference: `H/${i}` },
      sourceTerminal: 'T1',
    },
    {
      op: 'mutation',
      terminalId: 'T1',
      mutationId: `h-${i}`,
      homeKey: 't:1',
      posReference: `H/${i}`,
      result: { type: 'ACK', mutationId: `h-${i}` },
    },
  ],
});

const hostsUrl = (...servers: PgServer[]): string =>
  `postgres://postgres@${servers.map((s) => `127.0.0.1:${s.port}`).join(',')}/postgres?target_session_attrs=read-write`;

const hasEvents = (server: PgServer): Promise<boolean> =>
  onServer(
    server,
    async (c) => (await c.query<{ t: string | null }>(`SELECT to_regclass('events')::text AS t`)).rows[0]?.t != null,
  );

beforeAll(async () => {
  [stuck, healthy] = await Promise.all([startPgServer(), startPgServer()]);
  await requireStandby(stuck, 'gone_standby');
}, 60_000);

afterAll(async () => {
  await Promise.all([stuck?.close(), healthy?.close()]);
}, 60_000);

describe('postgres store host choice', () => {
  it('passes over a primary that cannot complete a synchronous commit when another primary can', async () => {
    if (stuck === null || healthy === null) throw new Error('no servers');
    // The stuck node is listed first, as the hub's own box would be.
    const store = await PgStore.open({ url: hostsUrl(stuck, healthy), connectTimeoutMs: 2000, queryTimeoutMs: 5000 });
    try {
      const result = await store.commit([write(1)], Date.now());
      expect(result.units[0]).toMatchObject({ kind: 'applied', seq: 1 });
    } finally {
      await store.close();
    }
    expect(await hasEvents(healthy)).toBe(true);
    // Nothing was ever written there: not even the schema, whose DDL would have waited for the standby.
    expect(await hasEvents(stuck)).toBe(false);
  });

  it('still uses it when it is the only primary: commits wait, and go through once it can commit again', async () => {
    if (stuck === null) throw new Error('no servers');
    await expect(PgStore.open({ url: hostsUrl(stuck), connectTimeoutMs: 2000, queryTimeoutMs: 1000 })).rejects.toThrow(
      /Query read timeout/,
    );
    // Its standby "comes back" (here: it no longer needs one): the same node serves writes again.
    await requireStandby(stuck, null);
    const store = await PgStore.open({ url: hostsUrl(stuck), connectTimeoutMs: 2000, queryTimeoutMs: 5000 });
    try {
      const result = await store.commit([write(2)], Date.now());
      expect(result.units[0]?.kind).toBe('applied');
    } finally {
      await store.close();
    }
    expect(await hasEvents(stuck)).toBe(true);
  });

  it('takes over on the node that can commit when its connection is still on a primary that lost its standby', async () => {
    if (stuck === null || healthy === null) throw new Error('no servers');
    // A follower hub's store, connected while its node was a healthy primary; then the node is cut off from
    // its standby (never demoted) and the other node promoted: its hub must take over there, at once.
    const store = await PgStore.open({ url: hostsUrl(stuck, healthy), connectTimeoutMs: 2000, queryTimeoutMs: 3000 });
    try {
      await requireStandby(stuck, 'gone_standby');
      const epoch = await store.takeOver('hub-b:8766', Date.now());
      const taken = await onServer(
        healthy,
        async (c) => (await c.query<{ epoch: number }>(`SELECT epoch FROM takeovers WHERE node = 'hub-b:8766'`)).rows,
      );
      expect(taken.map((r) => Number(r.epoch))).toEqual([epoch]);
    } finally {
      await store.close();
      await requireStandby(stuck, null);
    }
  });
});
