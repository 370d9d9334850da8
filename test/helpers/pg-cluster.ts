/**
 * A pg_auto_failover cluster on loopback for tests and benchmarks, driven through scripts/ha/cluster.sh:
 * a monitor and two Postgres 15 nodes (node1 starts as primary, node2 as its synchronous standby), on three
 * consecutive free ports, under a temp dir the postgres user owns. Faults are the script's: kill (the
 * postmaster only; its keeper restarts it), stop (keeper and postmaster, as a machine losing power),
 * freeze/thaw (SIGSTOP: the node hangs without closing a socket, as behind a cut cable).
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, postgresOwnedDir } from './pg-server.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/ha/cluster.sh', import.meta.url));
/** Creating the monitor and both nodes (initdb, base backup) takes ~40 s on this 2-core box; two test files
 *  creating theirs at once (the two integration workers) take several times that, so the limit allows for it. */
const UP_LIMIT_MS = 270_000;

export type ClusterNode = 'node1' | 'node2';
export type FailoverSettings = 'default' | 'tuned';

export interface PgCluster {
  readonly base: string;
  /** Both nodes, read-write first: what the hub is given. */
  readonly url: string;
  /** One node only, for reading back from it. */
  nodeUrl(node: ClusterNode): string;
  /** The node the monitor has as primary, or null while there is none. */
  primary(): Promise<ClusterNode | null>;
  fault(kind: 'kill' | 'stop' | 'freeze' | 'thaw', node: ClusterNode): Promise<void>;
  state(): Promise<string>;
  close(): Promise<void>;
}

async function script(args: readonly string[], timeoutMs = 30_000): Promise<string> {
  const { stdout } = await run('bash', [SCRIPT, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL' });
  return stdout.trim();
}

/** Three consecutive ports free on loopback now. */
async function freePortRun(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await freePort();
    if (first > 65_000) continue;
    const taken = await Promise.all([first + 1, first + 2].map((p) => isTaken(p)));
    if (!taken.includes(true)) return first;
  }
  throw new Error('no three consecutive free ports on 127.0.0.1');
}

async function isTaken(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

export async function startPgCluster(settings: FailoverSettings): Promise<PgCluster> {
  const base = postgresOwnedDir('pos-hub-ha-');
  const port0 = await freePortRun();
  const close = async (): Promise<void> => {
    await script(['down', base]).catch(() => undefined);
    // Children of a killed postmaster may still be exiting (and writing) for a moment.
    rmSync(base, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
  };
  try {
    await script(['up', base, String(port0), settings], UP_LIMIT_MS);
  } catch (error) {
    await close();
    throw error;
  }
  const nodePort = (node: ClusterNode): number => port0 + (node === 'node1' ? 1 : 2);
  return {
    base,
    url: `postgres://postgres@127.0.0.1:${nodePort('node1')},127.0.0.1:${nodePort('node2')}/postgres?target_session_attrs=read-write`,
    nodeUrl: (node) => `postgres://postgres@127.0.0.1:${nodePort(node)}/postgres`,
    async primary() {
      const name = await script(['primary', base]);
      return name === 'node1' || name === 'node2' ? name : null;
    },
    async fault(kind, node) {
      await script([kind, base, node]);
    },
    state: () => script(['state', base]),
    close,
  };
}
