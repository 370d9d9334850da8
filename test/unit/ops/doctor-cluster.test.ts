/**
 * The doctor's cluster verdicts (src/cli/doctor-cluster.ts) from what the data nodes and the monitor
 * answered: the states a real cluster only reaches after a fault — two writable primaries, a primary with
 * no standby or an asynchronous one, a lag beyond the warning, an unknown lag, a monitor mid-change.
 */
import { describe, expect, it } from 'vitest';
import type { NodeProbe } from '../../../src/adapters/postgres/cluster-view.js';
import { clusterVerdicts, LAG_WARN_BYTES, type MonitorRead } from '../../../src/cli/doctor-cluster.js';

const primary = (over: Partial<Extract<NodeProbe, { ok: true }>> = {}): NodeProbe => ({
  host: 'hub-a',
  port: 5432,
  ok: true,
  inRecovery: false,
  replication: { lagBytes: 0, syncState: 'quorum', standbys: 1 },
  replayBacklogBytes: null,
  takeover: { epoch: 3, node: 'hub-a.local:8766' },
  synchronousStandbyNames: 'ANY 1 (pgautofailover_standby_2)',
  canCommit: true,
  ...over,
});
const standby: NodeProbe = {
  host: 'hub-b',
  port: 5432,
  ok: true,
  inRecovery: true,
  replication: null,
  replayBacklogBytes: 0,
  takeover: { epoch: 3, node: 'hub-a.local:8766' },
  synchronousStandbyNames: '',
  canCommit: true,
};
const settled: MonitorRead = {
  kind: 'nodes',
  nodes: [
    { name: 'hub-a', host: 'hub-a', port: 5432, reported: 'primary', goal: 'primary' },
    { name: 'hub-b', host: 'hub-b', port: 5432, reported: 'secondary', goal: 'secondary' },
  ],
};
const statuses = (lines: { status: string; detail: string }[]) => lines.map((l) => `${l.status} ${l.detail}`);

describe('doctor cluster verdicts', () => {
  it('passes a settled primary with a synchronous standby', () => {
    const out = clusterVerdicts([primary(), standby], settled);
    expect(out.every((l) => l.status === 'PASS' && l.name === 'cluster')).toBe(true);
    expect(statuses(out)).toContain('PASS replication lag 0 B');
  });

  it('fails two writable primaries as a split brain', () => {
    const out = statuses(clusterVerdicts([primary(), primary({ host: 'hub-b' })], settled));
    expect(out).toContainEqual(
      expect.stringMatching(/^FAIL 2 writable primaries \(hub-a:5432, hub-b:5432\): split brain/),
    );
  });

  it('fails no primary, and says nothing of replication then', () => {
    const out = statuses(clusterVerdicts([standby], settled));
    expect(out).toContainEqual(expect.stringMatching(/^FAIL no writable primary/));
    expect(out.some((l) => l.includes('standby attached') || l.includes('lag'))).toBe(false);
  });

  it('fails commits that do not wait for the standby (wait_primary) and a primary without a standby', () => {
    const async = statuses(
      clusterVerdicts(
        [
          primary({ synchronousStandbyNames: '', replication: { lagBytes: 0, syncState: 'async', standbys: 1 } }),
          standby,
        ],
        settled,
      ),
    );
    expect(async).toContainEqual(expect.stringMatching(/^FAIL commits do not wait for a standby/));
    const alone = statuses(
      clusterVerdicts([primary({ replication: { lagBytes: null, syncState: null, standbys: 0 } }), standby], settled),
    );
    expect(alone).toContainEqual(expect.stringMatching(/^FAIL no standby is streaming/));
    const oneNode = statuses(
      clusterVerdicts([primary({ replication: { lagBytes: null, syncState: null, standbys: 0 } })], settled),
    );
    expect(oneNode).toContainEqual(expect.stringMatching(/^WARN HUB_PG_URL names one data node/));
  });

  it('warns a large lag and an unknown one, with what to do', () => {
    const far = statuses(
      clusterVerdicts(
        [primary({ replication: { lagBytes: LAG_WARN_BYTES + 1, syncState: 'sync', standbys: 1 } }), standby],
        settled,
      ),
    );
    expect(far).toContainEqual(expect.stringMatching(/^WARN standby replays 16\.0 MB behind/));
    const unknown = statuses(
      clusterVerdicts([primary({ replication: { lagBytes: null, syncState: 'sync', standbys: 1 } }), standby], settled),
    );
    expect(unknown).toContainEqual(expect.stringMatching(/^WARN replication lag unknown: grant .*pg_monitor/));
  });

  it('reports the monitor: not given, unreachable, changing, running alone', () => {
    expect(statuses(clusterVerdicts([primary(), standby], { kind: 'not-configured' }))).toContainEqual(
      expect.stringMatching(/^WARN monitor not checked/),
    );
    expect(
      statuses(clusterVerdicts([primary(), standby], { kind: 'unreachable', error: 'ECONNREFUSED' })),
    ).toContainEqual(expect.stringMatching(/^FAIL monitor does not answer: ECONNREFUSED/));
    const changing: MonitorRead = {
      kind: 'nodes',
      nodes: [
        { name: 'hub-a', host: 'hub-a', port: 5432, reported: 'primary', goal: 'wait_primary' },
        { name: 'hub-b', host: 'hub-b', port: 5432, reported: 'secondary', goal: 'catchingup' },
      ],
    };
    expect(statuses(clusterVerdicts([primary(), standby], changing))).toContainEqual(
      expect.stringMatching(
        /^WARN monitor: hub-a primary → wait_primary, hub-b secondary → catchingup — a state change is under way/,
      ),
    );
    const alone: MonitorRead = {
      kind: 'nodes',
      nodes: [{ name: 'hub-a', host: 'hub-a', port: 5432, reported: 'wait_primary', goal: 'wait_primary' }],
    };
    expect(statuses(clusterVerdicts([primary(), standby], alone))).toContainEqual(
      expect.stringMatching(/^WARN monitor: hub-a wait_primary — running without a second copy/),
    );
  });

  it('fails a data node that does not answer, naming it', () => {
    const out = statuses(
      clusterVerdicts([primary(), { host: 'hub-b', port: 5432, ok: false, error: 'timeout' }], settled),
    );
    expect(out).toContainEqual(expect.stringMatching(/^FAIL hub-b:5432 does not answer: timeout — is the node up/));
  });
});
