/**
 * The SDK's leases, transfers and splits against the real hub (issue 17 item 7): every terminal learns
 * at once that an order's lease ended (LEASE_RELEASED to all, released or expired); a lease asked for
 * while the socket is opening or syncing is decided by the hub, never granted "offline"; transferLines
 * and splitOrder move lines in one hub transaction and report refusals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HubTransport } from '../../../src/client/hub-transport.js';
import { hubClient, line, snapshot } from '../../fixtures/client-orders.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';
import { changesOf, until } from '../../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hub(env: Record<string, string> = {}): Promise<StartedHub> {
  const h = await startHub({ env });
  cleanups.push(() => h.close());
  return h;
}

function client(url: string, deviceId: string): HubTransport {
  const c = hubClient(url, deviceId);
  cleanups.push(() => c.disconnect());
  return c;
}

function ref(n: number): string {
  return `NU/CFG1/S42/1764000000000-${n.toString(16).padStart(4, '0')}`;
}

describe('lease state reaches every terminal', () => {
  it('a terminal waiting on LEASE_DENIED hears the release at once and takes the order', async () => {
    const h = await hub();
    const a = client(h.wsUrl, 'lease-a');
    const b = client(h.wsUrl, 'lease-b');
    await a.connect();
    await b.connect();
    const order = ref(1);
    expect(await a.acquireLease(order, 0, 1)).toMatchObject({ granted: true, offline: false });
    expect(await b.acquireLease(order, 0, 1)).toMatchObject({ granted: false, holder: 'lease-a' });
    const released: Array<[string, string | undefined]> = [];
    b.onLeaseReleased((posReference, releasedBy) => released.push([posReference, releasedBy]));
    a.releaseLease(order);
    await until(() => released.length > 0, 'B to hear the release', changesOf(a, b));
    expect(released).toEqual([[order, 'lease-a']]);
    expect(await b.acquireLease(order, 0, 1)).toMatchObject({ granted: true, offline: false });
  });

  it('an expired lease is announced to everyone with reason "expired"', async () => {
    const h = await hub({ HUB_GRACE_MS: '100' });
    const watcher = await TestTerminal.connect(h.wsUrl, { deviceId: 'lease-watch' });
    cleanups.push(() => watcher.close());
    const holder = await TestTerminal.connect(h.wsUrl, { deviceId: 'lease-gone' });
    holder.send({ type: 'LEASE_ACQUIRE', posReference: ref(2), baseVersion: 0, tableId: 2 });
    await holder.awaitType('LEASE_GRANTED');
    await holder.drop();
    expect(await watcher.awaitType('LEASE_RELEASED', (m) => m.posReference === ref(2))).toMatchObject({
      releasedBy: 'lease-gone',
      reason: 'expired',
      seq: expect.any(Number),
    });
  });
});

describe('no offline grant while the socket is opening or syncing', () => {
  it('a lease asked for right after connect() is decided by the hub', async () => {
    const h = await hub();
    const holder = await TestTerminal.connect(h.wsUrl, { deviceId: 'window-holder' });
    cleanups.push(() => holder.close());
    holder.send({ type: 'LEASE_ACQUIRE', posReference: ref(3), baseVersion: 0, tableId: 3 });
    await holder.awaitType('LEASE_GRANTED');
    holder.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: 3 });
    await holder.awaitType('TABLE_LOCK_GRANTED');
    const late = client(h.wsUrl, 'window-late');
    const connected = late.connect();
    // Asked before the socket is open, AUTH_OK or SYNC_INIT have arrived: the hub must answer, not the SDK.
    const lease = late.acquireLease(ref(3), 0, 3);
    const lock = late.acquireTableLock(3);
    expect(await lease).toMatchObject({ granted: false, holder: 'window-holder' });
    expect(await lock).toMatchObject({ granted: false, lockedBy: 'window-holder' });
    await connected;
    expect(late.isLeaseHeld(ref(3))).toBe(false);
  });

  it('still grants offline when the hub cannot be reached', async () => {
    const h = await hub();
    const url = h.wsUrl;
    await h.close();
    cleanups.pop();
    const lone = client(url, 'window-offline');
    const connected = lone.connect();
    expect(await lone.acquireLease(ref(4), 0, 4)).toMatchObject({ granted: true, offline: true });
    await connected;
  });
});

describe('transferLines and splitOrder', () => {
  it('split a check, move a line back, and report refusals', async () => {
    const h = await hub();
    const a = client(h.wsUrl, 'xfer-a');
    const b = client(h.wsUrl, 'xfer-b');
    await a.connect();
    await b.connect();
    const source = ref(5);
    const split = ref(6);
    expect(await a.acquireLease(source, 0, 5)).toMatchObject({ granted: true });
    a.sendOrderSnapshot(source, 0, { ...snapshot(source, [line('l1'), line('l2'), line('l3')]), tableId: 5 });
    await until(() => a.outboxCount === 0, 'the snapshot to be acked', changesOf(a, b));

    const splitResult = await a.splitOrder(source, split, ['l2', 'l3']);
    expect(splitResult).toMatchObject({
      status: 'transferred',
      fromPosReference: source,
      toPosReference: split,
      fromVersion: 2,
      toVersion: 1,
    });
    if (splitResult.status !== 'transferred') return;
    expect(splitResult.fromSnapshot?.lines.map((l) => l.uid)).toEqual(['l1']);
    expect(splitResult.toSnapshot?.lines.map((l) => l.uid)).toEqual(['l2', 'l3']);
    // The new check's lease came with the split.
    expect(a.isLeaseHeld(split)).toBe(true);

    expect(await a.transferLines(split, source, ['l3'])).toMatchObject({
      status: 'transferred',
      fromVersion: 2,
      toVersion: 3,
    });
    expect(await a.transferLines(source, split, ['nope'])).toMatchObject({
      status: 'error',
      code: 'TRANSFER_INVALID',
      retryable: false,
    });
    // Another terminal without the lease is refused, and nothing moved.
    expect(await b.transferLines(source, split, ['l1'])).toMatchObject({
      status: 'error',
      code: 'LEASE_HELD',
      retryable: false,
    });
    const seen: string[][] = [];
    b.onOrderUpdated((u) => {
      if (u.posReference === source) seen.push(u.snapshot.lines.map((l) => l.uid));
    });
    expect(await a.transferLines(split, source, ['l2'])).toMatchObject({ status: 'transferred' });
    await until(() => seen.length > 0, 'B to see the source order change', changesOf(a, b));
    expect(seen.at(-1)).toEqual(['l1', 'l3', 'l2']);
  });

  it('refuses at once when not connected', async () => {
    const h = await hub();
    const url = h.wsUrl;
    await h.close();
    cleanups.pop();
    const lone = client(url, 'xfer-offline');
    await lone.connect();
    expect(await lone.splitOrder(ref(7), ref(8), ['l1'])).toMatchObject({
      status: 'error',
      code: 'HUB_UNREACHABLE',
      retryable: true,
    });
  });
});
