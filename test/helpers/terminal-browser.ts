/**
 * What the terminal page's browser tests need besides a hub: the page bundle built, a tiny
 * loopback HTTP server serving src/public through createStaticFiles (the hub's own static helper)
 * with /api/catalog proxied to the Odoo simulator, and headless Chromium with a fresh profile per
 * browser, so two browsers are two terminals with their own localStorage outbox.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createStaticFiles } from '../../src/front/static-files.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');


/** src/public/terminal/app.js is a build artefact: build it from the current sources. */
export function buildTerminalBundle(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-web.mjs'), 'terminal'], { cwd: REPO_ROOT, stdio: 'pipe' });
}

export interface PageServer {
  readonly url: string;
  /** Let the page's `?hub=` name this hub (its /api/page-config lists it, as a hub's HUB_ALLOWED_ORIGINS would). */
  allowHub(hubUrl: string): void;
  close(): Promise<void>;
}

/** Serves src/public like the hub will, and GET /api/catalog from `catalogUrl` (the simulator's route). */
export async function startPageServer(options: { catalogUrl?: string } = {}): Promise<PageServer> {
  const files = createStaticFiles(join(REPO_ROOT, 'src', 'public'));
  const allowed = new Set<string>();
  const server: Server = createServer((req, res) => {
    const target = req.url ?? '/';
    if (target.startsWith('/api/page-config')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ allowedOrigins: [...allowed] }));
      return;
    }
    if (target.startsWith('/api/catalog') && options.catalogUrl !== undefined) {
      fetch(options.catalogUrl)
        .then(async (upstream) => {
          const body = Buffer.from(await upstream.arrayBuffer());
          res.writeHead(upstream.status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
          res.end(body);
        })
        .catch((error: unknown) => {
          res.writeHead(502, { 'Content-Type': 'text/plain' });
          res.end(String(error));
        });
      return;
    }
    const hit = files.lookup(target, req.headers['if-none-match']);
    if (hit === null) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(hit.status, { 'Content-Type': hit.contentType, 'Content-Length': hit.body.length, ...hit.headers });
    res.end(hit.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    allowHub: (hubUrl) => {
      const url = new URL(hubUrl);
      allowed.add(`${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TerminalBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Browser console lines, for the failure message when something goes wrong. */
  readonly console: string[];
  /** The URL of every WebSocket the page opened, in order (which hub, over ws or wss). */
  readonly sockets: string[];
  close(): Promise<void>;
}

/** `extraArgs`: e.g. `--ignore-certificate-errors-spki-list=<pin>` to trust a venue certificate. */
export async function launchTerminal(url: string, extraArgs: readonly string[] = []): Promise<TerminalBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'pos-hub-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 1180, height: 820 },
    // The offline tests kill the hub, not the page server; a service worker would only add noise.
    serviceWorkers: 'block',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const lines: string[] = [];
  page.on('console', (message) => {
    lines.push(`${message.type()}: ${message.text()}`);
    if (lines.length > 500) lines.shift();
  });
  page.on('pageerror', (error) => lines.push(`pageerror: ${error.message}`));
  const sockets: string[] = [];
  page.on('websocket', (socket) => sockets.push(socket.url()));
  await page.goto(url);
  return {
    context,
    page,
    console: lines,
    sockets,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `terminal-${name}.png`);
  // A click may have scrolled the page; a full-page shot would then draw the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
  return path;
}
