/**
 * When a follower asks pg_auto_failover for a failover (docs/ha.md "A leader hub that keeps crashing"): the
 * pure rule over successive reads on a simulated clock — a still heartbeat past the threshold, a crash loop,
 * and every condition that must hold (another hub leads, a healthy synchronous standby here, a primary that
 * commits, history, the rate limit); and the requester asking once and logging a refusal.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import {
  CRASH_LOOP,
  createFailoverRequester,
  decideFailoverRequest,
  initialMemory,
  type FailoverMemory,
  type FailoverObservation,
} from '../../../src/hub/failover-request.js';
import { TestClock } from '../../helpers/clocks.js';

const RULE = { staleMs: 30_000, intervalMs: 600_000, ...CRASH_LOOP };
const ME = 'hub-b:8766';
const healthy = (heartbeat: string | null, epoch = 4, node: string | null = 'hub-a:8766'): FailoverObservation => ({
  ownNodeSyncStandby: true,
  primaryCanCommit: true,
  heartbeat,
  latest: { epoch, node },
});

/** Feeds one observation every 2 s (the cluster read) from t=0 to `untilMs`; returns the times it asked. */
function run(observe: (t: number) => FailoverObservation, untilMs: number, start: FailoverMemory = initialMemory(0)): { asks: number[]; whys: string[] } {
  let memory = start;
  const asks: number[] = [];
  const whys: string[] = [];
  for (let t = 0; t <= untilMs; t += 2000) {
    const step = decideFailoverRequest(observe(t), memory, t, ME, RULE);
    memory = step.memory;
    if (step.decision.ask) {
      asks.push(t);
      whys.push(step.decision.why);
    }
  }
  return { asks, whys };
}

describe('decideFailoverRequest', () => {
  it('never asks while the leader refreshes its heartbeat every 5 s, for an hour', () => {
    expect(run((t) => healthy(`4:${Math.floor(t / 5000)}`), 3_600_000).asks).toEqual([]);
  });

  it('asks once the heartbeat has been still for the threshold, then not again within the interval', () => {
    // The leader stops at t=60 s; the heartbeat last changed at 60 s.
    const { asks, whys } = run((t) => healthy(`4:${Math.floor(Math.min(t, 60_000) / 5000)}`), 1_200_000);
    expect(asks).toEqual([90_000, 690_000]);
    expect(whys[0]).toContain("hub-a:8766's heartbeat has not changed for 30 s");
  });

  it('rides over a restart: a new epoch and a fresh heartbeat within the threshold is no failover', () => {
    const obs = (t: number): FailoverObservation => (t < 60_000 ? healthy(`4:${Math.floor(t / 5000)}`) : t < 70_000 ? healthy('4:11') : healthy(`5:${Math.floor(t / 5000)}`, 5));
    expect(run(obs, 600_000).asks).toEqual([]);
  });

  it('gives a new leader the threshold from its takeover, even if the old heartbeat was stale for long', () => {
    // The leader is gone from 20 s to 80 s (a failover: this node is no synchronous standby meanwhile, so no
    // ask); hub C takes over at 80 s, its first heartbeat is read at 86 s.
    const obs = (t: number): FailoverObservation =>
      t < 80_000 ? { ...healthy(`4:${Math.floor(Math.min(t, 20_000) / 5000)}`), ownNodeSyncStandby: false } : t < 86_000 ? healthy('4:4', 5, 'hub-c:8766') : healthy(`5:${Math.floor(t / 5000)}`, 5, 'hub-c:8766');
    expect(run(obs, 600_000).asks).toEqual([]);
  });

  it('asks on a crash loop: the same hub taking over three times within five minutes, heartbeat fresh each time', () => {
    // Hub A restarts every 20 s: a new epoch and a fresh heartbeat each time, so the heartbeat is never still for 30 s.
    const obs = (t: number): FailoverObservation => {
      const epoch = 4 + Math.floor(t / 20_000);
      return healthy(`${epoch}:${t}`, epoch);
    };
    const { asks, whys } = run(obs, 120_000);
    // The first read is history; takeovers seen at 20, 40 and 60 s.
    expect(asks[0]).toBe(60_000);
    expect(whys[0]).toContain('took over 3 times');
  });

  it('does not count takeovers by different hubs as a loop', () => {
    const obs = (t: number): FailoverObservation => {
      const epoch = 4 + Math.floor(t / 20_000);
      return healthy(`${epoch}:${t}`, epoch, epoch % 2 === 0 ? 'hub-a:8766' : 'hub-c:8766');
    };
    expect(run(obs, 120_000).asks).toEqual([]);
  });

  it('never asks unless every condition holds', () => {
    const still = (over: Partial<FailoverObservation>) => () => ({ ...healthy('4:1'), ...over });
    expect(run(still({ ownNodeSyncStandby: false }), 600_000).asks).toEqual([]);
    expect(run(still({ primaryCanCommit: false }), 600_000).asks).toEqual([]);
    expect(run(still({ latest: { epoch: 4, node: ME } }), 600_000).asks).toEqual([]);
    expect(run(still({ latest: null }), 600_000).asks).toEqual([]);
    // A leader that never wrote a heartbeat (an older version, mid-upgrade): staleness says nothing.
    expect(run(still({ heartbeat: null }), 600_000).asks).toEqual([]);
  });

  it('waits for its own history: a hub that just started does not ask at once', () => {
    expect(run(() => healthy('4:1'), 40_000).asks).toEqual([30_000]);
  });
});

describe('createFailoverRequester', () => {
  it('asks once per interval and logs a refusal without throwing', async () => {
    const clock = new TestClock();
    const calls: number[] = [];
    const observe = createFailoverRequester({
      clock,
      rule: RULE,
      hubId: () => ME,
      request: () => {
        calls.push(clock.monotonic());
        return Promise.reject(new Error('cannot perform failover: node is in state catchingup'));
      },
      log: createLogger({ level: 'silent' }),
    });
    for (let i = 0; i < 40; i += 1) {
      observe(healthy('4:1'));
      await Promise.resolve();
      clock.advance(2000);
    }
    expect(calls).toEqual([30_000]);
  });
});
