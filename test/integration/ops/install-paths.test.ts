/**
 * Regression: the Dockerfile and scripts/install.sh called a build script that did not exist behind an
 * `if [ -f … ]`, so real installs served 404 for /terminal/app.js and /sdk/pos-hub-sdk.js. Both paths are
 * replayed on a fresh clone of this repository (the working tree's tracked changes included), with
 * node_modules hard-linked from this checkout instead of `npm ci` (no network), then the result is
 * started as the image or the unit would start it and the terminal page and SDK are fetched.
 * Docker does not run here, so the Dockerfile is interpreted: WORKDIR, COPY (honouring .dockerignore),
 * RUN (each `&&` step; apt-get and system paths are the only steps skipped, by name), ENV and CMD.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnHub } from '../../helpers/spawn-hub.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// A clone, a hard-linked node_modules, an esbuild run and an npm prune each: tens of seconds on 2 cores.
let work: string;

/** A fresh clone at the working tree's tracked state, with this checkout's node_modules hard-linked. */
function freshClone(into: string, withNodeModules: boolean): string {
  const stash = execFileSync('git', ['-C', ROOT, 'stash', 'create'], { encoding: 'utf8' }).trim();
  execFileSync('git', ['clone', '-q', ROOT, into]);
  if (stash !== '') execFileSync('git', ['-C', into, 'checkout', '-q', stash]);
  if (withNodeModules) linkNodeModules(join(ROOT, 'node_modules'), join(into, 'node_modules'));
  return into;
}

/** `cp -al`, except npm's own metadata, copied for real so a prune never writes through a link. */
function linkNodeModules(from: string, to: string): void {
  execFileSync('cp', ['-al', from, to]);
  const meta = join(to, '.package-lock.json');
  if (existsSync(meta)) {
    rmSync(meta);
    cpSync(join(from, '.package-lock.json'), meta);
  }
}

/** .dockerignore patterns as Docker reads them: from the context root, `*` within a name, `**` any depth. */
function dockerignore(context: string): (path: string) => boolean {
  const patterns = readFileSync(join(context, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((p) => {
      const body = p
        .replace(/^\/+/, '')
        .split('/')
        .map((part) =>
          part === '**' ? '(?:.*/)?' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '/',
        )
        .join('');
      return new RegExp(`^${body.replace(/\/$/, '').replace(/\(\?:\.\*\/\)\?\//g, '(?:.*/)?')}(?:/.*)?$`);
    });
  return (path) => patterns.some((re) => re.test(path));
}

function copyContext(context: string, to: string): void {
  const ignored = dockerignore(context);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      const rel = relative(context, full);
      if (ignored(rel)) continue;
      if (statSync(full).isDirectory()) walk(full);
      else {
        mkdirSync(dirname(join(to, rel)), { recursive: true });
        cpSync(full, join(to, rel));
      }
    }
  };
  walk(context);
}

interface Stage {
  readonly name: string | undefined;
  readonly lines: string[];
}

