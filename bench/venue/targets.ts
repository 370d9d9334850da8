/**
 * Starting and stopping the servers under test, each as its own child process on 127.0.0.1 so its
 * CPU time and memory can be read from /proc: the pos-hub (src/main.ts), the bare uWS relay (transport
 * ceiling), the Socket.IO relay (peer), and the Odoo simulator the hub finalizes against.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HUB_LOGIN, HUB_PASSWORD, SIM_DB } from '../../src/odoo-sim/seed.js';
import { freePort, waitForHttp } from '../lib/proc.js';
import { variantLabel, type FloorVariant } from '../ceilings/floor-wire.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerHandle {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** ws:// URL terminals connect to (http:// for Socket.IO). */
  readonly url: string;
  readonly httpUrl: string;
  /** The hub's /health body at start (null for the others). */
  readonly health: Record<string, unknown> | null;
  readonly uwsNative: boolean | null;
  readonly alive: () => boolean;
  /**
   * Started with --expose-gc: a full GC of every thread of the server (SIGUSR2, src/adapters/gc/requested-gc.ts),
   * done asynchronously. Absent otherwise — the signal would then end the process.
   */
  readonly collectGarbage?: () => void;
  stop(): Promise<void>;
}

interface SpawnOptions {
  readonly name: string;
  readonly script: string;
  readonly env: Record<string, string>;
  readonly nodeArgs?: readonly string[];
}

function spawnNode(options: SpawnOptions): { child: ChildProcess; stderr: () => string } {
  const loader = options.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, options.script], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString('utf8')).slice(-4000);
  });
  return { child, stderr: () => err };
}

/** SIGTERM, wait (a CPU profile is written at exit), then SIGKILL. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs));
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

const isAlive = (child: ChildProcess) => () => child.exitCode === null && child.signalCode === null;

/** Wait for a `READY <port> [native|fallback]` line on stdout. */
function waitReady(
  child: ChildProcess,
  stderr: () => string,
  timeoutMs: number,
): Promise<{ port: number; native: boolean | null }> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`not READY after ${timeoutMs} ms: ${stderr()}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /READY (\d+)(?: (native|fallback))?/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), native: m[2] === undefined ? null : m[2] === 'native' });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before READY: ${stderr()}`));
    });
  });
}

/** SIGUSR2 asks a server started with --expose-gc for a full GC; without that flag there is no such handle. */
function garbageCollector(child: ChildProcess, nodeArgs: readonly string[] | undefined): Pick<ServerHandle, 'collectGarbage'> {
  return nodeArgs?.includes('--expose-gc') === true ? { collectGarbage: () => void child.kill('SIGUSR2') } : {};
}

/** Start a relay from its bundled script when given, else from source through tsx. */
export async function startRelay(
  kind: 'uws-ceiling' | 'socketio-peer',
  bundled?: string,
  nodeArgs?: readonly string[],
): Promise<ServerHandle> {
  const script =
    bundled ?? (kind === 'uws-ceiling' ? 'bench/ceilings/uws-broadcast.ts' : 'bench/peer/socketio-relay.ts');
  const port = await freePort();
  const { child, stderr } = spawnNode({
    name: kind,
    script,
    env: { BENCH_PORT: String(port) },
    ...(nodeArgs === undefined ? {} : { nodeArgs }),
  });
  const ready = await waitReady(child, stderr, 20_000);
  const scheme = kind === 'uws-ceiling' ? 'ws' : 'http';
  return {
    name: kind,
    pid: child.pid ?? 0,
    port: ready.port,
    url: `${scheme}://127.0.0.1:${ready.port}/`,
    httpUrl: `http://127.0.0.1:${ready.port}`,
    health: null,
    uwsNative: ready.native,
    alive: isAlive(child),
    ...garbageCollector(child, nodeArgs),
    stop: () => stopChild(child, 3000),
  };
}

