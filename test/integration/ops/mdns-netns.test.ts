/**
 * mDNS as other stacks see it, in a network namespace this test creates (root; removed afterwards):
 * a veth pair with 10.77.0.1, a real hub (main.ts) advertising on it, python3-zeroconf resolving the
 * SRV target `<host>.local.` to that address with a non-empty TXT, a one-shot legacy unicast query
 * answered by unicast (A only: the hub listens on IPv4), and `pos-hub doctor` finding the hub's advert.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localHostName } from '../../../src/adapters/mdns/advertiser.js';
import { HUB_START_LIMIT_MS, spawnHub } from '../../helpers/spawn-hub.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RESOLVER = fileURLToPath(new URL('../../fixtures/python/mdns_resolve.py', import.meta.url));
const NS = `poshub-mdns-${process.pid}`;
const ADDRESS = '10.77.0.1';
const HOST = localHostName();

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function inNamespace(command: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn('ip', ['netns', 'exec', NS, command, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let hub: ChildProcess | undefined;
let hubExit: Promise<unknown> | undefined;
let port = 0;
const hubEnv = (): Record<string, string> => ({
  HUB_ENV_FILE: '/nonexistent/.env',
  HUB_HOST: '0.0.0.0',
  HUB_HTTP_PORT: '0',
  HUB_DB_PATH: join(dir, 'hub.sqlite'),
  HUB_DEV_AUTH: 'true',
  // Inside the test's own network namespace: no one else can reach this listener.
  HUB_DEV_AUTH_ALLOW_REMOTE: 'true',
  HUB_MDNS_ENABLED: 'true',
  HUB_LOG_LEVEL: 'info',
  HUB_SHARDS: '1',
  ODOO_URL: 'http://127.0.0.1:9',
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-mdns-'));
  ip('netns', 'add', NS);
  ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
  ip('netns', 'exec', NS, 'ip', 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${ADDRESS}/24`, 'dev', 'v0');
  ip('netns', 'exec', NS, 'ip', 'link', 'set', 'v0', 'up');
  ip('netns', 'exec', NS, 'ip', 'link', 'set', 'v1', 'up');
  ip('netns', 'exec', NS, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', 'v0');

  // Listening (the port) and the advert announced: both are lines the hub prints, the advert last.
  const spawned = await spawnHub({ wrapper: ['ip', 'netns', 'exec', NS], env: hubEnv(), testDefaults: false, until: /"mdns_advertised"/ });
  hub = spawned.child;
  hubExit = spawned.exit;
  port = spawned.listening?.port ?? 0;
  if (port === 0) throw new Error(`the hub advertised before printing its port:\n${spawned.output()}`);
}, HUB_START_LIMIT_MS);

afterAll(async () => {
  if (hub && hub.exitCode === null) {
    hub.kill('SIGTERM');
    await hubExit;
  }
  try {
    ip('netns', 'del', NS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('mDNS in a network namespace', () => {
  it('resolves with python3-zeroconf and answers a legacy unicast query, IPv4 only', async () => {
    const run = await finished(inNamespace('/usr/bin/python3', [RESOLVER, ADDRESS, HOST], {}));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const found = JSON.parse(run.stdout) as {
      resolved: { server: string; port: number; ipv4: string[]; txt: Record<string, string>; txtBytes: number } | null;
      legacyHost: { id: number; questions: string[]; answers: [string, string, number][] } | null;
      legacySrv: { id: number; answers: [string, string, number][] } | null;
    };
    expect(found.resolved).toEqual({
      server: `${HOST}.`,
      port,
      ipv4: [ADDRESS],
      txt: { path: '/', protocol: '1', encodings: 'json,msgpack', role: 'standalone', epoch: '0', scheme: 'ws' },
      txtBytes: expect.any(Number) as number,
    });
    expect(found.resolved?.txtBytes).toBeGreaterThan(1);
    expect(found.legacyHost).toEqual({ id: 0x4242, questions: [`${HOST}.`], answers: [[`${HOST}.`, 'A', 10]] });
    expect(found.legacySrv?.id).toBe(0x4242);
    // zeroconf lists additionals with the answers: the SRV target's A record comes along, no AAAA.
    expect(found.legacySrv?.answers).toEqual([
      [`POS Hub._pos-hub._tcp.local.`, 'SRV', 10],
      [`${HOST}.`, 'A', 10],
    ]);
  });

  it("pos-hub doctor finds the hub's own advert", async () => {
    const run = await finished(
      inNamespace(process.execPath, ['--import', 'tsx', 'bin/pos-hub.js', 'doctor', '--skip-odoo'], {
        ...hubEnv(),
        HUB_HTTP_PORT: String(port),
        HUB_DB_PATH: join(dir, 'doctor.sqlite'),
        HUB_ENV_FILE: '/nonexistent/.env',
      }),
    );
    expect(run.stdout).toMatch(
      new RegExp(
        `^PASS {2}mdns {8}the hub's advert resolves: "POS Hub" at ${HOST.replace('.', '\\.')}:${port} \\(${ADDRESS.replaceAll('.', '\\.')}\\), TXT path=/ protocol=1 encodings=json,msgpack role=standalone epoch=0 scheme=ws$`,
        'm',
      ),
    );
  });
});
