/**
 * The `pos-hub stats` table and the CLI's argument parsing, as pure functions: durations, "ago",
 * a reference hub's eight-field /health (dashes for the rest), and option errors that name the option.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/cli/args.js';
import { UsageError } from '../../../src/cli/io.js';
import { STALE_SYNC_MS, formatHealth, healthProblems } from '../../../src/cli/stats.js';

const NOW = Date.parse('2026-11-23T18:00:00.000Z');

describe('formatHealth', () => {
  it('prints every field of our /health with readable durations', () => {
    const lines = formatHealth(
      'http://127.0.0.1:8766',
      {
        status: 'degraded',
        uptime: 93_784,
        connectedTerminals: 4,
        activeLeases: 2,
        orders: 128,
        pendingForward: 3,
        totalForwarded: 125,
        lastOdooSync: '2026-11-23T17:58:55.500Z',
        deadLetters: 1,
        odooReachable: false,
        uws: 'native',
        shards: 1,
        activeLocks: 1,
        seq: 5120,
        version: '0.1.0',
        cluster: {
          role: 'follower',
          epoch: 7,
          leader: { url: 'ws://hub-a.local:8766/', epoch: 7 },
          replication: { lagBytes: 0, syncState: 'async', standbys: 1 },
        },
      },
      NOW,
    );
    expect(lines).toEqual([
      'POS Hub at http://127.0.0.1:8766',
      '! Status               degraded',
      '  Version              0.1.0',
      '  Uptime               1d 02h 03m',
      '  Connected terminals  4',
      '  Active leases        2',
      '  Table locks          1',
      '  Orders               128',
      '  Pending to Odoo      3',
      '  Forwarded to Odoo    125',
      '! Dead letters         1',
      '  Last Odoo sync       2026-11-23 17:58:55Z (1m 04s ago)',
      '! Odoo reachable       no',
      '  uWS                  native',
      '  Shards               1',
      '  Event seq            5120',
      '  Role                 follower, epoch 7 (leader ws://hub-a.local:8766/)',
      '! Replication          1 standby, async, lag 0 B',
      '',
      '4 problems:',
      '! status is degraded, not ok: read the hub log (journalctl -u pos-hub)',
      '! 1 dead letter: order Odoo refused for good and will not retry; see the dashboard (docs/operations.md)',
      '! Odoo is unreachable: finalizations queue and only cached terminal sessions sign in',
      '! the standby is async, not synchronous: an acked write may be lost with the primary (pos-hub doctor)',
    ]);
  });

  it("shows a reference hub (the seed's eight fields) with dashes for what it lacks", () => {
    const lines = formatHealth(
      'http://hub:8766',
      {
        status: 'ok',
        uptime: 5,
        connectedTerminals: 0,
        activeLeases: 0,
        orders: 0,
        pendingForward: 0,
        totalForwarded: 0,
        lastOdooSync: null,
      },
      NOW,
    );
    expect(lines).toContain('  Uptime               5s');
    expect(lines).toContain('  Last Odoo sync       never');
    expect(lines).toContain('  uWS                  -');
    expect(lines).toContain('  Dead letters         -');
  });
});

describe('parseArgs', () => {
  it('reads flags, --name value and --name=value', () => {
    const args = parseArgs(['--json', '--url', 'http://a', '--token=x=y', 'extra'], {
      flags: ['json'],
      values: ['url', 'token'],
    });
    expect([...args.flags]).toEqual(['json']);
    expect(Object.fromEntries(args.values)).toEqual({ url: 'http://a', token: 'x=y' });
    expect(args.positional).toEqual(['extra']);
  });

  it('rejects unknown options and missing values by name', () => {
    expect(() => parseArgs(['--jsn'], { flags: ['json'] })).toThrow(new UsageError('unknown option --jsn'));
    expect(() => parseArgs(['--url'], { values: ['url'] })).toThrow(new UsageError('--url needs a value'));
    expect(() => parseArgs(['--url', '--json'], { flags: ['json'], values: ['url'] })).toThrow(
      new UsageError('--url needs a value'),
    );
  });
});

describe('healthProblems: what pos-hub stats marks', () => {
  const healthy = {
    status: 'ok',
    uptime: 7200,
    pendingForward: 0,
    deadLetters: 0,
    odooReachable: true,
    lastOdooSync: '2026-11-23T17:58:00.000Z',
  };

  it('finds nothing on a healthy hub and prints no problem list', () => {
    expect(healthProblems(healthy, NOW)).toEqual([]);
    expect(formatHealth('http://hub:8766', healthy, NOW).some((line) => line.startsWith('!'))).toBe(false);
  });

  it('marks dead letters, a stale Odoo sync, Odoo unreachable and a degraded status, and lists each', () => {
    const lines = formatHealth(
      'http://hub:8766',
      {
        ...healthy,
        status: 'degraded',
        deadLetters: 2,
        pendingForward: 3,
        odooReachable: false,
        lastOdooSync: '2026-11-23T17:45:00.000Z',
      },
      NOW,
    );
    expect(lines).toContain('! Status               degraded');
    expect(lines).toContain('! Dead letters         2');
    expect(lines).toContain('! Odoo reachable       no');
    expect(lines.find((line) => line.startsWith('! Last Odoo sync'))).toContain('(15m 00s ago)');
    expect(lines.slice(lines.indexOf('4 problems:') + 1)).toEqual([
      '! status is degraded, not ok: read the hub log (journalctl -u pos-hub)',
      '! 2 dead letters: orders Odoo refused for good and will not retry; see the dashboard (docs/operations.md)',
      '! 3 orders waiting for Odoo and no successful sync for 15m 00s: check Odoo and the network (pos-hub doctor)',
      '! Odoo is unreachable: finalizations queue and only cached terminal sessions sign in',
    ]);
  });

  it('does not call a sync stale while nothing waits, or before STALE_SYNC_MS', () => {
    expect(healthProblems({ ...healthy, lastOdooSync: '2026-11-22T00:00:00.000Z' }, NOW)).toEqual([]);
    const recent = new Date(NOW - STALE_SYNC_MS + 1000).toISOString();
    expect(healthProblems({ ...healthy, pendingForward: 1, lastOdooSync: recent }, NOW)).toEqual([]);
    expect(
      healthProblems({ ...healthy, pendingForward: 1, lastOdooSync: null, uptime: 3600 }, NOW).map((p) => p.row),
    ).toEqual(['Last Odoo sync']);
  });
});
