/**
 * The in-process hub (test/helpers/hub-in-process.ts) is the real composition root, not a stand-in:
 * writes go through its worker threads into a SQLite file that a second hub on the same file reads
 * back, a finalization reaches the in-process Odoo simulator exactly once, and `stop()` leaves no
 * listener, no thread and no temp dir behind.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';
import { startHubInProcess, type InProcessHub } from '../../helpers/hub-in-process.js';
import { SIM_POS_CONFIG } from '../../helpers/odoo-sim.js';
import { TestTerminal, snapshotWithLines } from '../../helpers/terminal.js';

const hubs: InProcessHub[] = [];
const terminals: TestTerminal[] = [];
afterEach(async () => {
  for (const t of terminals.splice(0)) await t.close();
  for (const hub of hubs.splice(0).reverse()) await hub.stop();
});

async function start(options: Parameters<typeof startHubInProcess>[0] = {}): Promise<InProcessHub> {
  const hub = await startHubInProcess(options);
  hubs.push(hub);
  return hub;
}

async function terminal(hub: InProcessHub, deviceId: string): Promise<TestTerminal> {
  const t = await TestTerminal.connect(hub.wsUrl, { deviceId });
  terminals.push(t);
  return t;
}

describe('the in-process hub', () => {
  it('commits through its shard and writer threads to SQLite; a second hub on the file sees the order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pos-hub-inproc-'));
    try {
      const dbPath = join(dir, 'hub.sqlite');
      const first = await start({ dbPath, env: { HUB_SHARDS: '2' } });
      const till = await terminal(first, 'inproc-a');
      till.send({ type: 'LEASE_ACQUIRE', posReference: 'INPROC-1', baseVersion: 0, tableId: 3 });
      await till.awaitType('LEASE_GRANTED');
      till.send({ type: 'ORDER_SNAPSHOT', posReference: 'INPROC-1', baseVersion: 0, snapshot: snapshotWithLines('INPROC-1', 3, 2), mutationId: 'inproc-m1' });
      expect(await till.awaitType('ORDER_ACK')).toMatchObject({ posReference: 'INPROC-1', version: 1 });
      const workers = (await first.hub.collectWorkerMetrics()).length;
      // Two shards and the writer answer for their own metrics: they are real threads.
      expect(workers).toBe(3);
      await terminals.pop()!.close();
      await hubs.pop()!.stop();
      expect(existsSync(dbPath)).toBe(true);

      const second = await start({ dbPath });
      const again = await TestTerminal.connect(second.wsUrl, { deviceId: 'inproc-b' });
      terminals.push(again);
      const sync = again.messages.find((m) => m.type === 'SYNC_INIT') as { orders?: Array<{ posReference: string; version: number }> } | undefined;
      expect(sync?.orders).toEqual(expect.arrayContaining([expect.objectContaining({ posReference: 'INPROC-1', version: 1 })]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forwards a finalization to the in-process Odoo simulator exactly once', async () => {
    const hub = await start({ odoo: true });
    const till = await terminal(hub, 'inproc-till');
    const ref = 'Main/00077-001-0001';
    till.send({ type: 'ORDER_FINALIZE', posReference: ref, snapshot: paidSnapshot(ref), configId: SIM_POS_CONFIG.id, mutationId: `fin-${ref}` });
    expect(await till.awaitType('ORDER_ACK', (m) => m.mutationId === `fin-${ref}`)).toMatchObject({ posReference: ref });
    await till.awaitMessage((m) => m.type === 'ORDER_FINALIZED' && m.posReference === ref, `ORDER_FINALIZED ${ref}`);
    expect(hub.odoo?.sim.ordersFor(ref)).toBe(1);
  });

  it('stop() closes the listener, the threads and the temp dir, and is idempotent', async () => {
    const hub = await start();
    const dir = join(hub.dbPath, '..');
    expect(existsSync(dir)).toBe(true);
    await Promise.all([hub.stop(), hub.stop()]);
    expect(existsSync(dir)).toBe(false);
    await expect(fetch(`${hub.url}/health`)).rejects.toThrow();
  });
});
