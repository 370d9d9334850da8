/**
 * Device ids are bound to their first user (README "Security"): a live socket of another user refuses the
 * AUTH, else the writer's claim decides (idle bindings lapse after HUB_DEVICE_IDLE_RELEASE_HOURS), and
 * devices in use are reported to the writer so a connected device never counts as idle.
 */
import type { Logger } from '../adapters/log/logger.js';
import type { Clock } from '../ports/clock.js';
import { toHubError } from '../protocol/errors.js';
import type { Caller } from '../threads/rpc.js';
import type { TerminalRegistry } from './terminal-registry.js';
import type { FrontToWriter } from '../threads/contract.js';

/** An AUTH refused because the device id is another user's. */
export interface DeviceRefusal {
  readonly ok: false;
  readonly code: 'DEVICE_OWNED';
  readonly reason: string;
}

export interface DeviceClaimsDeps {
  readonly registry: TerminalRegistry;
  readonly writer: Caller<FrontToWriter>;
  readonly clock: Clock;
  readonly log: Logger;
  /** HUB_DEVICE_IDLE_RELEASE_HOURS in ms (0: only the admin API releases a device). */
  readonly idleReleaseMs: number;
  /**
   * True on a follower hub: claims are checked, never recorded, and uses are not reported — the store is
   * the leader's to write (docs/ha.md "Follower hubs"). The binding is made when the device signs in there.
   */
  readonly readOnly?: () => boolean;
}

export class DeviceClaims {
  constructor(private readonly deps: DeviceClaimsDeps) {}

  /** Ok when `owner` may sign in on `deviceId`: its live socket is theirs or absent, and the writer grants the claim. */
  async claim(deviceId: string, owner: string): Promise<DeviceRefusal | { ok: true }> {
    return this.liveOwnerOf(deviceId, owner) ?? (await this.claimStored(deviceId, owner));
  }

  /** Record devices as in use now; a failure is logged, never fatal (the next re-check records them again). */
  seen(devices: Array<{ deviceId: string; owner: string }>): void {
    if (devices.length === 0 || this.deps.readOnly?.() === true) return;
    this.deps.writer.request('device_seen', { devices, now: this.deps.clock.now() }).catch((error: unknown) => {
      this.deps.log.warn({ err: toHubError(error), devices: devices.length }, 'could not record devices in use');
    });
  }

  /** A refusal when the device's live socket belongs to another user, else null (ask the writer). */
  private liveOwnerOf(deviceId: string, owner: string): DeviceRefusal | null {
    const live = this.deps.registry.byTerminal.get(deviceId);
    if (live === undefined || live.state.owner === null || live.state.owner === owner) return null;
    this.deps.log.warn({ deviceId }, 'AUTH for a device signed in by another user refused');
    return {
      ok: false,
      code: 'DEVICE_OWNED',
      reason: `device ${deviceId} is in use by another user; pick another device id or ask a manager to release it`,
    };
  }

  private async claimStored(deviceId: string, owner: string): Promise<DeviceRefusal | { ok: true }> {
    const readOnly = this.deps.readOnly?.() === true;
    const claim = await this.deps.writer.request('device_claim', {
      deviceId,
      owner,
      now: this.deps.clock.now(),
      idleReleaseMs: this.deps.idleReleaseMs,
      ...(readOnly ? { readOnly } : {}),
    });
    if (claim.ok) {
      if (claim.previousOwner !== null) this.deps.log.warn({ deviceId }, 'idle device id claimed by another user');
      return { ok: true };
    }
    this.deps.log.warn({ deviceId }, 'AUTH for a device bound to another user refused');
    return {
      ok: false,
      code: 'DEVICE_OWNED',
      reason: `device ${deviceId} belongs to another user; pick another device id or ask a manager to release it`,
    };
  }
}
