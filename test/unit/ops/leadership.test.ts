/**
 * Who leads (issue 18, docs/ha.md "Who leads"): the pure decision over every case of own node, latest
 * takeover and held role, and the loop that carries it out — a takeover only once enabled, the role
 * shown as leader only after the promotion resolved, a fenced commit or a standby node demoting at once,
 * one action at a time, and the view naming the leader a follower's terminals must go to.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { createLeadership, decideRole, type HeldRole } from '../../../src/hub/leadership.js';
import { readFromProbes } from '../../../src/adapters/postgres/cluster-view.js';
import type { ClusterLeader, ClusterRead, ClusterView, ClusterWatch, NodeState } from '../../../src/ports/cluster.js';

const LEADER: HeldRole = { role: 'leader', epoch: 4 };
const FOLLOWER: HeldRole = { role: 'follower' };
const read = (ownNode: NodeState, latest: ClusterRead['latest']): ClusterRead => ({ ownNode, latest });

describe('decideRole', () => {
  it('takes over when its own node is the writable primary, whoever the latest takeover names', () => {
    expect(decideRole(read('primary', { epoch: 3, node: 'hub-b:8766' }), FOLLOWER)).toBe('take_over');
    expect(decideRole(read('primary', { epoch: 0, node: null }), FOLLOWER)).toBe('take_over');
    // A restart of this hub: its previous run's epoch is fenced by a new one.
    expect(decideRole(read('primary', { epoch: 3, node: 'hub-a:8766' }), FOLLOWER)).toBe('take_over');
  });

  it('follows while its node is a standby, cannot commit, or does not answer, or nothing answers', () => {
    expect(decideRole(read('standby', { epoch: 3, node: 'hub-b:8766' }), FOLLOWER)).toBe('follow');
    // An undemoted old primary: taking over (through the other node) would fence the real leader, again and again.
    expect(decideRole(read('primary_cannot_commit', { epoch: 3, node: 'hub-b:8766' }), FOLLOWER)).toBe('follow');
    expect(decideRole(read('unreachable', { epoch: 3, node: 'hub-b:8766' }), FOLLOWER)).toBe('follow');
    expect(decideRole(read('unreachable', null), FOLLOWER)).toBe('follow');
  });

  it('keeps leading on its own epoch, also while its node misses a probe or nothing answers', () => {
    expect(decideRole(read('primary', { epoch: 4, node: 'hub-a:8766' }), LEADER)).toBe('lead');
    expect(decideRole(read('unreachable', { epoch: 4, node: 'hub-a:8766' }), LEADER)).toBe('lead');
    expect(decideRole(read('unreachable', null), LEADER)).toBe('lead');
    // Its standby just went away: pg_auto_failover drops it (wait_primary) or demotes the node; no flap on it.
    expect(decideRole(read('primary_cannot_commit', { epoch: 4, node: 'hub-a:8766' }), LEADER)).toBe('lead');
    // A standby that has not replayed the latest takeover shows an older one: not a reason to step down.
    expect(decideRole(read('unreachable', { epoch: 2, node: 'hub-b:8766' }), LEADER)).toBe('lead');
  });

  it('demotes on a newer takeover, or when its node became a standby', () => {
    expect(decideRole(read('primary', { epoch: 5, node: 'hub-b:8766' }), LEADER)).toBe('demote');
    expect(decideRole(read('unreachable', { epoch: 5, node: 'hub-b:8766' }), LEADER)).toBe('demote');
    expect(decideRole(read('standby', { epoch: 4, node: 'hub-a:8766' }), LEADER)).toBe('demote');
  });
});

/** A cluster watch the test drives: each emit is one read. */
function fakeWatch(initial: ClusterView) {
  let view = initial;
  const reads: ((r: ClusterRead) => void)[] = [];
  const updates: ((v: ClusterView) => void)[] = [];
  const watch: ClusterWatch = {
    current: () => view,
    onChange: () => undefined,
    onUpdate: (l) => void updates.push(l),
    onRead: (l) => void reads.push(l),
    start: async () => undefined,
    stop: async () => undefined,
  };
  return {
    watch,
    emit(next: ClusterRead, nextView: Partial<ClusterView> = {}) {
      view = { ...view, ...nextView };
      for (const u of updates) u(view);
      for (const r of reads) r(next);
    },
  };
}

