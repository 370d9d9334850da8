/**
 * Per source address, before anyone has signed in: how many sockets it holds that have not reached
 * AUTH_OK, and how fast it may send AUTH (each one can cost an Odoo round trip). The LAN is shared with
 * guests, so these are the limits a stranger meets first. Pure: `now` is an argument.
 */
import type { Config } from '../../config.js';
import { TokenBucket } from '../../ports/token-bucket.js';

export type AddressLimitsConfig = Pick<Config, 'HUB_MAX_UNAUTH_PER_ADDRESS' | 'HUB_RATE_AUTH_PER_ADDRESS'>;

/** Addresses whose AUTH bucket is remembered at most (a LAN has far fewer; full buckets go first). */
const ADDRESSES_REMEMBERED = 10_000;

export class AddressLimits {
  private readonly unauthenticated = new Map<string, number>();
  private readonly auth = new Map<string, TokenBucket>();

  constructor(private readonly config: AddressLimitsConfig) {}

  /** A socket opened: false (and not counted) when the address already holds its share of unsigned sockets. */
  open(address: string): boolean {
    const n = this.unauthenticated.get(address) ?? 0;
    if (n >= this.config.HUB_MAX_UNAUTH_PER_ADDRESS) return false;
    this.unauthenticated.set(address, n + 1);
    return true;
  }

  /** A counted socket signed in or closed. */
  settled(address: string): void {
    const n = (this.unauthenticated.get(address) ?? 0) - 1;
    if (n > 0) this.unauthenticated.set(address, n);
    else this.unauthenticated.delete(address);
  }

  unauthenticatedFrom(address: string): number {
    return this.unauthenticated.get(address) ?? 0;
  }

  /** One AUTH from this address: 0 when allowed, else milliseconds to wait. */
  takeAuth(address: string, now: number): number {
    let bucket = this.auth.get(address);
    if (bucket === undefined) {
      if (this.auth.size >= ADDRESSES_REMEMBERED) {
        for (const [a, b] of this.auth) if (b.isFull(now)) this.auth.delete(a);
      }
      bucket = new TokenBucket(this.config.HUB_RATE_AUTH_PER_ADDRESS, now);
      this.auth.set(address, bucket);
    }
    return bucket.take(now);
  }
}
