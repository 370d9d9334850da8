/**
 * The bench's forced GC (src/adapters/gc/requested-gc.ts) is armed only under --expose-gc: without it there
 * is nothing to call (so main.ts installs no SIGUSR2 handler and the hub behaves as in production); with it,
 * one request collects on the asking thread and on every thread that joined.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { joinRequestedGc, requestedGc } from '../../../src/adapters/gc/requested-gc.js';

const global = globalThis as { gc?: unknown };
const original = global.gc;

afterEach(() => {
  if (original === undefined) delete global.gc;
  else global.gc = original;
});

describe('requested GC', () => {
  it('is not armed without --expose-gc', () => {
    delete global.gc;
    expect(requestedGc()).toBeNull();
    expect(joinRequestedGc()).toBeTypeOf('function');
  });

  it('collects on the asking thread and on every joined one', async () => {
    let secondCall: () => void = () => undefined;
    const joined = new Promise<void>((resolve) => (secondCall = resolve));
    const gc = vi.fn(() => {
      if (gc.mock.calls.length === 2) secondCall();
    });
    global.gc = gc;
    const leave = joinRequestedGc();
    try {
      const collect = requestedGc();
      expect(collect).toBeTypeOf('function');
      collect!();
      expect(gc).toHaveBeenCalledTimes(1);
      await joined;
      expect(gc).toHaveBeenCalledTimes(2);
    } finally {
      leave();
    }
  });
});
