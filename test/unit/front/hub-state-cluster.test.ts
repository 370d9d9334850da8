/**
 * "Primary" means "can commit" on /health (issue 18, docs/ha.md): a leader whose own data node is out of
 * recovery but cannot commit (an old primary pg_auto_failover has not demoted) is not a healthy leader —
 * /health says degraded with the reason — while a follower on such a node, or a leader on a node that
 * commits, stays ok.
 */
import { describe, expect, it } from 'vitest';
import { createHubState } from '../../../src/front/http/hub-state.js';
import type { ClusterView, NodeState } from '../../../src/ports/cluster.js';
import { fixedClock } from '../../helpers/clocks.js';

const stats = { seq: 0, orders: 0, activeLeases: 0, activeLocks: 0, pendingForward: 0, totalForwarded: 0, deadLetters: 0, lastOdooSync: null, odooReachable: true, lastOdooError: null };

function healthWith(role: 'leader' | 'follower', ownNode: NodeState) {
  const clock = fixedClock();
  let view: ClusterView = { role, epoch: 3, leader: null, replication: null, ownNode };
  const state = createHubState({
    front: { writerStats: stats, terminals: { readyCount: 0, views: () => [] } },
    clock,
    startedAt: clock.now(),
    shards: 1,
    uwsNative: () => true,
    version: 'test',
    writerState: () => Promise.reject(new Error('not read here')),
    cluster: () => view,
  });
  return { state, clock, set: (next: Partial<ClusterView>) => (view = { ...view, ...next }) };
}

describe('/health on a replicated store', () => {
  it('says degraded while this hub leads on a node that cannot commit, since when it was first seen, and ok once it can', () => {
    const h = healthWith('leader', 'primary_cannot_commit');
    const first = h.state.health();
    expect(first.status).toBe('degraded');
    expect(first.degraded).toEqual({ reason: expect.stringContaining('cannot commit'), since: new Date(h.clock.now()).toISOString(), storageFailures: 0 });
    h.clock.advance(5000);
    expect(h.state.health().degraded?.since).toBe(first.degraded?.since);
    h.set({ ownNode: 'primary' });
    expect(h.state.health()).toMatchObject({ status: 'ok' });
    expect(h.state.health().degraded).toBeUndefined();
  });

  it('stays ok for a follower on such a node, and for a leader whose node commits', () => {
    expect(healthWith('follower', 'primary_cannot_commit').state.health().status).toBe('ok');
    expect(healthWith('leader', 'primary').state.health().status).toBe('ok');
  });
});
