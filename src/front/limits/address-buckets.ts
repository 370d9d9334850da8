/**
 * One token bucket per source address, with a bounded memory: the per-address rate limits a stranger on
 * the guest Wi-Fi meets first (AUTH frames, identity proofs) share it. A full bucket is forgotten when
 * room is needed, which changes no answer (a new one starts full). Pure: `now` is an argument.
 */
import { TokenBucket, type RateSpec } from '../../ports/token-bucket.js';

/** Addresses whose bucket is remembered at most (a LAN has far fewer; full buckets go first). */
const ADDRESSES_REMEMBERED = 10_000;

export class AddressBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly spec: RateSpec) {}

  /** One request from `address`: 0 when allowed, else milliseconds to wait. */
  take(address: string, now: number): number {
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      if (this.buckets.size >= ADDRESSES_REMEMBERED) {
        for (const [a, b] of this.buckets) if (b.isFull(now)) this.buckets.delete(a);
      }
      bucket = new TokenBucket(this.spec, now);
      this.buckets.set(address, bucket);
    }
    return bucket.take(now);
  }
}
