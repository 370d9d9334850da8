/**
 * The failover suite's hub-level driver in CI: a real hub process leading on the pg_auto_failover cluster
 * (HUB_STORE=postgres, HUB_PG_URL naming both nodes), four SDK terminals each writing a new order every
 * ~50 ms, and the terminals cut off for 30 s (each write in flight stored but its answer lost), then back:
 * every ORDER_ACK a terminal received is stored exactly once under its seq, the resends answered rather
 * than applied again, seq gap-free and growing with real time, no broadcast seq vanished, never two
 * writable primaries, no failover. One hub, so a fault that moves the primary is not used here: a hub
 * leads only while its own node is the primary, and the two-hub faults run in
 * `npm run failover -- --driver hub --hubs 2` (docs/ha.md "Failover suite").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFailoverCluster, type FailoverCluster } from '../../../bench/failover/cluster.js';
import type { WriteDriver } from '../../../bench/failover/driver.js';
import { faults } from '../../../bench/failover/faults.js';
import { runFault, type RunSettings } from '../../../bench/failover/harness.js';
import { hubDriver } from '../../../bench/failover/hub-driver.js';

const SLICE: RunSettings = { warmAcks: 40, tailAcks: 20, settleMs: 120_000, ackWaitMs: 60_000 };

let cluster: FailoverCluster | null = null;
let driver: WriteDriver | null = null;

beforeAll(async () => {
  cluster = await startFailoverCluster('tuned');
  driver = await hubDriver({ url: cluster.url, hubs: 1, log: () => undefined });
}, 300_000);

afterAll(async () => {
  await driver?.close();
  await cluster?.close();
}, 60_000);

describe('failover suite, hub level, CI slice', () => {
  it('terminals writing through a hub, cut off for 30 s and back: nothing acked is lost or doubled, resends answered, never two primaries', async () => {
    if (cluster === null || driver === null) throw new Error('no cluster');
    const fault = faults().find((f) => f.name === 'terminals-cut-off');
    if (fault === undefined) throw new Error('no terminals-cut-off fault');
    const report = await runFault(cluster, driver, fault, 'ci-hub', SLICE, () => undefined);
    const v = report.verdict;
    expect(v.violations, JSON.stringify(v.violations)).toEqual([]);
    expect(v.acked).toBeGreaterThanOrEqual(SLICE.warmAcks + SLICE.tailAcks);
    expect(v.lost).toBe(0);
    expect(v.duplicated).toBe(0);
    expect(v.twoAckingPairs).toBe(0);
    expect(v.twoWritableSamples).toBe(0);
    // The sampler tied the acks to the node that committed them (its event tail works on a real cluster).
    expect(v.acksAttributed).toBeGreaterThan(v.acked / 2);
    expect(v.gapMs).not.toBeNull();
    expect(v.primaryAfter).toBe(v.primaryBefore);
    // The acks came through the hub's socket, not a store connection of the test's.
    expect(Object.keys(report.acksByNode).length).toBeGreaterThan(0);
    expect(report.log.acks.every((a) => a.by.startsWith('ws://127.0.0.1:'))).toBe(true);
  }, 180_000);
});
