/**
 * Per source address, before anyone has signed in: how many sockets it holds that have not reached
 * AUTH_OK, and how fast it may send AUTH (each one can cost an Odoo round trip). The LAN is shared with
 * guests, so these are the limits a stranger meets first. Pure: `now` is an argument.
 */
import type { Config } from '../../config.js';
import { AddressBuckets } from './address-buckets.js';

export type AddressLimitsConfig = Pick<Config, 'HUB_MAX_UNAUTH_PER_ADDRESS' | 'HUB_RATE_AUTH_PER_ADDRESS'>;

export class AddressLimits {
  private readonly unauthenticated = new Map<string, number>();
  private readonly auth: AddressBuckets;

  constructor(private readonly config: AddressLimitsConfig) {
    this.auth = new AddressBuckets(config.HUB_RATE_AUTH_PER_ADDRESS);
  }

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
    return this.auth.take(address, now);
  }
}
