/**
 * Failover on a real pg_auto_failover cluster (monitor + primary + synchronous standby, loopback, tuned
 * timeouts): commits acknowledged by the Postgres store survive the loss of the primary node (its keeper
 * and postmaster killed with SIGKILL) and are read back from the promoted standby; the store reconnects
 * there through its multi-host URL, a retry of a commit that was in doubt is answered by its mutation id
 * instead of applied twice, and the new leader's takeover epoch is higher than the old one's.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import type { StoreUnit } from '../../../src/ports/store.js';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster.js';

/** Tuned: ~4 s to call the primary unhealthy, ~6 s demote timeout; the measured gap is ~10–15 s. */
const FAILOVER_LIMIT_MS = 45_000;
const RETRY_PAUSE_MS = 100;

let cluster: PgCluster | null = null;

beforeAll(async () => {
  cluster = await startPgCluster('tuned');
}, 300_000);

afterAll(async () => {
  await cluster?.close();
}, 60_000);

const write = (i: number): StoreUnit => ({
  dedupe: { terminalId: 'T1', mutationId: `m-${i}` },
  ops: [
    {
      op: 'event',
      type: 'ORDER_UPDATED',
      posReference: `F/${i}`,
      payload: { type: 'ORDER_UPDATED', posReference: `F/${i}` },
      sourceTerminal: 'T1',
    },
    {
      op: 'mutation',
      terminalId: 'T1',
      mutationId: `m-${i}`,
      homeKey: 't:1',
      posReference: `F/${i}`,
      result: { type: 'ACK', mutationId: `m-${i}` },
    },
  ],
});

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('postgres store across a failover', () => {
  it('keeps every acked commit, answers the retried one by its mutation id, and takes a higher epoch on the new primary', async () => {
    if (cluster === null) throw new Error('no cluster');
    expect(await cluster.primary()).toBe('node1');
    const store = await PgStore.open({ url: cluster.url, connectTimeoutMs: 1000 });
    try {
      const before = await store.takeOver('hub-a', Date.now());
      const acked = new Map<string, number>();
      for (let i = 0; i < 20; i++) {
        const result = await store.commit([write(i)], Date.now());
        const outcome = result.units[0];
        if (outcome?.kind !== 'applied' || outcome.seq === null)
          throw new Error(`commit ${i}: ${JSON.stringify(outcome)}`);
        acked.set(`m-${i}`, outcome.seq);
      }

      await cluster.fault('stop', 'node1');

      // The writer's view: keep resending the next write (same mutation id) until a primary takes it.
      const deadline = Date.now() + FAILOVER_LIMIT_MS;
      let retried: Awaited<ReturnType<PgStore['commit']>> | null = null;
      let failures = 0;
      while (retried === null && Date.now() < deadline) {
        try {
          retried = await store.commit([write(20)], Date.now());
        } catch {
          failures += 1;
          await pause(RETRY_PAUSE_MS);
        }
      }
      expect(retried, `no primary within ${FAILOVER_LIMIT_MS} ms: ${await cluster.state()}`).not.toBeNull();
      expect(failures).toBeGreaterThan(0);
      // node2 runs as wait_primary (no standby left, so no longer synchronous) until node1 rejoins.
      expect(await cluster.primary()).toBe('node2');
      // Applied, or — when an earlier attempt was committed on the new primary but its answer was lost with the
      // connection during the promotion — answered as a duplicate with that commit's seq. Either way it is stored
      // once (read back below); a second apply is what must never happen.
      const first = retried?.units[0];
      const seq = first?.kind === 'applied' ? first.seq : (first?.reply as { seq?: number } | undefined)?.seq;
      expect(typeof seq, JSON.stringify(first)).toBe('number');
      if (typeof seq === 'number') acked.set('m-20', seq);
      // Sent again, as a terminal that never saw the ack would: answered, not applied a second time.
      const again = await store.commit([write(20)], Date.now());
      expect(again.units[0]).toEqual({
        kind: 'duplicate',
        reply: { type: 'ACK', mutationId: 'm-20', seq: acked.get('m-20') },
      });

      const after = await store.takeOver('hub-b', Date.now());
      expect(after).toBeGreaterThan(before);

      // Read back on the promoted node itself: every acked write exactly once, seq gap-free from 1.
      const direct = new pg.Client({ connectionString: cluster.nodeUrl('node2') });
      await direct.connect();
      try {
        const { rows } = await direct.query<{ id: string; mutation_id: string | null }>(
          `SELECT e.id, m.mutation_id FROM events e LEFT JOIN mutations m ON m.pos_reference = e.pos_reference ORDER BY e.id`,
        );
        expect(rows.map((r) => Number(r.id))).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
        for (const [mutationId, seq] of acked)
          expect(rows.find((r) => r.mutation_id === mutationId)?.id).toBe(String(seq));
        const { rows: recovery } = await direct.query<{ ro: boolean }>('SELECT pg_is_in_recovery() AS ro');
        expect(recovery[0]?.ro).toBe(false);
      } finally {
        await direct.end();
      }
    } finally {
      await store.close();
    }
  }, 90_000);
});
