/**
 * The browser bundle of the SDK (scripts/build-web.mjs → src/public/sdk/pos-hub-sdk.js) in headless
 * Chromium: it loads as a plain ES module with no Node shims (no process, Buffer or require on the
 * page), connects to a real hub with the browser's own WebSocket — JSON and msgpack — keeps its outbox
 * in localStorage under pos_sync_outbox, and a Node terminal sees the page's edit.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Sdk from '../../src/client/index.js';
import type { OrderUpdate } from '../../src/client/types.js';
import { hubClient } from '../fixtures/client-orders.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { startHub, type StartedHub } from '../helpers/start-hub.js';
import { REPO_ROOT, startPageServer, type PageServer } from '../helpers/terminal-browser.js';
import { changesOf, until } from '../helpers/wait.js';

const BUNDLE = join(REPO_ROOT, 'src', 'public', 'sdk', 'pos-hub-sdk.js');

let hub: StartedHub;
let pages: PageServer;
let context: BrowserContext;
let profile: string;
const consoleLines: string[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-web.mjs'), 'sdk'], { cwd: REPO_ROOT, stdio: 'pipe' });
  pages = await startPageServer();
  // The page comes from another origin than the hub: the hub allows it by name (issue 13, Origin check).
  hub = await startHub({ env: { HUB_ALLOWED_ORIGINS: pages.url } });
  profile = mkdtempSync(join(tmpdir(), 'pos-sdk-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
}, 60_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  if (profile) rmSync(profile, { recursive: true, force: true });
  await pages?.close();
  await hub?.close();
});

describe('SDK browser bundle', () => {
  it('is a self-contained browser ES module: no require(), no node: imports', () => {
    const source = readFileSync(BUNDLE, 'utf8');
    expect(source).not.toMatch(/\brequire\(/);
    expect(source).not.toMatch(/from\s*["']node:/);
    expect(source).toMatch(/export\s*\{/);
  });

  it('carries no XState: the SDK runs the order rules as functions, the machine is the tests\' model (issue 15)', () => {
    const source = readFileSync(BUNDLE, 'utf8');
    // XState's built-in event names survive minification as string literals (xstate.init, xstate.done.actor.…).
    expect(source.match(/xstate\.[\w.]*/g) ?? []).toEqual([]);
    expect(/\bas domainReconciler\b/.test(source)).toBe(true); // the domain rules it does run are in it
  });

  it('loads in Chromium without Node shims and syncs with a real hub over JSON and msgpack', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    // Any same-origin page of the static server will do; the bundle is imported from it.
    await page.goto(`${pages.url}/sdk/pos-hub-sdk.js`);
    // A real <script type="module"> import, as a frontend would do it.
    await page.addScriptTag({ type: 'module', content: "import * as sdk from '/sdk/pos-hub-sdk.js'; window.posHubSdk = sdk;" });
    await page.waitForFunction(() => (window as { posHubSdk?: unknown }).posHubSdk !== undefined);

    const node = hubClient(hub.wsUrl, 'node-terminal');
    const seen: OrderUpdate[] = [];
    node.onOrderUpdated((u) => seen.push(u));
    await node.connect();

    const result = await page.evaluate(
      async ({ wsUrl }) => {
        const shims = { process: typeof (globalThis as { process?: unknown }).process, Buffer: typeof (globalThis as { Buffer?: unknown }).Buffer, require: typeof (globalThis as { require?: unknown }).require };
        const sdk = (window as unknown as { posHubSdk: typeof Sdk }).posHubSdk;
        const run = async (deviceId: string, encoding: 'json' | 'msgpack', posReference: string) => {
          const t = sdk.createTransport({ nu_hub_enabled: true, nu_hub_url: wsUrl, deviceId, token: '', encoding });
          if (t.mode !== 'hub') throw new Error('expected hub mode');
          await t.connect();
          const state = t.state;
          const lease = await t.acquireLease(posReference, 0);
          const acked = new Promise<number>((resolve) => t.onOrderAcked((_r, version) => resolve(version)));
          const line = { uid: 'web-1', productId: 101, qty: 1, priceUnit: 90, discount: 0, taxIds: [], priceSubtotal: 90, priceSubtotalIncl: 90 };
          t.sendOrderSnapshot(posReference, 0, {
            posReference,
            tableId: 2,
            state: 'editing',
            kitchenStatus: 'open',
            sessionId: 42,
            userId: 7,
            lines: [line],
            payments: [],
            amountTotal: 90,
            amountTax: 0,
            amountPaid: 0,
            amountReturn: 0,
            createdAt: new Date().toISOString(),
          });
          const storedWhileQueued = localStorage.getItem(sdk.OUTBOX_STORAGE_KEY);
          const version = await acked;
          const outboxAfter = t.outboxCount;
          const encodingUsed = t.encoding;
          t.disconnect();
          return { state, lease: lease.granted, version, outboxAfter, encodingUsed, storedWhileQueued: storedWhileQueued !== null && storedWhileQueued.includes(posReference) };
        };
        const json = await run('browser-json', 'json', 'NU/CFG1/S42/1764000000000-b001');
        const msgpack = await run('browser-msgpack', 'msgpack', 'NU/CFG1/S42/1764000000000-b002');
        return { shims, json, msgpack, storage: localStorage.getItem(sdk.OUTBOX_STORAGE_KEY) };
      },
      { wsUrl: hub.wsUrl },
    );

    expect(result.shims, consoleLines.join('\n')).toEqual({ process: 'undefined', Buffer: 'undefined', require: 'undefined' });
    expect(result.json).toEqual({ state: 'online', lease: true, version: 1, outboxAfter: 0, encodingUsed: 'json', storedWhileQueued: true });
    expect(result.msgpack).toEqual({ state: 'online', lease: true, version: 1, outboxAfter: 0, encodingUsed: 'msgpack', storedWhileQueued: true });
    expect(result.storage).toBe('[]');
    await until(() => seen.length === 2, 'the Node terminal to see both browser edits', changesOf(node));
    expect(seen.map((u) => [u.posReference, u.sourceTerminal]).sort()).toEqual([
      ['NU/CFG1/S42/1764000000000-b001', 'browser-json'],
      ['NU/CFG1/S42/1764000000000-b002', 'browser-msgpack'],
    ]);
    node.disconnect();
  });
});
