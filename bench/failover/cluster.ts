/**
 * The failover suite's cluster: the pg_auto_failover monitor and two nodes of scripts/ha/cluster.sh
 * (`up-proxied`), with every link between the three passing through a LinkProxy of ours, so a fault can cut
 * or degrade one link while the drivers (the hubs' side) still reach each node directly on 127.0.0.1.
 * Links: `to-node1` (127.0.0.11, what the monitor and node2 dial for node1), `to-node2` (127.0.0.12),
 * `node1-monitor` and `node2-monitor` (each keeper's own way to the monitor).
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, postgresOwnedDir } from '../../test/helpers/pg-server.js';
import { LinkProxy, type LinkMode } from './proxy.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/ha/cluster.sh', import.meta.url));
/** initdb of three servers and a base backup through the proxy: ~40–60 s on a loaded 2-core box; two
 *  creations at once (the two integration workers) take several times that, so the limit allows for it. */
const UP_LIMIT_MS = 270_000;

export type NodeName = 'node1' | 'node2';
export type Member = NodeName | 'monitor';
export type LinkName = 'to-node1' | 'to-node2' | 'node1-monitor' | 'node2-monitor';
export const LINKS: readonly LinkName[] = ['to-node1', 'to-node2', 'node1-monitor', 'node2-monitor'];

/** The links that carry a node's traffic with its peers (what a partition of that node cuts). */
export function linksOf(node: NodeName): readonly LinkName[] {
  return node === 'node1' ? ['to-node1', 'node1-monitor'] : ['to-node2', 'node2-monitor'];
}

export const otherNode = (node: NodeName): NodeName => (node === 'node1' ? 'node2' : 'node1');

export interface FailoverCluster {
  readonly base: string;
  /** Both nodes, direct, read-write first: what a hub is given (HUB_PG_URL). */
  readonly url: string;
  /** The monitor, direct (HUB_PG_MONITOR_URL): the hubs check a commit made alone with it. */
  readonly monitorUrl: string;
  nodeUrl(node: NodeName): string;
  nodePort(node: NodeName): number;
  /** The node the monitor has settled as writable, or null while none is. */
  primary(): Promise<NodeName | null>;
  /** The monitor's view, one `name|port|reported|goal` line per node. */
  state(): Promise<string>;
  /** scripts/ha/cluster.sh verbs: kill (postmaster), stop (whole group), start, freeze, thaw. */
  act(verb: 'kill' | 'stop' | 'start' | 'freeze' | 'thaw', member: Member): Promise<void>;
  switchover(): Promise<void>;
  /** Start every member whose process group is gone (a killed node, or a keeper that gave up starting). */
  ensureRunning(): Promise<Member[]>;
  link(name: LinkName, mode: LinkMode): void;
  healLinks(): void;
  close(): Promise<void>;
}

async function script(args: readonly string[], timeoutMs = 30_000): Promise<string> {
  const { stdout } = await run('bash', [SCRIPT, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL' });
  return stdout.trim();
}

/** Three consecutive ports free on 127.0.0.1 (monitor, node1, node2) and on the two node addresses. */
async function freePortRun(): Promise<number> {
  const { createServer } = await import('node:net');
  const taken = (port: number, host: string): Promise<boolean> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(true));
      server.listen(port, host, () => server.close(() => resolve(false)));
    });
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await freePort();
    if (first > 65_000) continue;
    const checks = await Promise.all([
      taken(first + 1, '127.0.0.1'),
      taken(first + 2, '127.0.0.1'),
      taken(first + 1, '127.0.0.11'),
      taken(first + 2, '127.0.0.12'),
    ]);
    if (!checks.includes(true)) return first;
  }
  throw new Error('no three consecutive free ports on loopback');
}

/** Whether the member's pg_autoctl process group (cluster.sh writes its id to BASE/member.pid) still runs. */
function groupAlive(base: string, member: Member): boolean {
  try {
    const pgid = Number(readFileSync(`${base}/${member}.pid`, 'utf8').trim());
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Until the monitor answers (bounded). */
export async function waitMonitor(base: string, limitMs = 60_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    try {
      await script(['state', base]);
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export async function startFailoverCluster(settings: 'tuned' | 'default'): Promise<FailoverCluster> {
  const base = postgresOwnedDir('pos-hub-failover-');
  const port0 = await freePortRun();
  const nodePort = (node: NodeName): number => port0 + (node === 'node1' ? 1 : 2);
  const proxies = new Map<LinkName, LinkProxy>([
    ['to-node1', new LinkProxy({ name: 'to-node1', listen: { host: '127.0.0.11', port: nodePort('node1') }, target: { host: '127.0.0.1', port: nodePort('node1') } })],
    ['to-node2', new LinkProxy({ name: 'to-node2', listen: { host: '127.0.0.12', port: nodePort('node2') }, target: { host: '127.0.0.1', port: nodePort('node2') } })],
    ['node1-monitor', new LinkProxy({ name: 'node1-monitor', listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: port0 } })],
    ['node2-monitor', new LinkProxy({ name: 'node2-monitor', listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: port0 } })],
  ]);
  const proxy = (name: LinkName): LinkProxy => {
    const p = proxies.get(name);
    if (p === undefined) throw new Error(`no link ${name}`);
    return p;
  };
  const close = async (): Promise<void> => {
    await script(['down', base]).catch(() => undefined);
    await Promise.all([...proxies.values()].map((p) => p.stop().catch(() => undefined)));
    rmSync(base, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
  };
  try {
    for (const p of proxies.values()) await p.start();
    await script(
      ['up-proxied', base, String(port0), settings, String(proxy('node1-monitor').port), String(proxy('node2-monitor').port)],
      UP_LIMIT_MS,
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    base,
    url: `postgres://postgres@127.0.0.1:${nodePort('node1')},127.0.0.1:${nodePort('node2')}/postgres?target_session_attrs=read-write`,
    monitorUrl: `postgres://autoctl_node@127.0.0.1:${port0}/pg_auto_failover`,
    nodeUrl: (node) => `postgres://postgres@127.0.0.1:${nodePort(node)}/postgres`,
    nodePort,
    async primary() {
      const name = await script(['primary', base]);
      return name === 'node1' || name === 'node2' ? name : null;
    },
    state: () => script(['state', base]),
    async act(verb, member) {
      await script([verb, base, member]);
    },
    async switchover() {
      await script(['switchover', base], 90_000);
    },
    async ensureRunning() {
      const started: Member[] = [];
      for (const member of ['monitor', 'node1', 'node2'] as const)
        if (!groupAlive(base, member)) {
          await script(['start', base, member]);
          started.push(member);
          // A keeper gives up when its monitor does not answer at start: wait for the monitor first.
          if (member === 'monitor') await waitMonitor(base);
        }
      return started;
    },
    link: (name, mode) => proxy(name).set(mode),
    healLinks() {
      for (const p of proxies.values()) p.set({ kind: 'open' });
    },
    close,
  };
}