/** Instructions per stage, continuation lines joined and comments dropped. */
function stagesOf(dockerfile: string): Stage[] {
  const joined = dockerfile.replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of joined.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#') || line.startsWith('ARG ')) continue;
    const from = /^FROM \S+(?: AS (\S+))?$/i.exec(line);
    if (from) stages.push({ name: from[1], lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

/** Steps a container build does that this machine must not: system packages and system paths. */
const SKIPPED = [/^apt-get /, /^rm -rf \/var\/lib\/apt\/lists/, /^mkdir -p \/data$/, /^chown /, /^ln -s /];

/** Replays both stages; answers the runtime directory, its environment and its command. */
function replayDockerfile(
  context: string,
  base: string,
): { dir: string; env: Record<string, string>; cmd: string[]; ran: string[] } {
  const [build, runtime] = stagesOf(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  if (!build || !runtime) throw new Error('Dockerfile has fewer than two stages');
  const dirs = { build: join(base, 'build'), runtime: join(base, 'runtime') };
  const ran: string[] = [];
  for (const line of build.lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    switch (instruction) {
      case 'WORKDIR':
        mkdirSync(dirs.build, { recursive: true });
        break;
      case 'COPY':
        if (args === '. .') copyContext(context, dirs.build);
        else for (const file of rest.slice(0, -1)) cpSync(join(context, file), join(dirs.build, file));
        break;
      case 'RUN':
        for (const step of args.split('&&').map((s) => s.trim())) {
          if (SKIPPED.some((re) => re.test(step))) continue;
          if (/^npm ci\b/.test(step)) {
            linkNodeModules(join(ROOT, 'node_modules'), join(dirs.build, 'node_modules'));
            ran.push('npm ci (node_modules hard-linked)');
            continue;
          }
          const command = /^npm prune\b/.test(step) ? `${step} --offline` : step;
          execFileSync('sh', ['-c', command], { cwd: dirs.build, stdio: 'pipe' });
          ran.push(command);
        }
        break;
      default:
        throw new Error(`build stage: unexpected instruction ${line}`);
    }
  }
  const env: Record<string, string> = {};
  let cmd: string[] = [];
  mkdirSync(dirs.runtime, { recursive: true });
  for (const line of runtime.lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (instruction === 'ENV') for (const m of args.matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
    else if (instruction === 'COPY') {
      const m = /^--from=build \/app\/(\S+) \.\/(\S*)$/.exec(args);
      if (!m) throw new Error(`runtime stage: unexpected COPY ${args}`);
      const from = join(dirs.build, m[1]!);
      const to = join(dirs.runtime, m[2] || m[1]!);
      if (m[1] === 'node_modules') linkNodeModules(from, to);
      else cpSync(from, to, { recursive: true });
    } else if (instruction === 'CMD') cmd = JSON.parse(args) as string[];
    else if (instruction === 'RUN') {
      for (const step of args.split('&&').map((s) => s.trim())) {
        if (!SKIPPED.some((re) => re.test(step))) throw new Error(`runtime stage: unexpected RUN step ${step}`);
      }
    } else if (!['WORKDIR', 'USER', 'VOLUME', 'EXPOSE', 'HEALTHCHECK', 'STOPSIGNAL'].includes(instruction!)) {
      throw new Error(`runtime stage: unexpected instruction ${line}`);
    }
  }
  return { dir: dirs.runtime, env, cmd, ran };
}

interface Running {
  url: string;
  child: ChildProcess;
  exit: Promise<unknown>;
}
const running: Running[] = [];

async function start(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<Running> {
  const spawned = await spawnHub({ command, args, cwd, env: { HOME: work, ...env }, testDefaults: false });
  const started = { url: `http://127.0.0.1:${spawned.listening!.port}`, child: spawned.child, exit: spawned.exit };
  running.push(started);
  return started;
}

async function fetchStatus(url: string): Promise<{ status: number; type: string | null; bytes: number }> {
  const response = await fetch(url);
  const body = await response.arrayBuffer();
  return { status: response.status, type: response.headers.get('content-type'), bytes: body.byteLength };
}

/** What both installs must serve: the page, its bundle and the SDK. */
async function expectTerminalServed(base: string): Promise<void> {
  expect(await fetchStatus(`${base}/terminal/`)).toMatchObject({
    status: 200,
    type: expect.stringMatching(/^text\/html/) as string,
  });
  const app = await fetchStatus(`${base}/terminal/app.js`);
  expect(app.status).toBe(200);
  expect(app.bytes).toBeGreaterThan(10_000);
  const sdk = await fetchStatus(`${base}/sdk/pos-hub-sdk.js`);
  expect(sdk).toMatchObject({ status: 200, type: expect.stringMatching(/javascript/) as string });
  expect(sdk.bytes).toBeGreaterThan(10_000);
}

/** Local settings on top of the image's or the env file's: loopback, a temp database, no Odoo. */
const testOverrides = (name: string): Record<string, string> => ({
  HUB_HTTP_PORT: '0',
  HUB_HOST: '127.0.0.1',
  HUB_DB_PATH: join(work, `${name}.sqlite`),
  // The unit runs with NODE_ENV=production, where dev auth is refused: a real (unreachable) Odoo login.
  HUB_DEV_AUTH: 'false',
  ODOO_USER: 'pos-hub-test',
  ODOO_PASSWORD: 'not-the-default',
  HUB_MDNS_ENABLED: 'false',
  HUB_ENV_FILE: '/nonexistent/.env',
  ODOO_URL: 'http://127.0.0.1:9',
});

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pos-hub-install-paths-'));
});

afterAll(async () => {
  for (const r of running) {
    r.child.kill('SIGTERM');
    await r.exit;
  }
  rmSync(work, { recursive: true, force: true });
});

describe('install paths on a fresh clone', () => {
  it('the Dockerfile, replayed step by step, builds an image that serves the terminal page and the SDK', async () => {
    const context = freshClone(join(work, 'docker-context'), false);
    // Local state a developer's checkout carries must stay out of the image.
    mkdirSync(join(context, '.demo'), { recursive: true });
    writeFileSync(join(context, '.demo', 'hub.sqlite'), 'local data');
    writeFileSync(join(context, 'src', 'stale.sqlite-wal'), 'local data');
    const image = replayDockerfile(context, join(work, 'image'));
    expect(image.ran).toContain('node scripts/build-web.mjs');
    expect(existsSync(join(image.dir, '.demo'))).toBe(false);
    expect(existsSync(join(image.dir, 'src', 'stale.sqlite-wal'))).toBe(false);
    expect(existsSync(join(image.dir, 'node_modules', 'esbuild'))).toBe(false); // pruned: dev dependencies gone
    const [command, ...args] = image.cmd;
    expect(command).toBe('node');
    const hub = await start(process.execPath, args, image.dir, { ...image.env, ...testOverrides('image') });
    await expectTerminalServed(hub.url);
  }, 180_000);

  it('install.sh --root builds the web bundles in the checkout, and the unit it writes serves them', async () => {
    const app = freshClone(join(work, 'opt-pos-hub'), true);
    const root = join(work, 'root');
    const install = execFileSync(
      'bash',
      [join(app, 'scripts', 'install.sh'), '--root', root, '--app-dir', app, '--no-start'],
      {
        encoding: 'utf8',
        env: { ...process.env },
      },
    );
    expect(install).toContain('building the terminal page and the SDK (scripts/build-web.mjs)');
    const unit = readFileSync(join(root, 'etc/systemd/system/pos-hub.service'), 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.split(' ') ?? [];
    const workingDirectory = /^WorkingDirectory=(.*)$/m.exec(unit)?.[1] ?? '';
    expect(workingDirectory).toBe(app);
    const envFile = Object.fromEntries(
      readFileSync(join(root, 'etc/pos-hub/env'), 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const [node, ...args] = execStart;
    const hub = await start(node!, args, workingDirectory, {
      ...envFile,
      NODE_ENV: 'production',
      ...testOverrides('unit'),
    });
    await expectTerminalServed(hub.url);
  }, 180_000);
});
