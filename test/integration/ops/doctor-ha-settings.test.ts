/**
 * `pos-hub doctor` on a data node hub names the settings an HA hub needs (src/cli/doctor-ha-settings.ts):
 * HUB_PG_NODE not set (the hub would lead by HUB_PG_URL's first host, another box's node on hub B) or not
 * this box's address, and HUB_PG_MONITOR_URL not set (no failover request) — each a WARN with its fix line —
 * and doctor reads the monitor from HUB_PG_MONITOR_URL when --monitor is not given.
 */
import { describe, expect, it } from 'vitest';
import { doctorCommand } from '../../../src/cli/doctor.js';
import { checkHaSettings, haSettingsVerdicts, isLocalAddress } from '../../../src/cli/doctor-ha-settings.js';
import { freePort } from '../../helpers/pg-server.js';

const text = (lines: { status: string; detail: string }[]) => lines.map((l) => `${l.status} ${l.detail}`);

describe('doctor: an HA hub\'s own settings', () => {
  it('passes an explicit HUB_PG_NODE on this box with a monitor URL, and says nothing else', () => {
    const out = haSettingsVerdicts({
      pgNodeSet: 'hub-b:5432',
      pgNode: 'hub-b:5432',
      monitorUrlSet: true,
      nodeAddress: { address: '10.0.0.12', local: true },
    });
    expect(text(out)).toEqual(["PASS HUB_PG_NODE hub-b:5432 is this box's own data node (10.0.0.12)"]);
  });

  it('warns, with the fix, when HUB_PG_NODE is unset, points at another box, or does not resolve', () => {
    const unset = text(
      haSettingsVerdicts({ pgNodeSet: '', pgNode: 'hub-a:5432', monitorUrlSet: true, nodeAddress: { address: '10.0.0.11', local: false } }),
    );
    expect(unset).toHaveLength(2);
    expect(unset[0]).toMatch(/^WARN HUB_PG_NODE is not set: this hub takes hub-a:5432 .*Fix: HUB_PG_NODE=<this box's name>:5432/);
    expect(unset[1]).toMatch(/^WARN HUB_PG_NODE hub-a:5432 \(10\.0\.0\.11\) is not an address of this box.*Fix:/);
    const unresolved = text(
      haSettingsVerdicts({ pgNodeSet: 'hub-b:5432', pgNode: 'hub-b:5432', monitorUrlSet: true, nodeAddress: { error: 'ENOTFOUND hub-b' } }),
    );
    expect(unresolved).toEqual([expect.stringMatching(/^WARN HUB_PG_NODE hub-b:5432: hub-b does not resolve here .*\/etc\/hosts/)]);
  });

  it('warns, with the fix, when HUB_PG_MONITOR_URL is unset', () => {
    const out = text(
      haSettingsVerdicts({ pgNodeSet: 'hub-a:5432', pgNode: 'hub-a:5432', monitorUrlSet: false, nodeAddress: { address: '127.0.0.1', local: true } }),
    );
    expect(out).toContainEqual(expect.stringMatching(/^WARN HUB_PG_MONITOR_URL is not set: .*will not ask for a failover\. Fix: HUB_PG_MONITOR_URL=postgres:\/\/autoctl_node:/));
  });

  it('resolves the node and knows this box\'s addresses', async () => {
    expect(isLocalAddress('127.0.0.1')).toBe(true);
    expect(isLocalAddress('192.0.2.77', { eth0: [{ address: '192.0.2.77' } as never] })).toBe(true);
    expect(isLocalAddress('192.0.2.78', { eth0: [{ address: '192.0.2.77' } as never] })).toBe(false);
    const out = await checkHaSettings({ HUB_PG_NODE: 'hub-b:5432' }, { HUB_PG_NODE: 'hub-b:5432', HUB_PG_MONITOR_URL: '' }, async (host) => {
      expect(host).toBe('hub-b');
      return '198.51.100.9';
    });
    expect(text(out)[0]).toMatch(/^WARN HUB_PG_NODE hub-b:5432 \(198\.51\.100\.9\) is not an address of this box/);
  });
});

describe('pos-hub doctor with HUB_STORE=postgres', () => {
  it('names the missing HUB_PG_NODE and reads the monitor from HUB_PG_MONITOR_URL', async () => {
    const [pg, monitor] = [await freePort(), await freePort()];
    const run = async (env: Record<string, string>): Promise<string[]> => {
      const lines: string[] = [];
      await doctorCommand(
        ['--skip-odoo'],
        {
          env: {
            HUB_DEV_AUTH: 'true',
            HUB_HOST: '127.0.0.1',
            HUB_HTTP_PORT: '0',
            HUB_MDNS_ENABLED: 'false',
            HUB_STORE: 'postgres',
            HUB_PG_URL: `postgres://poshub:pw@127.0.0.1:${pg}/poshub?target_session_attrs=read-write`,
            ...env,
          },
          out: (l) => lines.push(l),
          err: (l) => lines.push(l),
        },
        '/nonexistent',
      );
      return lines.filter((l) => /^\S+\s+cluster\s/.test(l));
    };
    const bare = await run({});
    expect(bare).toContainEqual(expect.stringMatching(/^WARN\s+cluster\s+HUB_PG_NODE is not set: this hub takes 127\.0\.0\.1:\d+/));
    expect(bare).toContainEqual(expect.stringMatching(/^WARN\s+cluster\s+HUB_PG_MONITOR_URL is not set/));
    expect(bare).toContainEqual(expect.stringMatching(/^WARN\s+cluster\s+monitor not checked: set HUB_PG_MONITOR_URL/));

    const set = await run({
      HUB_PG_NODE: `127.0.0.1:${pg}`,
      HUB_PG_MONITOR_URL: `postgres://autoctl_node:pw@127.0.0.1:${monitor}/pg_auto_failover`,
    });
    expect(set).toContainEqual(expect.stringMatching(new RegExp(`^PASS\\s+cluster\\s+HUB_PG_NODE 127\\.0\\.0\\.1:${pg} is this box's own data node`)));
    expect(set.some((l) => /HUB_PG_MONITOR_URL is not set|monitor not checked/.test(l))).toBe(false);
    expect(set).toContainEqual(expect.stringMatching(new RegExp(`^FAIL\\s+cluster\\s+monitor does not answer: .*127\\.0\\.0\\.1:${monitor}`)));
  });
});
