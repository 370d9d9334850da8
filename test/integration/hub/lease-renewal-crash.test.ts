/**
 * A lease renewal has no commit of its own (docs/architecture.md "Lease renewals"): against a real
 * child-process hub, a heartbeat leaves the stored row as it was, the hub is SIGKILLed, and the restart
 * comes after that stored expiry has passed. The grace on load must keep the lease for its holder (the
 * renewal's promise, heartbeat + TTL, outlives the stored row), write the row back, and still let the lease
 * of a holder that never returns run out, no earlier than restart + TTL.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { bootHubs } from '../../helpers/start-hub.js';
import { TestTerminal, snapshot } from '../../helpers/terminal.js';
import { until } from '../../helpers/wait.js';

const boot = bootHubs();
/** Short enough to wait out twice in a test, long enough that the renewal's row is not due before the kill. */
const TTL_MS = 12_000;
const env = { HUB_LEASE_TTL_MS: String(TTL_MS) };

function storedExpiry(dbPath: string, posReference: string): number | null {
  const db = new Database(dbPath, { readonly: true });
  try {
    const row = db.prepare('SELECT expires_at AS expiresAt FROM leases WHERE pos_reference = ?').get(posReference) as
      | { expiresAt: number }
      | undefined;
    return row?.expiresAt ?? null;
  } finally {
    db.close();
  }
}

describe('lease renewals across SIGKILL', () => {
  it('keep the lease for a holder that renewed before the kill; a silent holder still loses it at restart + TTL', async () => {
    const first = await boot({ mode: 'child-process', env });
    const holder = await TestTerminal.connect(first.wsUrl, { deviceId: 'renew-holder' });
    const quitter = await TestTerminal.connect(first.wsUrl, { deviceId: 'renew-quitter' });
    holder.send({ type: 'LEASE_ACQUIRE', posReference: 'Renew-1', baseVersion: 0, tableId: 5 });
    const granted = await holder.awaitType('LEASE_GRANTED');
    quitter.send({ type: 'LEASE_ACQUIRE', posReference: 'Renew-2', baseVersion: 0, tableId: 6 });
    await quitter.awaitType('LEASE_GRANTED');
    const grantedUntil = Number(granted.expiresAt);
    expect(storedExpiry(first.dbPath, 'Renew-1')).toBe(grantedUntil);

    holder.send({ type: 'LEASE_HEARTBEAT', posReference: 'Renew-1' });
    const renewedAt = Date.now();
    // A request to the same table actor, queued behind the heartbeat: its answer means the heartbeat was stepped.
    holder.send({ type: 'TABLE_LOCK_RELEASE', tableId: 5 });
    expect(await holder.awaitType('ERROR')).toMatchObject({ code: 'LOCK_NOT_HELD' });
    // The renewal moved the expiry in memory only: the stored row still says the grant's expiry.
    expect(storedExpiry(first.dbPath, 'Renew-1')).toBe(grantedUntil);

    await first.kill('SIGKILL');
    expect((await first.exit)?.signal).toBe('SIGKILL');
    // Real time is the subject: restart only once the stored expiry is in the past, so only the renewal's
    // promise (renewedAt + TTL, not stored anywhere) can explain a lease that is still held.
    await sleep(Math.max(0, grantedUntil - Date.now() + 50));
    expect(Date.now()).toBeGreaterThan(grantedUntil);
    const restartedAt = Date.now();
    const second = await boot({ mode: 'child-process', env, dbPath: first.dbPath });

    const other = await TestTerminal.connect(second.wsUrl, { deviceId: 'renew-other' });
    other.send({ type: 'LEASE_ACQUIRE', posReference: 'Renew-1', baseVersion: 0, tableId: 5 });
    expect(await other.awaitType('LEASE_DENIED')).toMatchObject({ holder: 'renew-holder' });
    other.send({ type: 'LEASE_ACQUIRE', posReference: 'Renew-2', baseVersion: 0, tableId: 6 });
    expect(await other.awaitType('LEASE_DENIED')).toMatchObject({ holder: 'renew-quitter' });

    // The holder comes back and writes under the lease it kept.
    const back = await TestTerminal.connect(second.wsUrl, { deviceId: 'renew-holder' });
    back.send({
      type: 'ORDER_SNAPSHOT',
      posReference: 'Renew-1',
      baseVersion: 0,
      mutationId: 'after-restart',
      snapshot: snapshot('Renew-1', 5),
    });
    expect(await back.awaitType('ORDER_ACK')).toMatchObject({ posReference: 'Renew-1', version: 1 });
    // The load wrote the graced expiry back (a unit the shard sent before this write's, so committed before
    // its ack): SYNC_INIT and /api/state read a future expiry, not the lapsed one.
    expect(storedExpiry(first.dbPath, 'Renew-1')).toBeGreaterThanOrEqual(Math.max(restartedAt, renewedAt) + TTL_MS);

    // Nobody renews Renew-2 after the restart: it runs out, not before restart + TTL.
    await until(
      () => other.messages.some((m) => m.type === 'LEASE_RELEASED' && m.posReference === 'Renew-2'),
      'Renew-2 expiring',
      other.changes,
      3 * TTL_MS,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(restartedAt + TTL_MS);
    expect(other.messages.find((m) => m.type === 'LEASE_RELEASED' && m.posReference === 'Renew-2')).toMatchObject({
      reason: 'expired',
      releasedBy: 'renew-quitter',
    });
    expect(storedExpiry(first.dbPath, 'Renew-2')).toBeNull();
    await Promise.all([other.close(), back.close()]);
  }, 240_000);
});
