/**
 * A token bucket: `perSecond` tokens refill a bucket of at most `burst`; each frame takes one. A port
 * because both the front (src/front/limits) and the Odoo token validator draw from such buckets. Pure
 * (time arrives as an argument), so the limits built on it are tested with a hand-driven clock.
 */

export interface RateSpec {
  readonly perSecond: number;
  readonly burst: number;
}

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly spec: RateSpec,
    now: number,
  ) {
    this.tokens = spec.burst;
    this.at = now;
  }

  /** Take one token: 0 when granted, else the milliseconds until one is available (at least 1). */
  take(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.spec.perSecond));
  }

  /** True when the bucket is full again: its owner can be forgotten without changing any answer. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.spec.burst;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.at);
    this.at = Math.max(this.at, now);
    this.tokens = Math.min(this.spec.burst, this.tokens + (elapsed * this.spec.perSecond) / 1000);
  }
}
