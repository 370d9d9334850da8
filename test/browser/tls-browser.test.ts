/**
 * Chromium against the hub over TLS only (https:// page, wss:// socket), with a venue certificate made
 * in the test by scripts/venue-cert.sh. Chromium trusts it through `--ignore-certificate-errors-spki-list`
 * with the hub key's pin — the same value as nu_hub_key_pin — rather than `--ignore-certificate-errors`,
 * so any other certificate still fails as it would on a tablet with the venue CA installed.
 * The terminal page served by the hub reaches it over wss from its own origin; the SDK bundle with
 * nu_hub_key_pin connects after the hub's identity proof verifies (WebCrypto) and, with a wrong pin,
 * opens no socket at all.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTlsIdentity } from '../../src/adapters/tls/identity.js';
import type * as Sdk from '../../src/client/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { startHub, type StartedHub } from '../helpers/start-hub.js';
import { buildTerminalBundle, REPO_ROOT } from '../helpers/terminal-browser.js';
import { makeVenueCert, type VenueCert } from '../helpers/venue-cert.js';

const STEP_TIMEOUT = 20_000;

let dir: string;
let venue: VenueCert;
let hub: StartedHub;
let context: BrowserContext;
const consoleLines: string[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-web.mjs'), 'sdk'], { cwd: REPO_ROOT, stdio: 'pipe' });
  buildTerminalBundle();
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-tls-e2e-'));
  venue = makeVenueCert(join(dir, 'tls'), ['localhost', '127.0.0.1']);
  hub = await startHub({ tlsIdentity: loadTlsIdentity(venue.certFile, venue.keyFile, new Date()) });
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${venue.pin}`],
    serviceWorkers: 'block',
    // The SDK test imports the bundle from a page on the bundle's own URL, a JS reply whose CSP is
    // default-src 'none'; the pages' CSP itself is proved in terminal-page-trust.test.ts.
    bypassCSP: true,
  });
}, 90_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await hub?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  return page;
}

async function connectedTerminals(): Promise<number> {
  const health = (await (await fetch(`${hub.url}/health`)).json()) as { connectedTerminals: number };
  return health.connectedTerminals;
}

describe('Chromium over https and wss', () => {
  it('opens the terminal page from the hub over https and goes online over wss', async () => {
    const page = await newPage();
    await page.goto(`${hub.tlsUrl}/terminal/?table=5`);
    expect(page.url()).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/terminal\//);
    await page.waitForSelector('[data-testid=conn-state][data-state=online]', { timeout: STEP_TIMEOUT });
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    await page.close();
  }, 60_000);

  it('the SDK bundle with nu_hub_key_pin connects after the identity proof, and opens nothing on a wrong pin', async () => {
    const page = await newPage();
    await page.goto(`${hub.tlsUrl}/sdk/pos-hub-sdk.js`);
    await page.addScriptTag({ type: 'module', content: "import * as sdk from '/sdk/pos-hub-sdk.js'; window.posHubSdk = sdk;" });
    await page.waitForFunction(() => (window as { posHubSdk?: unknown }).posHubSdk !== undefined);

    const good = await page.evaluate(
      async ({ wssUrl, pin }) => {
        const sdk = (window as unknown as { posHubSdk: typeof Sdk }).posHubSdk;
        const t = sdk.createTransport({ nu_hub_enabled: true, nu_hub_url: wssUrl, nu_hub_key_pin: `sha256/${pin}`, deviceId: 'tls-web-good', token: '' });
        await t.connect();
        const state = t.state;
        t.disconnect();
        return state;
      },
      { wssUrl: hub.wssUrl!, pin: venue.pin },
    );
    expect(good, consoleLines.join('\n')).toBe('online');

    const before = await connectedTerminals();
    const wrongPin = Buffer.alloc(32, 7).toString('base64');
    const refused = await page.evaluate(
      async ({ wssUrl, pin }) => {
        const sdk = (window as unknown as { posHubSdk: typeof Sdk }).posHubSdk;
        const opened: string[] = [];
        const Native = window.WebSocket;
        // Count every socket the page opens: a refused hub must get none.
        const Counting = class extends Native {
          constructor(url: string | URL, protocols?: string | string[]) {
            super(url, protocols);
            opened.push(String(url));
          }
        };
        const t = sdk.createTransport({ nu_hub_enabled: true, nu_hub_url: wssUrl, nu_hub_key_pin: `sha256/${pin}`, deviceId: 'tls-web-wrong', token: '' }, { WebSocket: Counting as unknown as Sdk.WebSocketCtor });
        const error = await new Promise<{ code: string; message: string }>((resolve) => {
          t.onError((e) => resolve({ code: e.code, message: e.message }));
          t.connect().catch(() => undefined);
        });
        t.disconnect();
        return { error, opened };
      },
      { wssUrl: hub.wssUrl!, pin: wrongPin },
    );
    expect(refused.error.code).toBe('HUB_IDENTITY_MISMATCH');
    expect(refused.error.message).toContain('is not the pinned one');
    expect(refused.opened).toEqual([]);
    expect(await connectedTerminals()).toBe(before);
    await page.close();
  }, 60_000);
});
