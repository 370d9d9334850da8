/**
 * Issue 13, item 1: a device id belongs to the identity that first signed it in. Another user who
 * presents it — live or not, before or after a restart — is refused with AUTH_FAIL DEVICE_OWNED (4001)
 * and never displaces the owner; the owner reconnecting still replaces its old socket (4004); the
 * admin API or a long idle period releases the device to someone else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../helpers/clocks.js';
import { bootHubs, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';

const ADMIN = 'device-admin-token';
const MANAGER = 'dev:manager:marta';
const CASHIER = 'dev:cashier:carl';
const boot = bootHubs();
const dir = mkdtempSync(join(tmpdir(), 'pos-hub-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refused(hub: StartedHub, deviceId: string, token: string): Promise<void> {
  const t = await TestTerminal.open(hub.wsUrl, { deviceId, token });
  t.send({ type: 'AUTH', token, deviceId });
  expect(await t.awaitType('AUTH_FAIL')).toMatchObject({ code: 'DEVICE_OWNED' });
  expect((await t.closed).code).toBe(4001);
}

async function alive(t: TestTerminal): Promise<void> {
  t.send({ type: 'HEARTBEAT' });
  await t.awaitType('HEARTBEAT_ACK');
  expect(t.closeInfo).toBeNull();
}

describe('device identity', () => {
  it('refuses another user on a live device without displacing the owner; the owner still replaces itself (4004)', async () => {
    const hub = await boot({ env: { HUB_ADMIN_TOKEN: ADMIN } });
    const owner = await TestTerminal.connect(hub.wsUrl, { deviceId: 'mgr-tablet', token: MANAGER });
    owner.send({ type: 'LEASE_ACQUIRE', posReference: 'D-1', baseVersion: 0, tableId: 21 });
    await owner.awaitType('LEASE_GRANTED');
    await refused(hub, 'mgr-tablet', CASHIER);
    await alive(owner);
    // The same user reconnecting replaces its old socket, as before.
    const again = await TestTerminal.connect(hub.wsUrl, { deviceId: 'mgr-tablet', token: MANAGER });
    expect((await owner.closed).code).toBe(4004);
    await alive(again);
    await again.close();
  });

  it('keeps the binding while the owner is away and across a restart', async () => {
    const dbPath = join(dir, 'restart.sqlite');
    const first = await boot({ dbPath });
    const owner = await TestTerminal.connect(first.wsUrl, { deviceId: 'till-9', token: MANAGER });
    await owner.close();
    await refused(first, 'till-9', CASHIER);
    await first.close();
    const second = await boot({ dbPath });
    await refused(second, 'till-9', CASHIER);
    const back = await TestTerminal.connect(second.wsUrl, { deviceId: 'till-9', token: MANAGER });
    await back.close();
  }, 90_000);

  it('is released by the admin API: the owner is closed (4001) and the next user owns it', async () => {
    const hub = await boot({ env: { HUB_ADMIN_TOKEN: ADMIN } });
    const owner = await TestTerminal.connect(hub.wsUrl, { deviceId: 'shared-1', token: MANAGER });
    const release = (token: string): Promise<Response> =>
      fetch(`${hub.url}/api/devices/release`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ deviceId: 'shared-1' }) });
    expect((await release('wrong')).status).toBe(403);
    await alive(owner);
    const ok = await release(ADMIN);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, released: true });
    expect((await owner.closed).code).toBe(4001);
    const cashier = await TestTerminal.connect(hub.wsUrl, { deviceId: 'shared-1', token: CASHIER });
    await refused(hub, 'shared-1', MANAGER);
    await cashier.close();
  });

  it('may be claimed by another user after HUB_DEVICE_IDLE_RELEASE_HOURS unused, not before', async () => {
    const clock = new TestClock();
    const hub = await boot({ env: { HUB_DEVICE_IDLE_RELEASE_HOURS: '1' }, clock });
    const owner = await TestTerminal.connect(hub.wsUrl, { deviceId: 'idle-1', token: MANAGER });
    await owner.close();
    // The front records the disconnect through the writer; a fresh AUTH round trip orders after it.
    clock.advance(59 * 60_000);
    await refused(hub, 'idle-1', CASHIER);
    clock.advance(2 * 60_000);
    const cashier = await TestTerminal.connect(hub.wsUrl, { deviceId: 'idle-1', token: CASHIER });
    await cashier.close();
  });

  it('is never idle while its owner stays connected, across a restart too', async () => {
    const dbPath = join(dir, 'in-use.sqlite');
    const clock = new TestClock();
    const env = { HUB_DEVICE_IDLE_RELEASE_HOURS: '1', HUB_AUTH_RECHECK_MS: '60000' };
    const first = await boot({ env, dbPath, clock });
    const owner = await TestTerminal.connect(first.wsUrl, { deviceId: 'busy-1', token: MANAGER });
    // Connected for over an hour: each auth re-check records the device as in use. A round trip
    // between the steps lets the re-check that fired schedule the next one.
    clock.advance(59 * 60_000);
    await alive(owner);
    clock.advance(2 * 60_000);
    await alive(owner);
    // A shutdown records nothing (the writer stops first); the re-checks already did.
    await first.close();
    const second = await boot({ env, dbPath, clock: new TestClock({ start: clock.now() }) });
    await refused(second, 'busy-1', CASHIER);
  }, 90_000);
});
