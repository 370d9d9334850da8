/**
 * Which identity owns each device id, kept in SQLite (meta rows `device:<id>`) so a restart does not
 * hand a device to whoever reconnects first. Only the writer touches SQLite; the front asks here on
 * every AUTH and reports each disconnect, so an owner's device can be freed after a long idle period.
 */
import type { HubStore } from '#adapters/sqlite/store.js';
import { isTransientStorageError } from '#adapters/sqlite/storage-fault.js';
import type { DeviceClaim, FrontToWriter } from '#threads/contract.js';

type Input<K extends keyof FrontToWriter['requests']> = FrontToWriter['requests'][K]['input'];

interface DeviceRow {
  readonly owner: string;
  readonly lastSeen: number;
}

const keyOf = (deviceId: string): string => `device:${deviceId}`;

function read(store: HubStore, deviceId: string): DeviceRow | null {
  const raw = store.meta(keyOf(deviceId));
  if (raw === null) return null;
  try {
    const row = JSON.parse(raw) as Partial<DeviceRow> | null;
    // A damaged row binds nobody rather than crash the writer; the next claim rewrites it.
    return typeof row?.owner === 'string' && typeof row.lastSeen === 'number' ? { owner: row.owner, lastSeen: row.lastSeen } : null;
  } catch {
    return null;
  }
}

/**
 * A full or failing disk must not lock staff out of their terminals: the binding (or its idle clock) is
 * then kept for this sign-in only and written at the next one. Any other error is the writer's to report.
 */
function write(store: HubStore, deviceId: string, row: DeviceRow): void {
  try {
    store.setMeta(keyOf(deviceId), JSON.stringify(row));
  } catch (error) {
    if (!isTransientStorageError(error)) throw error;
  }
}

/** Claim for `owner`: granted when unbound, already theirs, or idle past idleReleaseMs (> 0). */
export function claimDevice(store: HubStore, req: Input<'device_claim'>): DeviceClaim {
  const row = read(store, req.deviceId);
  if (row !== null && row.owner !== req.owner) {
    const idle = req.idleReleaseMs > 0 && req.now - row.lastSeen >= req.idleReleaseMs;
    if (!idle) return { ok: false, owner: row.owner, lastSeen: row.lastSeen };
  }
  write(store, req.deviceId, { owner: req.owner, lastSeen: req.now });
  return { ok: true, previousOwner: row === null || row.owner === req.owner ? null : row.owner };
}

/** Devices in use at `now`: only the owner's own use refreshes the idle clock. How many were refreshed. */
export function sawDevices(store: HubStore, req: Input<'device_seen'>): number {
  let seen = 0;
  for (const { deviceId, owner } of req.devices) {
    if (read(store, deviceId)?.owner !== owner) continue;
    write(store, deviceId, { owner, lastSeen: req.now });
    seen += 1;
  }
  return seen;
}

/** Free a device id (a manager's release); true when it was bound. */
export function releaseDevice(store: HubStore, deviceId: string): boolean {
  return store.deleteMeta(keyOf(deviceId));
}
