/**
 * Which identity owns each device id, kept in SQLite (meta rows `device:<id>`) so a restart does not
 * hand a device to whoever reconnects first. Only the writer touches SQLite; the front asks here on
 * every AUTH and reports each disconnect, so an owner's device can be freed after a long idle period.
 * The claims that arrive together (a reconnect storm: the front batches its requests per turn) are
 * written in one transaction, one fsync, and each is answered once that is committed.
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

/**
 * A sign-in of the device's own owner rewrites its row only when the row's idle clock is older than this:
 * a reconnect storm signs every device in again within seconds, and each rewrite was one fsync. The idle
 * clock (HUB_DEVICE_IDLE_RELEASE_HOURS, whole hours) is then at most this much early.
 */
export const DEVICE_SEEN_REFRESH_MS = 60_000;

function read(store: HubStore, deviceId: string): DeviceRow | null {
  const raw = store.meta(keyOf(deviceId));
  if (raw === null) return null;
  try {
    const row = JSON.parse(raw) as Partial<DeviceRow> | null;
    // A damaged row binds nobody rather than crash the writer; the next claim rewrites it.
    return typeof row?.owner === 'string' && typeof row.lastSeen === 'number'
      ? { owner: row.owner, lastSeen: row.lastSeen }
      : null;
  } catch {
    return null;
  }
}

/**
 * Rows written in one transaction. A full or failing disk must not lock staff out of their terminals: the
 * bindings (or their idle clocks) are then kept for these sign-ins only and written at the next ones. Any
 * other error is the writer's to report.
 */
function writeAll(store: HubStore, rows: ReadonlyMap<string, DeviceRow>): void {
  if (rows.size === 0) return;
  try {
    store.transaction(() => {
      for (const [deviceId, row] of rows) store.setMeta(keyOf(deviceId), JSON.stringify(row));
    });
  } catch (error) {
    if (!isTransientStorageError(error)) throw error;
  }
}

interface Waiting {
  readonly claim: DeviceClaim;
  readonly resolve: (claim: DeviceClaim) => void;
  readonly reject: (error: unknown) => void;
}

/** The writer's device bindings: claims group-committed per turn, reports of use, releases. */
export class DeviceOwners {
  /** Rows decided this turn and not yet committed: later claims in the same turn read them first. */
  private pending = new Map<string, DeviceRow>();
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly store: HubStore) {}

  /**
   * Claim for `owner`: granted when unbound, already theirs, or idle past idleReleaseMs (> 0). Answered once
   * the binding is committed, together with every other claim of this turn.
   */
  claim(req: Input<'device_claim'>): Promise<DeviceClaim> {
    const row = this.pending.get(req.deviceId) ?? read(this.store, req.deviceId);
    let claim: DeviceClaim;
    if (
      row !== null &&
      row.owner !== req.owner &&
      !(req.idleReleaseMs > 0 && req.now - row.lastSeen >= req.idleReleaseMs)
    ) {
      claim = { ok: false, owner: row.owner, lastSeen: row.lastSeen };
    } else {
      const fresh = row !== null && row.owner === req.owner && req.now - row.lastSeen < DEVICE_SEEN_REFRESH_MS;
      if (!fresh && req.readOnly !== true) this.pending.set(req.deviceId, { owner: req.owner, lastSeen: req.now });
      claim = { ok: true, previousOwner: row === null || row.owner === req.owner ? null : row.owner };
    }
    return new Promise<DeviceClaim>((resolve, reject) => {
      this.waiting.push({ claim, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After the batch of requests being handled now: every claim in it shares the commit.
      queueMicrotask(() => this.commit());
    });
  }

  /**
   * Devices in use at `now`: only the owner's own use refreshes the idle clock. How many were refreshed.
   * One transaction for all of them: each auth re-check reports every connected device.
   */
  seen(req: Input<'device_seen'>): number {
    this.commit();
    const owned = new Map<string, DeviceRow>();
    for (const { deviceId, owner } of req.devices)
      if (read(this.store, deviceId)?.owner === owner) owned.set(deviceId, { owner, lastSeen: req.now });
    writeAll(this.store, owned);
    return owned.size;
  }

  /** Free a device id (a manager's release); true when it was bound. */
  release(deviceId: string): boolean {
    this.commit();
    return this.store.deleteMeta(keyOf(deviceId));
  }

  /** Write this turn's claims and answer them; releases and reports of use come after the claims before them. */
  private commit(): void {
    this.scheduled = false;
    const rows = this.pending;
    const waiting = this.waiting;
    this.pending = new Map();
    this.waiting = [];
    try {
      writeAll(this.store, rows);
    } catch (error) {
      for (const w of waiting) w.reject(error);
      return;
    }
    for (const w of waiting) w.resolve(w.claim);
  }
}
