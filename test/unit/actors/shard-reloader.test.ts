/**
 * The shard's reloads after a failed commit (workers/shard/reloader.ts), on a simulated clock with loads
 * the test answers by hand: a failed load is retried with a bounded backoff until one succeeds (it used to
 * be logged and forgotten, leaving the shard refusing every write behind the writer's generation), rollbacks
 * fold into one load at the newest generation, and an answer older than memory is never applied.
 */
import { describe, expect, it } from 'vitest';
import { TestClock } from '../../helpers/clocks.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { FIRST_BACKOFF_MS, MAX_BACKOFF_MS, ShardReloader } from '../../../workers/shard/reloader.js';

interface Answer {
  readonly generation: number;
  readonly tag: string;
}

/** Lets the promise callbacks queued so far run (an awaited turn, not a sleep). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function rig() {
  const clock = new TestClock();
  const asks: { resolve: (a: Answer) => void; reject: (e: unknown) => void }[] = [];
  const applied: Answer[] = [];
  const outcomes: string[] = [];
  const logged: { msg: string; failures?: number }[] = [];
  const log = createLogger({ level: 'silent' });
  const spy = new Proxy(log, {
    get(target, prop, receiver) {
      if (prop === 'error' || prop === 'warn')
        return (obj: { failures?: number }, msg: string) => logged.push({ msg, failures: obj.failures });
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  const reloader = new ShardReloader<Answer>({
    load: () => new Promise<Answer>((resolve, reject) => asks.push({ resolve, reject })),
    apply: (a) => applied.push(a),
    clock,
    log: spy,
    count: (o) => outcomes.push(o),
  });
  /** Answer the oldest load still open. */
  const answer = async (generation: number, tag = `g${generation}`): Promise<void> => {
    const ask = asks.shift();
    if (ask === undefined) throw new Error('no load is open');
    ask.resolve({ generation, tag });
    await turn();
  };
  const fail = async (): Promise<void> => {
    const ask = asks.shift();
    if (ask === undefined) throw new Error('no load is open');
    ask.reject(new Error('store away'));
    await turn();
  };
  return { clock, asks, applied, outcomes, logged, reloader, answer, fail };
}

describe('shard reloader', () => {
  it('retries a failed reload with a doubling backoff until one succeeds', async () => {
    const r = rig();
    const started = r.reloader.reload();
    await r.answer(0);
    await started;
    r.reloader.rollback(1);
    expect(r.asks).toHaveLength(1);
    expect(r.reloader.behind).toBe(true);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      await r.fail();
      expect(r.asks).toHaveLength(0);
      // The retry waits for its backoff: nothing before it, exactly one load when it is due.
      const before = r.clock.monotonic();
      for (let ms = 0; r.asks.length === 0 && ms < 60_000; ms++) r.clock.advance(1);
      expect(r.asks).toHaveLength(1);
      delays.push(r.clock.monotonic() - before);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(FIRST_BACKOFF_MS).toBe(100);
    expect(MAX_BACKOFF_MS).toBe(5000);
    // Units are still stamped with the old generation (the writer refuses them, retryable) until a load lands.
    expect(r.reloader.generation).toBe(0);
    await r.answer(1);
    expect(r.reloader.generation).toBe(1);
    expect(r.reloader.behind).toBe(false);
    expect(r.applied.map((a) => a.tag)).toEqual(['g0', 'g1']);
    expect(r.outcomes).toEqual(['ok', ...Array<string>(8).fill('failed'), 'ok']);
    // Each failure logged once, with its count.
    expect(r.logged.filter((l) => l.msg.includes('failed; retrying')).map((l) => l.failures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    r.clock.advance(60_000);
    expect(r.asks).toHaveLength(0);
    expect(r.clock.pending()).toBe(0);
  });

  it('folds rollbacks that arrive during a load into one more load at the newest generation', async () => {
    const r = rig();
    const started = r.reloader.reload();
    await r.answer(0);
    await started;
    r.reloader.rollback(1);
    r.reloader.rollback(2);
    r.reloader.rollback(3);
    expect(r.asks).toHaveLength(1);
    // The answer was read before rollbacks 2 and 3: memory is still behind, so one more load.
    await r.answer(1);
    expect(r.reloader.generation).toBe(1);
    expect(r.asks).toHaveLength(1);
    r.reloader.rollback(2);
    expect(r.asks).toHaveLength(1);
    await r.answer(3);
    expect(r.reloader.generation).toBe(3);
    expect(r.asks).toHaveLength(0);
    expect(r.applied.map((a) => a.generation)).toEqual([0, 1, 3]);
  });

  it('a rollback during the initial load is not lost when the load answers at an older generation', async () => {
    const r = rig();
    const started = r.reloader.reload();
    r.reloader.rollback(1);
    expect(r.asks).toHaveLength(1);
    await r.answer(0);
    await started;
    expect(r.asks).toHaveLength(1);
    await r.answer(1);
    expect(r.reloader.generation).toBe(1);
    expect(r.reloader.behind).toBe(false);
  });

  it('a rollback while a retry waits joins that retry; an explicit reload skips the wait', async () => {
    const r = rig();
    r.reloader.rollback(1);
    await r.fail();
    r.reloader.rollback(2);
    expect(r.asks).toHaveLength(0);
    const asked = r.reloader.reload();
    expect(r.asks).toHaveLength(1);
    await r.answer(2);
    await asked;
    expect(r.reloader.generation).toBe(2);
    expect(r.clock.pending()).toBe(0);
  });

  it('never applies an answer older than memory a catch-up brought forward', async () => {
    const r = rig();
    r.reloader.rollback(4);
    r.reloader.caughtUp(5);
    await r.answer(4);
    expect(r.applied).toEqual([]);
    expect(r.reloader.generation).toBe(5);
    expect(r.reloader.behind).toBe(false);
    r.reloader.rollback(5);
    expect(r.asks).toHaveLength(0);
  });

  it('an explicit reload that fails is refused to its caller and not retried when no rollback waits', async () => {
    const r = rig();
    const asked = r.reloader.reload();
    const outcome = asked.then(
      () => 'resolved',
      () => 'rejected',
    );
    await r.fail();
    expect(await outcome).toBe('rejected');
    expect(r.clock.pending()).toBe(0);
  });

  it('a load answered after stop is not applied', async () => {
    const r = rig();
    r.reloader.rollback(1);
    r.reloader.stop();
    await r.answer(1);
    expect(r.applied).toEqual([]);
  });

  it('stop cancels a waiting retry', async () => {
    const r = rig();
    r.reloader.rollback(1);
    await r.fail();
    expect(r.clock.pending()).toBe(1);
    r.reloader.stop();
    r.clock.advance(60_000);
    expect(r.asks).toHaveLength(0);
  });
});
