/**
 * The outbox: the reference entry shape, newer snapshots of an order replacing queued older ones
 * (never the one in flight), order kept, failures scheduling a backoff, and the three stores
 * (memory, localStorage `pos_sync_outbox`, the Node file store) surviving a "restart".
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileOutboxStore } from '../../../src/adapters/outbox-file/file-outbox-store.js';
import { Outbox } from '../../../src/client/outbox.js';
import { localStorageOutboxStore, memoryOutboxStore, OUTBOX_STORAGE_KEY, type OutboxWrite, type StorageLike } from '../../../src/client/outbox-store.js';
import { line, snapshot } from '../../fixtures/client-orders.js';
import { sdkClock } from '../../helpers/clocks.js';

function fakeStorage(): StorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const upd = (ref: string, n = 1): OutboxWrite => ({ action: 'orders/update', payload: { pos_reference: ref, baseVersion: n - 1, snapshot: snapshot(ref, [line(`l${n}`)]), mutationId: `${ref}-${n}` } });
const fin = (ref: string): OutboxWrite => ({ action: 'orders/finalize', payload: { pos_reference: ref, snapshot: snapshot(ref, [line('l1')], { state: 'paid' }), configId: 1, mutationId: `${ref}-fin` } });

describe('Outbox', () => {
  it('keeps the reference entry shape and persists every change', () => {
    const clock = sdkClock();
    const store = memoryOutboxStore();
    const outbox = new Outbox(store, clock);
    outbox.enqueue('m1', upd('R1'));
    expect(store.entries()).toEqual([
      { id: 'm1', action: 'orders/update', payload: upd('R1').payload, createdAt: new Date(clock.now()).toISOString(), attempts: 0, nextAttemptAt: null, lastError: null },
    ]);
  });

  it('a newer snapshot of the same order replaces the queued one and goes to the back; other orders keep their place', () => {
    const outbox = new Outbox(memoryOutboxStore(), sdkClock());
    outbox.enqueue('m1', upd('R1', 1));
    outbox.enqueue('m2', upd('R2', 1));
    outbox.enqueue('m3', { action: 'tables/update', payload: { tableId: 4, status: 'occupied', mutationId: 'm3' } });
    const { replaced } = outbox.enqueue('m4', upd('R1', 2));
    expect(replaced).toEqual(['m1']);
    expect(outbox.list().map((e) => e.id)).toEqual(['m2', 'm3', 'm4']);
  });

  it('never replaces the entry in flight (its reply may still come) and never merges finalizations', () => {
    const outbox = new Outbox(memoryOutboxStore(), sdkClock());
    outbox.enqueue('m1', upd('R1', 1));
    outbox.setInFlight('m1');
    outbox.enqueue('m2', upd('R1', 2));
    outbox.enqueue('m3', upd('R1', 3));
    expect(outbox.list().map((e) => e.id)).toEqual(['m1', 'm3']);
    outbox.enqueue('f1', fin('R1'));
    outbox.enqueue('f2', fin('R1'));
    expect(outbox.list().map((e) => e.id)).toEqual(['m1', 'm3', 'f1', 'f2']);
  });

  it('a failure records attempts, lastError and nextAttemptAt; it holds back its own order only', () => {
    const clock = sdkClock();
    const outbox = new Outbox(memoryOutboxStore(), clock);
    outbox.enqueue('m1', upd('R1'));
    outbox.enqueue('f1', fin('R1'));
    outbox.enqueue('m2', upd('R2'));
    outbox.fail('m1', 'lease held elsewhere', clock.now() + 2000);
    expect(outbox.get('m1')).toMatchObject({ attempts: 1, lastError: 'lease held elsewhere', nextAttemptAt: new Date(clock.now() + 2000).toISOString() });
    // R1's finalization waits behind R1's update; R2 goes ahead.
    expect(outbox.next(clock.now())).toEqual({ entry: outbox.get('m2') });
    outbox.remove('m2');
    expect(outbox.next(clock.now())).toEqual({ waitUntil: clock.now() + 2000 });
    clock.advance(2000);
    expect(outbox.next(clock.now())).toEqual({ entry: outbox.get('m1') });
    outbox.fail('m1', 'again', clock.now() + 5000);
    outbox.resetSchedule();
    expect(outbox.next(clock.now())).toEqual({ entry: outbox.get('m1') });
    expect(outbox.hasOrder('R1')).toBe(true);
    expect(outbox.hasOrder('R2')).toBe(false);
  });

  it('localStorage store: key pos_sync_outbox, survives a reload, ignores garbage', () => {
    const storage = fakeStorage();
    const first = new Outbox(localStorageOutboxStore(storage), sdkClock());
    first.enqueue('m1', upd('R1'));
    expect(JSON.parse(storage.data.get(OUTBOX_STORAGE_KEY)!)).toHaveLength(1);
    const reloaded = new Outbox(localStorageOutboxStore(storage), sdkClock());
    expect(reloaded.list().map((e) => e.id)).toEqual(['m1']);
    storage.setItem(OUTBOX_STORAGE_KEY, '{not json');
    expect(new Outbox(localStorageOutboxStore(storage), sdkClock()).count).toBe(0);
    storage.setItem(OUTBOX_STORAGE_KEY, JSON.stringify([{ id: 'x', action: 'nope', payload: {} }, { id: 'y', action: 'tables/update', payload: { tableId: 1, status: 'free', mutationId: 'y' } }, { id: 'z', action: 'tables/update', payload: { tableId: 1 } }]));
    // A payload that does not fit its action (z: no status) is skipped, never sent.
    expect(new Outbox(localStorageOutboxStore(storage), sdkClock()).list().map((e) => e.id)).toEqual(['y']);
  });

  it('an entry queued by an older SDK (snapshot wrapped in _hubSnapshot) is read into the typed shape, nothing lost', () => {
    const storage = fakeStorage();
    const legacy = { posReference: 'R1', baseVersion: 3, snapshot: snapshot('R1', [line('a')]), mutationId: 'm1' };
    storage.setItem(OUTBOX_STORAGE_KEY, JSON.stringify([{ id: 'm1', action: 'orders/update', payload: { pos_reference: 'R1', _hubSnapshot: legacy }, createdAt: '2026-01-01T00:00:00.000Z', attempts: 2, nextAttemptAt: null, lastError: 'x' }]));
    const [entry] = new Outbox(localStorageOutboxStore(storage), sdkClock()).list();
    expect(entry).toMatchObject({ id: 'm1', action: 'orders/update', attempts: 2, payload: { pos_reference: 'R1', baseVersion: 3, snapshot: legacy.snapshot, mutationId: 'm1' } });
  });

  it('file store (Node): atomic rewrite, survives a restart, a missing or corrupt file is an empty queue', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pos-outbox-'));
    dirs.push(dir);
    const path = join(dir, 'nested', 'outbox.json');
    const outbox = new Outbox(fileOutboxStore(path), sdkClock());
    expect(outbox.count).toBe(0);
    outbox.enqueue('m1', upd('R1'));
    outbox.enqueue('m2', { action: 'floor-plans/update', payload: { floorId: 1, tables: [{ id: 1, x: 0, y: 0 }], mutationId: 'm2' } });
    outbox.remove('m1');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toHaveLength(1);
    expect(new Outbox(fileOutboxStore(path), sdkClock()).list().map((e) => e.id)).toEqual(['m2']);
    writeFileSync(path, 'garbage');
    expect(new Outbox(fileOutboxStore(path), sdkClock()).count).toBe(0);
  });
});