/** The pipeline floor (ceilings/pipeline-floor.ts) from source: its workers are TypeScript files started through tsx. */
export async function startFloor(variant: FloorVariant): Promise<ServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-bench-floor-'));
  const { child, stderr } = spawnNode({
    name: 'pipeline-floor',
    script: 'bench/ceilings/pipeline-floor.ts',
    env: {
      BENCH_PORT: '0',
      BENCH_FLOOR_DIR: dir,
      BENCH_FLOOR_TOPOLOGY: variant.topology,
      BENCH_FLOOR_SEAM: variant.seam,
    },
  });
  let stopping = false;
  // A floor that dies mid-step would otherwise show only as a missing /proc entry.
  child.once('exit', (code, signal) => {
    if (!stopping)
      process.stderr.write(`pipeline-floor ${variantLabel(variant)} exited (${code ?? signal}): ${stderr()}\n`);
  });
  let ready: { port: number; native: boolean | null };
  try {
    ready = await waitReady(child, stderr, 30_000);
  } catch (error) {
    stopping = true;
    await stopChild(child, 1000);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    name: `floor ${variantLabel(variant)}`,
    pid: child.pid ?? 0,
    port: ready.port,
    url: `ws://127.0.0.1:${ready.port}/`,
    httpUrl: `http://127.0.0.1:${ready.port}`,
    health: null,
    uwsNative: ready.native,
    alive: isAlive(child),
    async stop() {
      stopping = true;
      await stopChild(child, 3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function odooSimAvailable(): boolean {
  return existsSync(join(ROOT, 'src/odoo-sim/main.ts'));
}

export async function startOdooSim(): Promise<ServerHandle> {
  const port = await freePort();
  const { child, stderr } = spawnNode({
    name: 'odoo-sim',
    script: 'src/odoo-sim/main.ts',
    env: { ODOO_SIM_PORT: String(port), ODOO_SIM_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
  });
  const httpUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${httpUrl}/web/webclient/version_info`, 20_000, isAlive(child), {
      method: 'POST',
      anyStatus: true,
    });
    // Drain its stdout banner so the pipe never fills.
    child.stdout?.resume();
  } catch (error) {
    await stopChild(child, 1000);
    throw new Error(
      `Odoo simulator did not start: ${error instanceof Error ? error.message : String(error)} ${stderr()}`,
    );
  }
  return {
    name: 'odoo-sim',
    pid: child.pid ?? 0,
    port,
    url: httpUrl,
    httpUrl,
    health: null,
    uwsNative: null,
    alive: isAlive(child),
    stop: () => stopChild(child, 3000),
  };
}

export interface HubOptions {
  readonly odooUrl: string | null;
  /** Directory for `--cpu-prof` output; no profiling when absent. */
  readonly cpuProfDir?: string;
  /** More node flags (e.g. `--perf-basic-prof` for a `perf record` of the hub). */
  readonly nodeArgs?: readonly string[];
  readonly env?: Record<string, string>;
}

export async function startHub(options: HubOptions): Promise<ServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-bench-'));
  const { child, stderr } = spawnNode({
    name: 'pos-hub',
    script: 'src/main.ts',
    nodeArgs: [
      ...(options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`]),
      ...(options.nodeArgs ?? []),
    ],
    env: {
      HUB_HTTP_PORT: '0',
      HUB_HOST: '127.0.0.1',
      HUB_DB_PATH: join(dir, 'hub.sqlite'),
      HUB_DEV_AUTH: 'true',
      HUB_MDNS_ENABLED: 'false',
      HUB_LOG_LEVEL: 'warn',
      // The simulator's seeded database and hub user; port 9 (discard) when there is no simulator.
      ODOO_URL: options.odooUrl ?? 'http://127.0.0.1:9',
      ODOO_DB: SIM_DB,
      ODOO_USER: HUB_LOGIN,
      ODOO_PASSWORD: HUB_PASSWORD,
      // The bench measures ceilings, not the trust-boundary limits: its generators are all 127.0.0.1 and a
      // few sockets stand for many terminals, so the per-address and per-terminal limits are lifted.
      HUB_MAX_UNAUTH_PER_ADDRESS: '100000',
      HUB_RATE_AUTH_PER_ADDRESS: '1000000/1000000',
      HUB_RATE_WRITES: '1000000/1000000',
      HUB_RATE_GRANTS: '1000000/1000000',
      HUB_RATE_HEARTBEATS: '1000000/1000000',
      HUB_RATE_REQUESTS: '1000000/1000000',
      HUB_MAX_KEYS_PER_TERMINAL: '1000000',
      HUB_MAX_LEASES_PER_TERMINAL: '100000',
      HUB_MAX_LOCKS_PER_TERMINAL: '100000',
      ...options.env,
    },
  });
  const fail = async (error: unknown): Promise<never> => {
    await stopChild(child, 1000);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`hub did not start: ${error instanceof Error ? error.message : String(error)}\n${stderr()}`);
  };
  let listening: { port: number; uws?: unknown };
  try {
    listening = await waitListening(child, stderr, 30_000);
  } catch (error) {
    return fail(error);
  }
  const httpUrl = `http://127.0.0.1:${listening.port}`;
  let health: Record<string, unknown> = {};
  try {
    health = (await waitForHttp(`${httpUrl}/health`, 15_000, isAlive(child))) as Record<string, unknown>;
  } catch (error) {
    return fail(error);
  }
  const uws = health.uws ?? listening.uws;
  const uwsNative =
    typeof uws === 'string'
      ? uws === 'native'
      : typeof uws === 'boolean'
        ? uws
        : typeof uws === 'object' && uws !== null && 'native' in uws
          ? Boolean((uws as { native: unknown }).native)
          : null;
  return {
    name: 'pos-hub',
    pid: child.pid ?? 0,
    port: listening.port,
    url: `ws://127.0.0.1:${listening.port}/`,
    httpUrl,
    health: { ...health, uws },
    uwsNative,
    alive: isAlive(child),
    ...garbageCollector(child, options.nodeArgs),
    async stop() {
      await stopChild(child, 15_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** main.ts prints `POS_HUB_LISTENING {"port":…,"uws":"native"}` once listening (port 0 picks a free one). */
function waitListening(
  child: ChildProcess,
  stderr: () => string,
  timeoutMs: number,
): Promise<{ port: number; uws?: unknown }> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no POS_HUB_LISTENING line after ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (out.length > 100_000) return;
      out += chunk.toString('utf8');
      const m = /POS_HUB_LISTENING (\{.*\})/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        out = ' '.repeat(100_001); // stop scanning; keep draining the pipe
        resolve(JSON.parse(m[1]) as { port: number; uws?: unknown });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${stderr()}`));
    });
  });
}
