/**
 * The pg bench's store level on a real pg_auto_failover cluster (monitor + two nodes, synchronous standby,
 * loopback), at toy size: the writer-like group committer acks every offered unit on both stores, the
 * units land in Postgres (the seq counter on the primary moves by exactly the events committed), and the
 * CPU accounting finds the work in the data nodes' Postgres processes — CPU per write on Postgres counts
 * them, on SQLite there are none. No timing assertions: counts and where the CPU went.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../../src/adapters/postgres/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { sampleClusterCpu } from '../../../bench/pg/cluster-cpu.js';
import { seqCounter } from '../../../bench/pg/cluster-sql.js';
import {
  GroupCommitter,
  measureStep,
  NO_EXTERNAL_CPU,
  type ExternalCpu,
  type StoreStep,
} from '../../../bench/pg/store-load.js';
import { snapshotUnits } from '../../../bench/pg/units.js';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster.js';

const RATES = [50, 100];
const STEP_MS = 400;
/** Generous: the box is shared; a unit not acked by then counts as not accepted, which this test would see. */
const DRAIN_MS = 10_000;

/** The same steps the scenario runs (each rate for STEP_MS), without its verdicts: those are unit-tested. */
async function steps(committer: GroupCommitter, runId: string, external: ExternalCpu): Promise<StoreStep[]> {
  const source = snapshotUnits(runId, 4);
  const out: StoreStep[] = [];
  for (const rate of RATES) out.push(await measureStep(committer, source, external, rate, STEP_MS, DRAIN_MS));
  return out;
}

let cluster: PgCluster | null = null;
let dir: string | null = null;

beforeAll(async () => {
  cluster = await startPgCluster('tuned');
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-pg-bench-test-'));
}, 300_000);

afterAll(async () => {
  await cluster?.close();
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('pg bench, store level', () => {
  it(
    'acks every offered write on both stores; Postgres CPU is found and counted per write',
    { timeout: 120_000 },
    async () => {
      const c = cluster!;
      const sqlite = SqliteStorePort.open({ path: join(dir!, 'hub.sqlite'), sync: 'full' });
      const sqliteCommitter = new GroupCommitter(sqlite);
      const sqliteSteps = await steps(sqliteCommitter, 'ts', NO_EXTERNAL_CPU);
      sqliteCommitter.stop();
      await sqlite.close();

      const seqBefore = await seqCounter(c);
      const pgStore = await PgStore.open({ url: c.url });
      const pgCommitter = new GroupCommitter(pgStore);
      const pgSteps = await steps(pgCommitter, 'tp', { sample: () => sampleClusterCpu(c.base) });
      pgCommitter.stop();
      await pgStore.close();
      const seqAfter = await seqCounter(c);

      for (const measured of [sqliteSteps, pgSteps]) {
        expect(measured.map((s) => s.offeredRate)).toEqual(RATES);
        for (const s of measured) {
          expect(s.offered).toBe(Math.round((s.offeredRate * STEP_MS) / 1000));
          expect(s.acked).toBe(s.offered);
          expect(s.errors).toBe(0);
          expect(s.commits).toBeGreaterThan(0);
          expect(s.ack.count).toBe(s.acked);
        }
      }
      // One ORDER_UPDATED event per write: the seq on the primary moved by exactly the writes acked.
      const ackedOnPg = pgSteps.reduce((n, s) => n + s.acked, 0);
      expect((seqAfter ?? 0) - (seqBefore ?? 0)).toBe(ackedOnPg);
      // Where the CPU went: none outside the process for SQLite; Postgres's own processes worked for every write on Postgres.
      expect(sqliteSteps.every((s) => s.cpuMs.postgres === 0)).toBe(true);
      expect(pgSteps.reduce((n, s) => n + s.cpuMs.postgres, 0)).toBeGreaterThan(0);
      expect(pgSteps.every((s) => (s.cpuUsPerWrite ?? 0) > 0)).toBe(true);
    },
  );
});
