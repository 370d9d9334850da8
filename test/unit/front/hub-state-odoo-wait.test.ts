/**
 * A new leader waiting out its predecessor's Odoo claims (docs/ha.md "Finalization exactly once across a
 * leader change") is visible on /health: `odooForwardWait` with until when and why, while the wait lasts,
 * `status` still ok (it is expected after a leader change) — so "leader, but nothing reaches Odoo" for
 * 2.5 minutes has its reason on the page.
 */
import { describe, expect, it } from 'vitest';
import { CLAIM_WAIT_REASON, createHubState } from '../../../src/front/http/hub-state.js';
import type { WriterStats } from '../../../src/threads/contract.js';
import { fixedClock } from '../../helpers/clocks.js';

const idle: WriterStats = { seq: 0, orders: 0, activeLeases: 0, activeLocks: 0, pendingForward: 2, totalForwarded: 0, deadLetters: 0, lastOdooSync: null, odooReachable: false, lastOdooError: null };

function hub(stats: () => WriterStats) {
  const clock = fixedClock();
  const state = createHubState({
    front: {
      get writerStats() {
        return stats();
      },
      terminals: { readyCount: 0, views: () => [] },
    },
    clock,
    startedAt: clock.now(),
    shards: 1,
    uwsNative: () => true,
    version: 'test',
    writerState: () => Promise.reject(new Error('not read here')),
    cluster: () => ({ role: 'leader', epoch: 4, leader: { url: 'ws://hub-b:8766/', epoch: 4 }, replication: null, ownNode: 'primary' }),
  });
  return { state, clock };
}

describe('/health while a new leader waits out the previous leader\'s Odoo claims', () => {
  it('shows until when and why, counts down, and goes once the wait is over', () => {
    let stats: WriterStats = idle;
    const { state, clock } = hub(() => stats);
    expect(state.health().odooForwardWait).toBeUndefined();

    const until = clock.now() + 157_500;
    stats = { ...idle, odooClaimWaitUntil: until };
    expect(state.health()).toMatchObject({
      status: 'ok',
      odooForwardWait: { until: new Date(until).toISOString(), remainingSeconds: 158, reason: CLAIM_WAIT_REASON },
    });
    clock.advance(100_000);
    expect(state.health().odooForwardWait?.remainingSeconds).toBe(58);
    // The writer's last counters may still carry it for a moment after the wait ended: not shown then.
    clock.advance(57_500);
    expect(state.health().odooForwardWait).toBeUndefined();
    stats = idle;
    expect(state.health().odooForwardWait).toBeUndefined();
  });
});
