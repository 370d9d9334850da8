/**
 * `pos-hub doctor`'s checks of a data node hub's own settings (docs/ha.md "Who leads", "A leader hub that
 * keeps crashing"): HUB_PG_NODE must name this box's own data node — left unset, it is HUB_PG_URL's first
 * host, which on the second box is the other box's node — and HUB_PG_MONITOR_URL lets a follower ask for a
 * failover. Verdicts are pure; the one piece of I/O (is that node's address this box's?) is injected.
 */
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import type { CheckResult, CheckStatus } from './doctor-checks.js';

export interface HaSettings {
  /** HUB_PG_NODE as written in the env (empty: not set). */
  readonly pgNodeSet: string;
  /** The node the hub leads by, after the config's default (HUB_PG_URL's first host). */
  readonly pgNode: string;
  readonly monitorUrlSet: boolean;
  /** Where HUB_PG_NODE's host resolves and whether that is an address of this box, or why it did not resolve. */
  readonly nodeAddress: { readonly address: string; readonly local: boolean } | { readonly error: string };
}

const line = (status: CheckStatus, detail: string): CheckResult => ({ status, name: 'cluster', detail });

export function haSettingsVerdicts(s: HaSettings): CheckResult[] {
  const out: CheckResult[] = [];
  const host = s.pgNode.replace(/:\d+$/, '');
  if (s.pgNodeSet === '')
    out.push(
      line(
        'WARN',
        `HUB_PG_NODE is not set: this hub takes ${s.pgNode} (HUB_PG_URL's first host) for its own data node and leads while it is primary — right on that node's box only. Fix: HUB_PG_NODE=<this box's name>:5432 in /etc/pos-hub/env (install.sh --role writes it), then systemctl restart pos-hub`,
      ),
    );
  if ('error' in s.nodeAddress)
    out.push(line('WARN', `HUB_PG_NODE ${s.pgNode}: ${host} does not resolve here (${s.nodeAddress.error}) — add it to /etc/hosts on every box (docs/ha.md "Cabling and addresses")`));
  else if (!s.nodeAddress.local)
    out.push(
      line(
        'WARN',
        `HUB_PG_NODE ${s.pgNode} (${s.nodeAddress.address}) is not an address of this box: the hub leads by another box's node. Fix: HUB_PG_NODE=<this box's name>:5432 (fine only when hub and node are containers of one host, deploy/compose.ha.yml)`,
      ),
    );
  else if (s.pgNodeSet !== '') out.push(line('PASS', `HUB_PG_NODE ${s.pgNode} is this box's own data node (${s.nodeAddress.address})`));
  if (!s.monitorUrlSet)
    out.push(
      line(
        'WARN',
        'HUB_PG_MONITOR_URL is not set: if the leader hub stops serving or crash-loops while its database is fine, this hub (as follower) will not ask for a failover. Fix: HUB_PG_MONITOR_URL=postgres://autoctl_node:PASSWORD@witness:5432/pg_auto_failover in /etc/pos-hub/env (install.sh --role writes it)',
      ),
    );
  return out;
}

/** Whether an address belongs to this machine (loopback counts). */
export function isLocalAddress(address: string, interfaces = networkInterfaces()): boolean {
  if (address.startsWith('127.') || address === '::1') return true;
  return Object.values(interfaces).some((list) => (list ?? []).some((i) => i.address === address));
}

/** Reads what haSettingsVerdicts needs: the env's own HUB_PG_NODE, the configured one, and where it points. */
export async function checkHaSettings(
  env: Readonly<Record<string, string | undefined>>,
  config: { readonly HUB_PG_NODE: string; readonly HUB_PG_MONITOR_URL: string },
  resolve: (host: string) => Promise<string> = async (host) => (await lookup(host)).address,
): Promise<CheckResult[]> {
  const host = config.HUB_PG_NODE.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  let nodeAddress: HaSettings['nodeAddress'];
  try {
    const address = await resolve(host);
    nodeAddress = { address, local: isLocalAddress(address) };
  } catch (error) {
    nodeAddress = { error: error instanceof Error ? error.message : String(error) };
  }
  return haSettingsVerdicts({
    pgNodeSet: (env.HUB_PG_NODE ?? '').trim(),
    pgNode: config.HUB_PG_NODE,
    monitorUrlSet: config.HUB_PG_MONITOR_URL !== '',
    nodeAddress,
  });
}
