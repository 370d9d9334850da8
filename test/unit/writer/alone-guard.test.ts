/**
 * The check a Postgres hub makes before acking a commit that went through with no synchronous standby
 * (adapters/postgres/alone-guard.ts, docs/ha.md "A commit alone while the monitor promotes the standby"),
 * on fake monitor rows: the rows of the monitor-down-then-primary-killed loss must refuse the ack, a
 * primary that lost its standby (wait_primary, the standby catching up) must keep acking.
 */
import { describe, expect, it } from 'vitest';
import { AloneCommitInDoubtError, judgeAloneCommit, type MonitorNode } from '../../../src/adapters/postgres/alone-guard.js';
import { classifyPgError } from '../../../src/adapters/postgres/pg-fault.js';

const NODE1 = { host: '127.0.0.1', port: 6001 };
const NODE2 = { host: '127.0.0.1', port: 6002 };
const rows = (goal1: string, goal2: string): MonitorNode[] => [
  { nodeId: 1, ...NODE1, goal: goal1 },
  { nodeId: 2, ...NODE2, goal: goal2 },
];

describe('a commit made alone (synchronous_standby_names = \'\')', () => {
  it('is acked while this node is the primary and the other one is down or catching up', () => {
    expect(judgeAloneCommit(rows('wait_primary', 'catchingup'), NODE1)).toEqual({ ack: true });
    expect(judgeAloneCommit(rows('primary', 'catchingup'), NODE1)).toEqual({ ack: true });
    expect(judgeAloneCommit(rows('wait_primary', 'maintenance'), NODE1)).toEqual({ ack: true });
    expect(judgeAloneCommit([{ nodeId: 1, ...NODE1, goal: 'single' }], NODE1)).toEqual({ ack: true });
  });

  it('is acked on the node just promoted while the old primary is being demoted', () => {
    for (const old of ['draining', 'demote_timeout', 'demoted'])
      expect(judgeAloneCommit(rows(old, 'wait_primary'), NODE2)).toEqual({ ack: true });
  });

  it('is in doubt on the restarted old primary while the monitor promotes the standby (the loss of 2026-12-02)', () => {
    for (const promoting of ['report_lsn', 'fast_forward', 'prepare_promotion', 'stop_replication', 'wait_primary', 'primary']) {
      // The monitor has both moved: this node to be demoted, the other one to be the primary.
      const verdict = judgeAloneCommit(rows('demote_timeout', promoting), NODE1);
      expect(verdict.ack).toBe(false);
      // Even with this node's goal still writable (the monitor assigns goals one node at a time).
      const early = judgeAloneCommit(rows('primary', promoting), NODE1);
      expect(early).toEqual({ ack: false, why: `the monitor is making another node the primary: node 2 (127.0.0.1:6002) goal ${promoting}` });
    }
  });

  it('is in doubt when the monitor is demoting this node, whatever the other one does', () => {
    for (const goal of ['draining', 'demote_timeout', 'demoted', 'catchingup', 'secondary'])
      expect(judgeAloneCommit(rows(goal, 'catchingup'), NODE1).ack).toBe(false);
  });

  it('finds this node by a port only it has when the monitor registered another host name', () => {
    const registered: MonitorNode[] = [
      { nodeId: 1, host: '127.0.0.11', port: 6001, goal: 'demote_timeout' },
      { nodeId: 2, host: '127.0.0.12', port: 6002, goal: 'prepare_promotion' },
    ];
    expect(judgeAloneCommit(registered, NODE1).ack).toBe(false);
    expect(judgeAloneCommit(registered.map((n) => ({ ...n, goal: n.nodeId === 1 ? 'wait_primary' : 'catchingup' })), NODE1)).toEqual({ ack: true });
  });

  it('is in doubt when the monitor does not list this node unambiguously', () => {
    const sameport: MonitorNode[] = [
      { nodeId: 1, host: 'a.local', port: 5432, goal: 'wait_primary' },
      { nodeId: 2, host: 'b.local', port: 5432, goal: 'catchingup' },
    ];
    expect(judgeAloneCommit(sameport, { host: '10.0.0.1', port: 5432 }).ack).toBe(false);
    expect(judgeAloneCommit(sameport, { host: 'a.local', port: 5432 })).toEqual({ ack: true });
    expect(judgeAloneCommit([], NODE1).ack).toBe(false);
  });

  it('refuses as a commit in doubt: retried by mutation id, never acked', () => {
    const error = new AloneCommitInDoubtError('the monitor did not answer');
    expect(classifyPgError(error)).toBe('in_doubt');
    expect(error.message).toBe('commit in doubt: it went through with no synchronous standby and the monitor did not answer');
  });
});
