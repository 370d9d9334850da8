/**
 * Issue 16: a reconnect storm's device claims cost one commit, not one fsync each. Claims that arrive
 * together are decided in order (a later claim sees an earlier one of the same turn), written in one
 * transaction and answered after it; a sign-in of the device's own owner writes nothing while its idle
 * clock is recent; a release or a report of use after a claim in the same turn comes after it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { DEVICE_SEEN_REFRESH_MS, DeviceOwners } from '../../../workers/writer/device-owners.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
let dir: string;
let store: HubStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-devices-'));
  store = new HubStore({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const claim = (owners: DeviceOwners, deviceId: string, owner: string, now = T0) =>
  owners.claim({ deviceId, owner, now, idleReleaseMs: HOUR });
const stored = (deviceId: string): unknown => JSON.parse(store.meta(`device:${deviceId}`) ?? 'null');

describe('device owners', () => {
  it('commits the claims of one turn together and answers them after the commit', async () => {
    const owners = new DeviceOwners(new SqliteStorePort(store));
    const transactions = vi.spyOn(store, 'transaction');
    const answers = Promise.all([
      claim(owners, 'pos-1', 'dev:ann'),
      claim(owners, 'pos-2', 'dev:bob'),
      claim(owners, 'pos-1', 'dev:cid'),
    ]);
    // Nothing is written before the turn ends.
    expect(store.meta('device:pos-1')).toBeNull();
    expect(await answers).toEqual([
      { ok: true, previousOwner: null },
      { ok: true, previousOwner: null },
      // The first claim of this turn already binds pos-1.
      { ok: false, owner: 'dev:ann', lastSeen: T0 },
    ]);
    expect(transactions).toHaveBeenCalledTimes(1);
    expect(stored('pos-1')).toEqual({ owner: 'dev:ann', lastSeen: T0 });
    expect(stored('pos-2')).toEqual({ owner: 'dev:bob', lastSeen: T0 });
  });

  it("writes nothing for the owner's own sign-in while its idle clock is recent, and refreshes it after", async () => {
    const owners = new DeviceOwners(new SqliteStorePort(store));
    await claim(owners, 'pos-1', 'dev:ann');
    const transactions = vi.spyOn(store, 'transaction');
    expect(await claim(owners, 'pos-1', 'dev:ann', T0 + DEVICE_SEEN_REFRESH_MS - 1)).toEqual({
      ok: true,
      previousOwner: null,
    });
    expect(transactions).not.toHaveBeenCalled();
    expect(await claim(owners, 'pos-1', 'dev:ann', T0 + DEVICE_SEEN_REFRESH_MS)).toEqual({
      ok: true,
      previousOwner: null,
    });
    expect(stored('pos-1')).toEqual({ owner: 'dev:ann', lastSeen: T0 + DEVICE_SEEN_REFRESH_MS });
  });

  it('orders a release and a report of use after the claims of the same turn', async () => {
    const owners = new DeviceOwners(new SqliteStorePort(store));
    const bound = claim(owners, 'pos-1', 'dev:ann');
    expect(owners.release('pos-1')).toBe(true);
    await bound;
    expect(store.meta('device:pos-1')).toBeNull();

    const again = claim(owners, 'pos-2', 'dev:bob');
    expect(
      owners.seen({
        devices: [
          { deviceId: 'pos-2', owner: 'dev:bob' },
          { deviceId: 'pos-3', owner: 'dev:bob' },
        ],
        now: T0 + 5,
      }),
    ).toBe(1);
    await again;
    expect(stored('pos-2')).toEqual({ owner: 'dev:bob', lastSeen: T0 + 5 });
  });

  it('lets another user claim a device only once it has been idle for idleReleaseMs', async () => {
    const owners = new DeviceOwners(new SqliteStorePort(store));
    await claim(owners, 'pos-1', 'dev:ann');
    expect(await claim(owners, 'pos-1', 'dev:bob', T0 + HOUR - 1)).toEqual({
      ok: false,
      owner: 'dev:ann',
      lastSeen: T0,
    });
    expect(await claim(owners, 'pos-1', 'dev:bob', T0 + HOUR)).toEqual({ ok: true, previousOwner: 'dev:ann' });
    expect(stored('pos-1')).toEqual({ owner: 'dev:bob', lastSeen: T0 + HOUR });
  });
});
