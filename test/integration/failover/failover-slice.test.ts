/**
 * The CI slice of the failover suite (bench/failover/, `npm run failover` runs all of it): a real
 * pg_auto_failover cluster on loopback with every peer link through the suite's proxies, the store-level
 * write driver (four writers on the Postgres store adapter, retrying with the same mutation id) under
 * steady load, and two faults — kill -9 of the primary's postmaster, and a planned switchover — each with
 * every invariant checked: each acked write stored exactly once under its acked seq, seq gap-free and
 * growing with real time, no seen seq vanished, never two writable primaries in ~100 ms samples, the
 * expected failover. ~2 minutes on two cores, most of it creating the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFailoverCluster, type FailoverCluster } from '../../../bench/failover/cluster.js';
import type { WriteDriver } from '../../../bench/failover/driver.js';
import { faults, type Fault } from '../../../bench/failover/faults.js';
import { runFault, type RunSettings } from '../../../bench/failover/harness.js';
import { DEFAULT_STORE_DRIVER, storeDriver } from '../../../bench/failover/store-driver.js';

/** Smaller than the full suite's: enough load before and after the fault to judge it. */
const SLICE: RunSettings = { warmAcks: 40, tailAcks: 20, settleMs: 120_000, ackWaitMs: 60_000 };

let cluster: FailoverCluster | null = null;
let driver: WriteDriver | null = null;

beforeAll(async () => {
  cluster = await startFailoverCluster('tuned');
  driver = storeDriver({ ...DEFAULT_STORE_DRIVER, url: cluster.url, limitMs: 150_000 });
}, 300_000);

afterAll(async () => {
  await driver?.close();
  await cluster?.close();
}, 60_000);

function fault(name: string): Fault {
  const found = faults().find((f) => f.name === name);
  if (found === undefined) throw new Error(`no fault ${name}`);
  return found;
}

async function judged(name: string): Promise<void> {
  if (cluster === null || driver === null) throw new Error('no cluster');
  const report = await runFault(cluster, driver, fault(name), `ci-${name}`, SLICE, () => undefined);
  const v = report.verdict;
  expect(v.violations, JSON.stringify(v.violations)).toEqual([]);
  expect(v.ok).toBe(true);
  expect(v.acked).toBeGreaterThanOrEqual(SLICE.warmAcks + SLICE.tailAcks);
  expect(v.lost).toBe(0);
  expect(v.duplicated).toBe(0);
  expect(v.twoAckingPairs).toBe(0);
    expect(v.twoWritableSamples).toBe(0);
    // The sampler tied the acks to the node that committed them (its event tail works on a real cluster).
    expect(v.acksAttributed).toBeGreaterThan(v.acked / 2);
  // The sampler ran all along, and writes came back after the fault.
  expect(v.samples).toBeGreaterThan(10);
  expect(v.gapMs).not.toBeNull();
}

describe('failover suite, CI slice', () => {
  it('kill -9 of the primary postmaster under steady writes: nothing acked is lost or doubled, never two primaries', async () => {
    await judged('kill-postmaster');
  }, 150_000);

  it('a planned switchover under steady writes: the primary moves, nothing acked is lost or doubled', async () => {
    await judged('switchover');
  }, 200_000);
});
