/**
 * The Postgres store's host choice (adapters/postgres/connection.ts chooseHost) on fake probe answers: a
 * cut-off old primary that its keeper never demoted stays out of recovery but cannot commit (its
 * synchronous standby is gone); the store must pass over it when another node is out of recovery, and
 * still use it when it is the only primary, since it may get its standby back (issue 18, docs/ha.md).
 */
import { describe, expect, it } from 'vitest';
import {
  chooseHost,
  hostOrder,
  type HostAnswer,
  type HostProbe,
  type PgHost,
} from '../../../src/adapters/postgres/connection.js';
import { isTimeout, CommitInDoubtError } from '../../../src/adapters/postgres/pg-fault.js';

const A: PgHost = { host: '127.0.0.1', port: 5001 };
const B: PgHost = { host: '127.0.0.1', port: 5002 };
const C: PgHost = { host: '127.0.0.1', port: 5003 };

const primary: HostProbe = { inRecovery: false, canCommit: true };
const stuckPrimary: HostProbe = { inRecovery: false, canCommit: false };
const standby: HostProbe = { inRecovery: true, canCommit: true };

type Answer = HostProbe | 'down';

/** Runs chooseHost over fake nodes; reports the host chosen, the hosts asked in order and those closed. */
async function choose(nodes: Map<PgHost, Answer>, avoid: PgHost | null = null) {
  const asked: number[] = [];
  const closed: number[] = [];
  const open = async (host: PgHost): Promise<HostAnswer<number>> => {
    asked.push(host.port);
    const answer = nodes.get(host);
    if (answer === undefined || answer === 'down') return { ok: false, reason: 'connect ECONNREFUSED' };
    return { ok: true, conn: host.port, probe: answer };
  };
  const chosen = await chooseHost([...nodes.keys()], avoid, open, async (port) => {
    closed.push(port);
  });
  return {
    chosen: chosen.host === null ? null : chosen.conn,
    reasons: chosen.host === null ? chosen.reasons : [],
    asked,
    closed,
  };
}

describe('read-write host choice', () => {
  it('takes the first primary that can commit, without asking the hosts after it', async () => {
    const r = await choose(
      new Map<PgHost, Answer>([
        [A, primary],
        [B, standby],
      ]),
    );
    expect(r).toMatchObject({ chosen: 5001, asked: [5001], closed: [] });
  });

  it('never takes a standby: after a failover, the promoted node', async () => {
    const r = await choose(
      new Map<PgHost, Answer>([
        [A, standby],
        [B, primary],
      ]),
    );
    expect(r).toMatchObject({ chosen: 5002, asked: [5001, 5002], closed: [5001] });
  });

  it('passes over a primary without its synchronous standby when another primary can commit', async () => {
    const r = await choose(
      new Map<PgHost, Answer>([
        [A, stuckPrimary],
        [B, primary],
      ]),
    );
    expect(r).toMatchObject({ chosen: 5002, asked: [5001, 5002], closed: [5001] });
  });

  it('still takes a primary without its synchronous standby when it is the only primary', async () => {
    const r = await choose(
      new Map<PgHost, Answer>([
        [A, stuckPrimary],
        [B, standby],
      ]),
    );
    expect(r).toMatchObject({ chosen: 5001, asked: [5001, 5002], closed: [5002] });
    const alone = await choose(
      new Map<PgHost, Answer>([
        [A, 'down'],
        [B, stuckPrimary],
      ]),
    );
    expect(alone).toMatchObject({ chosen: 5002, closed: [] });
  });

  it('of two primaries that cannot commit, keeps the first and closes the other', async () => {
    const r = await choose(
      new Map<PgHost, Answer>([
        [A, stuckPrimary],
        [B, stuckPrimary],
        [C, standby],
      ]),
    );
    expect(r).toMatchObject({ chosen: 5001, asked: [5001, 5002, 5003], closed: [5002, 5003] });
  });

  it('tries the host a commit timed out on last, and still takes it when nothing else fits', async () => {
    const both = await choose(
      new Map<PgHost, Answer>([
        [A, primary],
        [B, primary],
      ]),
      A,
    );
    expect(both).toMatchObject({ chosen: 5002, asked: [5002] });
    const onlyIt = await choose(
      new Map<PgHost, Answer>([
        [A, primary],
        [B, standby],
      ]),
      A,
    );
    expect(onlyIt).toMatchObject({ chosen: 5001, asked: [5002, 5001], closed: [5002] });
  });

  it("rejects with every host's reason when nothing is out of recovery", async () => {
    const r = await choose(
      new Map<PgHost, Answer>([
        [A, 'down'],
        [B, standby],
      ]),
    );
    expect(r.chosen).toBeNull();
    expect(r.reasons).toEqual(['127.0.0.1:5001: connect ECONNREFUSED', '127.0.0.1:5002 is a standby']);
    expect(r.closed).toEqual([5002]);
  });

  it('hostOrder moves only the avoided host, keeping the rest in the URL order', () => {
    expect(hostOrder([A, B, C], { ...B })).toEqual([A, C, B]);
    expect(hostOrder([A, B, C], null)).toEqual([A, B, C]);
  });
});

describe('which failures move the next connect away from the host', () => {
  it('a query timeout, directly or under a commit in doubt, and a cancelled statement', () => {
    expect(isTimeout(new Error('Query read timeout'))).toBe(true);
    expect(isTimeout(new CommitInDoubtError(new Error('Query read timeout')))).toBe(true);
    expect(isTimeout(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }))).toBe(
      true,
    );
  });

  it('not a lost connection or a refusal: the next connect finds out for itself', () => {
    expect(isTimeout(new CommitInDoubtError(new Error('Connection terminated unexpectedly')))).toBe(false);
    expect(isTimeout(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isTimeout(null)).toBe(false);
  });
});
