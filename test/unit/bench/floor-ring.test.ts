/**
 * The SharedArrayBuffer ring of the pipeline floor: strings come out in order and intact (multi-byte UTF-8
 * included) across many wrap-arounds of a small ring, a full ring refuses rather than overwrites, and a
 * listener parked in Atomics.waitAsync is woken by a push.
 */
import { describe, expect, it } from 'vitest';
import { ByteRing } from '../../../bench/ceilings/floor-ring.js';

describe('ByteRing', () => {
  it('rejects a capacity that is not a power of two', () => {
    expect(() => ByteRing.allocate(100)).toThrow(/power of two/);
  });

  it('returns what was pushed, in order, across wrap-arounds', () => {
    const ring = new ByteRing(ByteRing.allocate(256));
    const seen: string[] = [];
    const sent: string[] = [];
    for (let i = 0; i < 500; i += 1) {
      const text = `${i}:${'ñ€'.repeat(i % 9)}`;
      expect(ring.push(text)).toBe(true);
      sent.push(text);
      // Drain every third push so the ring holds a few records when it wraps.
      if (i % 3 === 2) for (let t = ring.pop(); t !== null; t = ring.pop()) seen.push(t);
    }
    for (let t = ring.pop(); t !== null; t = ring.pop()) seen.push(t);
    expect(seen).toEqual(sent);
    expect(ring.used()).toBe(0);
  });

  it('refuses a push that does not fit and keeps what it holds', () => {
    const ring = new ByteRing(ByteRing.allocate(128));
    let pushed = 0;
    while (ring.push('x'.repeat(10))) pushed += 1;
    expect(pushed).toBeGreaterThan(0);
    expect(ring.push('y'.repeat(30))).toBe(false);
    expect(ring.pop()).toBe('x'.repeat(10));
    expect(ring.push('y'.repeat(200))).toBe(false); // larger than half the ring: never fits
  });

  it('wakes a listener waiting in Atomics.waitAsync', async () => {
    const ring = new ByteRing(ByteRing.allocate(1024));
    ring.push('before');
    const got: string[] = [];
    const third = new Promise<void>((resolve) =>
      ring.listen((text) => {
        got.push(text);
        if (got.length === 3) resolve();
      }),
    );
    expect(got).toEqual(['before']);
    await Promise.resolve();
    ring.push('one');
    ring.push('two');
    await third;
    expect(got).toEqual(['before', 'one', 'two']);
  });
});
