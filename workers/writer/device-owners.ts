/**
 * Which identity owns each device id, kept in the store (meta rows `device:<id>`) so a restart does not
 * hand a device to whoever reconnects first. Only the writer touches the store; the front asks here on
 * every AUTH and reports each disconnect, so an owner's device can be freed after a long idle period.
 * The claims that arrive together (a reconnect storm: the front batches its requests per turn) are
 * decided in order, written in one transaction (one fsync) and each answered once that is committed.
 * Every read and write runs on the writer's lane (`run`), after the commit in flight.
 */
import { allSettled, settledPromise, thenSettled, valueOrPromise } from '#ports/settled.js';
import type { HubStorePort, StoreOp } from '#ports/store.js';
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

function parse(raw: string | null): DeviceRow | null {
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

/** Runs store work after the writer's commit in flight; answers in this turn when the store does. */
export type DeviceLane = <T>(work: () => T | Promise<T>) => T | Promise<T>;

interface Waiting {
  readonly req: Input<'device_claim'>;
  readonly resolve: (claim: DeviceClaim) => void;
  readonly reject: (error: unknown) => void;
}

/** The writer's device bindings: claims group-committed per turn, reports of use, releases. */
export class DeviceOwners {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly store: HubStorePort,
    private readonly run: DeviceLane = (work) => valueOrPromise(work()),
  ) {}

  /**
   * Claim for `owner`: granted when unbound, already theirs, or idle past idleReleaseMs (> 0). Answered once
   * the binding is committed, together with every other claim of this turn.
   */
  claim(req: Input<'device_claim'>): Promise<DeviceClaim> {
    return new Promise<DeviceClaim>((resolve, reject) => {
      this.waiting.push({ req, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After the batch of requests being handled now: every claim in it shares the commit.
      queueMicrotask(() => this.flushClaims());
    });
  }

  /**
   * Devices in use at `now`: only the owner's own use refreshes the idle clock. How many were refreshed.
   * One transaction for all of them: each auth re-check reports every connected device.
   */
  seen(req: Input<'device_seen'>): number | Promise<number> {
    this.flushClaims();
    return this.run(() =>
      thenSettled(this.rows(req.devices.map((d) => d.deviceId)), (rows) => {
        const owned = new Map<string, DeviceRow>();
        for (const { deviceId, owner } of req.devices)
          if (rows.get(deviceId)?.owner === owner) owned.set(deviceId, { owner, lastSeen: req.now });
        return thenSettled(this.writeAll(owned, req.now), () => owned.size);
      }),
    );
  }

  /** Free a device id (a manager's release); true when it was bound. */
  release(deviceId: string): boolean | Promise<boolean> {
    this.flushClaims();
    return this.run(() => this.store.deleteMeta(keyOf(deviceId)));
  }

  /** This turn's claims onto the lane: releases and reports of use come after the claims before them. */
  private flushClaims(): void {
    if (!this.scheduled) return;
    this.scheduled = false;
    const waiting = this.waiting;
    this.waiting = [];
    let decided;
    try {
      decided = this.run(() => this.decide(waiting));
    } catch (error) {
      for (const w of waiting) w.reject(error);
      return;
    }
    if (decided instanceof Promise) decided.catch((error: unknown) => waiting.forEach((w) => w.reject(error)));
  }

  /** Read the rows, decide each claim in order (a later one sees an earlier one's binding), write, answer. */
  private decide(waiting: readonly Waiting[]): Promise<void> {
    return thenSettled(this.rows(waiting.map((w) => w.req.deviceId)), (rows) => {
      const pending = new Map<string, DeviceRow>();
      const claims: DeviceClaim[] = [];
      for (const { req } of waiting) {
        const row = pending.get(req.deviceId) ?? rows.get(req.deviceId) ?? null;
        if (row !== null && row.owner !== req.owner && !(req.idleReleaseMs > 0 && req.now - row.lastSeen >= req.idleReleaseMs)) {
          claims.push({ ok: false, owner: row.owner, lastSeen: row.lastSeen });
          continue;
        }
        const fresh = row !== null && row.owner === req.owner && req.now - row.lastSeen < DEVICE_SEEN_REFRESH_MS;
        // A follower's check (readOnly) binds nothing: the leader records the device when it signs in there.
        if (!fresh && req.readOnly !== true) pending.set(req.deviceId, { owner: req.owner, lastSeen: req.now });
        claims.push({ ok: true, previousOwner: row === null || row.owner === req.owner ? null : row.owner });
      }
      return thenSettled(this.writeAll(pending, waiting[0]?.req.now ?? 0), () => {
        waiting.forEach((w, i) => w.resolve(claims[i] as DeviceClaim));
      });
    });
  }

  private rows(deviceIds: readonly string[]): Promise<Map<string, DeviceRow | null>> {
    const ids = [...new Set(deviceIds)];
    return thenSettled(allSettled(ids.map((id) => this.store.meta(keyOf(id)))), (raws) => new Map(ids.map((id, i) => [id, parse(raws[i] ?? null)])));
  }

  /**
   * Rows written in one transaction. A store that refuses writes (full disk, lost primary) must not lock
   * staff out of their terminals: the bindings (or their idle clocks) are then kept for these sign-ins only
   * and written at the next ones. Any other error is the writer's to report.
   */
  private writeAll(rows: ReadonlyMap<string, DeviceRow>, now: number): Promise<void> {
    if (rows.size === 0) return settledPromise(() => undefined);
    const ops: StoreOp[] = [...rows].map(([deviceId, row]) => ({ op: 'meta_put', key: keyOf(deviceId), value: JSON.stringify(row) }));
    return thenSettled(
      this.store.commit([{ ops }], now),
      () => undefined,
      (error) => {
        if (this.store.classifyError(error) === 'fatal') throw error;
      },
    );
  }
}
