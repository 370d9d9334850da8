/**
 * The shard's time for lease and lock TTLs: epoch milliseconds at start, advanced by the monotonic clock
 * since, so a wall-clock jump (NTP step, `date -s`, a Pi without an RTC setting its clock after boot)
 * neither expires every grant at once nor keeps a dead one alive. The actors run on this time; what they
 * hand to the writer and the terminals (`expiresAt` on the wire and in SQLite) is moved to the wall clock
 * here, and persisted expiries are moved back when the shard loads them.
 */
import type { MonotonicClock } from '#ports/clock.js';
import type { HubMessage } from '#protocol/hub-messages.js';
import type { Unit, WriteOp } from '#threads/actor-io.js';
import type { KeySeed } from '#threads/seed.js';

export class GrantTime {
  private readonly anchorWall: number;
  private readonly anchorMono: number;

  constructor(private readonly clock: MonotonicClock) {
    this.anchorWall = clock.now();
    this.anchorMono = clock.monotonic();
  }

  /** The actors' `now`. Equals the wall clock until the wall clock jumps. */
  now(): number {
    return this.anchorWall + (this.clock.monotonic() - this.anchorMono);
  }

  /** Wall clock minus actor time: 0 until the wall clock jumps, then the size of the jump. */
  private offset(): number {
    return this.clock.now() - this.now();
  }

  /** A persisted wall-clock expiry on the actors' time (at load). */
  fromWall(expiresAt: number): number {
    return expiresAt - this.offset();
  }

  /** A seed with its lease and lock expiries moved from stored wall-clock ms to the actors' time. */
  seedFromWall<S extends KeySeed>(seed: S): S {
    if (seed.leases.length === 0 && seed.lock === null) return seed;
    return {
      ...seed,
      leases: seed.leases.map((l) => ({ ...l, expiresAt: this.fromWall(l.expiresAt) })),
      lock: seed.lock === null ? null : { ...seed.lock, expiresAt: this.fromWall(seed.lock.expiresAt) },
    };
  }

  /** The unit with every `expiresAt` (grant rows, grant messages, stored event payloads) on the wall clock. */
  toWall(unit: Unit): Unit {
    const offset = this.offset();
    if (offset === 0) return unit;
    const msg = (m: HubMessage): HubMessage =>
      'expiresAt' in m && typeof m.expiresAt === 'number'
        ? ({ ...m, expiresAt: m.expiresAt + offset } as HubMessage)
        : m;
    const op = (o: WriteOp): WriteOp => {
      switch (o.op) {
        case 'lease_put':
        case 'lock_put':
          return { ...o, expiresAt: o.expiresAt + offset };
        case 'event':
          return { ...o, payload: msg(o.payload) };
        case 'mutation':
          return { ...o, result: msg(o.result) };
        default:
          return o;
      }
    };
    return { ...unit, ops: unit.ops.map(op), out: unit.out.map((o) => ({ ...o, msg: msg(o.msg) })) };
  }
}