/** Promotions and demotions the test resolves by hand. */
function fakeActions() {
  const calls: string[] = [];
  let resolvePromote: (epoch: number) => void = () => undefined;
  let rejectPromote: (error: Error) => void = () => undefined;
  const demotions: Array<ClusterLeader | null> = [];
  return {
    calls,
    demotions,
    resolvePromote: (epoch: number) => resolvePromote(epoch),
    rejectPromote: (error: Error) => rejectPromote(error),
    actions: {
      promote: (hubId: string) => {
        calls.push(`promote ${hubId}`);
        return new Promise<number>((resolve, reject) => {
          resolvePromote = resolve;
          rejectPromote = reject;
        });
      },
      demote: async (leader: ClusterLeader | null) => {
        calls.push('demote');
        demotions.push(leader);
      },
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const followerOfB: ClusterView = {
  role: 'follower',
  epoch: 3,
  leader: { url: 'ws://hub-b:8766/', epoch: 3 },
  replication: null,
};

function setup() {
  const fake = fakeWatch(followerOfB);
  const acts = fakeActions();
  const changes: ClusterView[] = [];
  const leadership = createLeadership({
    watch: fake.watch,
    hubId: () => 'hub-a:8766',
    actions: acts.actions,
    log: createLogger({ level: 'silent' }),
  });
  leadership.onChange((v) => changes.push(v));
  return { fake, acts, leadership, changes };
}

describe('the leadership loop', () => {
  it('takes over only once enabled, and shows itself leader only after the promotion resolved', async () => {
    const { fake, acts, leadership, changes } = setup();
    await leadership.start();
    fake.emit(read('primary', { epoch: 3, node: 'hub-b:8766' }));
    expect(acts.calls).toEqual([]);
    expect(leadership.current()).toEqual({ ...followerOfB, ownNode: 'primary' });

    // Enabled, it decides at once on the last read (the hub listens: its id names its port).
    const enabled = leadership.enable();
    expect(acts.calls).toEqual(['promote hub-a:8766']);
    // Reads while the promotion runs start nothing more, and the role is still follower.
    fake.emit(read('primary', { epoch: 3, node: 'hub-b:8766' }));
    expect(acts.calls).toEqual(['promote hub-a:8766']);
    expect(leadership.current().role).toBe('follower');

    acts.resolvePromote(5);
    await enabled;
    expect(leadership.held()).toEqual({ role: 'leader', epoch: 5 });
    expect(leadership.current()).toEqual({
      role: 'leader',
      epoch: 5,
      leader: { url: 'ws://hub-a:8766/', epoch: 5 },
      replication: null,
      ownNode: 'primary',
    });
    expect(changes.map((v) => v.role)).toEqual(['leader']);
    // The watch catching up with our own takeover changes nothing a terminal sees.
    fake.emit(read('primary', { epoch: 5, node: 'hub-a:8766' }), {
      role: 'leader',
      epoch: 5,
      leader: { url: 'ws://hub-a:8766/', epoch: 5 },
    });
    expect(acts.calls).toEqual(['promote hub-a:8766']);
    expect(changes).toHaveLength(1);
  });

  it('stays a follower when the takeover fails, and tries again at the next read', async () => {
    const { fake, acts, leadership } = setup();
    await leadership.enable();
    fake.emit(read('primary', { epoch: 3, node: 'hub-b:8766' }));
    acts.rejectPromote(new Error('no read-write postgres host'));
    await settle();
    expect(leadership.held()).toEqual({ role: 'follower' });
    fake.emit(read('primary', { epoch: 3, node: 'hub-b:8766' }));
    expect(acts.calls).toEqual(['promote hub-a:8766', 'promote hub-a:8766']);
  });

  it('demotes at once when a commit is fenced, naming the new leader, and follows', async () => {
    const { fake, acts, leadership, changes } = setup();
    await leadership.enable();
    fake.emit(read('primary', { epoch: 3, node: 'hub-b:8766' }));
    acts.resolvePromote(5);
    await settle();
    // Hub B took over (epoch 6); the watch has read it, and our writer's next commit was refused.
    fake.emit(read('unreachable', null), { epoch: 6, leader: { url: 'ws://hub-b:8766/', epoch: 6 } });
    leadership.fenced(6);
    await settle();
    expect(leadership.held()).toEqual({ role: 'follower' });
    expect(acts.demotions).toEqual([{ url: 'ws://hub-b:8766/', epoch: 6 }]);
    expect(leadership.current()).toMatchObject({ role: 'follower', epoch: 6, leader: { url: 'ws://hub-b:8766/' } });
    expect(changes.map((v) => v.role)).toEqual(['leader', 'follower']);
    // A fence naming an epoch not newer than ours (a late report) does not demote a leader.
    fake.emit(read('primary', { epoch: 6, node: 'hub-b:8766' }));
    acts.resolvePromote(7);
    await settle();
    leadership.fenced(6);
    await settle();
    expect(leadership.held()).toEqual({ role: 'leader', epoch: 7 });
  });

  it('demotes when its node becomes a standby, and when a newer takeover is read', async () => {
    const { fake, acts, leadership } = setup();
    await leadership.enable();
    fake.emit(read('primary', { epoch: 3, node: 'hub-b:8766' }));
    acts.resolvePromote(5);
    await settle();
    fake.emit(read('standby', { epoch: 5, node: 'hub-a:8766' }), { epoch: 5, leader: { url: 'ws://hub-a:8766/', epoch: 5 } });
    await settle();
    expect(leadership.held()).toEqual({ role: 'follower' });
    // A follower whose latest takeover names itself knows no leader to send terminals to.
    expect(leadership.current().leader).toBeNull();
    fake.emit(read('primary', { epoch: 5, node: 'hub-a:8766' }));
    acts.resolvePromote(6);
    await settle();
    fake.emit(read('primary', { epoch: 7, node: 'hub-b:8766' }));
    await settle();
    expect(leadership.held()).toEqual({ role: 'follower' });
    expect(acts.calls).toEqual(['promote hub-a:8766', 'demote', 'promote hub-a:8766', 'demote']);
  });

  it('demotes right after a takeover that a newer one overtook while it reloaded', async () => {
    const { fake, acts, leadership } = setup();
    await leadership.enable();
    fake.emit(read('primary', { epoch: 3, node: 'hub-b:8766' }));
    leadership.fenced(8);
    acts.resolvePromote(5);
    await settle();
    expect(leadership.held()).toEqual({ role: 'follower' });
    expect(acts.calls).toEqual(['promote hub-a:8766', 'demote']);
  });
});

describe('readFromProbes', () => {
  const ok = (port: number, inRecovery: boolean, epoch: number, node: string | null, canCommit = true) =>
    ({
      host: '10.0.0.11',
      port,
      ok: true,
      inRecovery,
      replication: null,
      replayBacklogBytes: null,
      takeover: { epoch, node },
      synchronousStandbyNames: canCommit ? '' : 'ANY 1 (pgautofailover_standby_2)',
      canCommit,
    }) as const;
  it('finds its own node by host:port and the latest takeover any node shows', () => {
    const probes = [ok(5432, false, 6, 'hub-b:8766'), ok(5433, true, 5, 'hub-a:8766')];
    expect(readFromProbes(probes, '10.0.0.11:5432')).toEqual({ ownNode: 'primary', latest: { epoch: 6, node: 'hub-b:8766' } });
    expect(readFromProbes(probes, '10.0.0.11:5433')).toEqual({ ownNode: 'standby', latest: { epoch: 6, node: 'hub-b:8766' } });
    const down = { host: '10.0.0.11', port: 5432, ok: false, error: 'ECONNREFUSED' } as const;
    expect(readFromProbes([down, ok(5433, true, 5, 'hub-a:8766')], '10.0.0.11:5432')).toEqual({
      ownNode: 'unreachable',
      latest: { epoch: 5, node: 'hub-a:8766' },
    });
    expect(readFromProbes([down], '10.0.0.11:5432')).toEqual({ ownNode: 'unreachable', latest: null });
  });

  it('reads a node out of recovery that cannot commit (an undemoted old primary) apart from the primary', () => {
    const probes = [ok(5432, false, 6, 'hub-a:8766', false), ok(5433, false, 7, 'hub-b:8766')];
    expect(readFromProbes(probes, '10.0.0.11:5432')).toEqual({ ownNode: 'primary_cannot_commit', latest: { epoch: 7, node: 'hub-b:8766' } });
    expect(readFromProbes(probes, '10.0.0.11:5433').ownNode).toBe('primary');
  });

  it('does not count a cut-off old primary that cannot commit as its primary while another node was promoted', () => {
    // node 5432 cut off from its standby and the monitor, never demoted: out of recovery, its synchronous
    // standby gone; 5433 promoted and took writes (hub-b, epoch 7). Seen as primary, hub-a took over
    // through the store on 5433, was fenced by hub-b, took over again: the lead traded every ~2 s.
    const probes = [ok(5432, false, 6, 'hub-a:8766', false), ok(5433, false, 7, 'hub-b:8766')];
    const read = readFromProbes(probes, '10.0.0.11:5432');
    expect(read).toEqual({ ownNode: 'primary_cannot_commit', latest: { epoch: 7, node: 'hub-b:8766' } });
    expect(decideRole(read, FOLLOWER)).toBe('follow');
    expect(readFromProbes(probes, '10.0.0.11:5433').ownNode).toBe('primary');
  });
});
