/**
 * Issue 13, items 5, 8 and 9 over real HTTP: /api/state and the dashboard socket need the admin token,
 * /metrics needs HUB_METRICS_TOKEN when set, a bearer of any length or bytes never gives a 500 (one
 * length once did), wrong tokens are limited per address (429), every page carries CSP, frame,
 * referrer and nosniff headers, and `GET //terminal` never redirects off-site.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';

const ADMIN = 'secret-admin';
const METRICS = 'scrape-me';
let hub: StartedHub;

beforeAll(async () => {
  hub = await startHub({ env: { HUB_ADMIN_TOKEN: ADMIN, HUB_METRICS_TOKEN: METRICS } });
});
afterAll(async () => {
  await hub.close();
});

/** The first frame the dashboard socket pushes after `first` is sent, or its close code. */
function dashboard(first: object | null): Promise<{ pushed: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${hub.wsUrl}/dashboard`);
    ws.once('open', () => {
      if (first !== null) ws.send(JSON.stringify(first));
      // Nothing is pushed before a valid auth frame: a later HEARTBEAT round trip on a terminal proves the
      // hub had time to push, without a sleep.
      if (first === null) void TestTerminal.connect(hub.wsUrl, { deviceId: 'dash-probe' }).then(async (t) => {
        await t.close();
        ws.close();
      });
    });
    ws.once('message', () => {
      ws.close();
      resolve({ pushed: true, code: null });
    });
    ws.once('close', (code) => resolve({ pushed: false, code }));
  });
}

describe('reads need credentials', () => {
  it('/api/state: 401 without a token, 403 with a wrong one, 200 with the admin token', async () => {
    const none = await fetch(`${hub.url}/api/state`);
    expect(none.status).toBe(401);
    expect(await none.text()).not.toContain('terminals');
    expect((await fetch(`${hub.url}/api/state`, { headers: { authorization: 'Bearer nope' } })).status).toBe(403);
    const ok = await fetch(`${hub.url}/api/state`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveProperty('terminals');
  });

  it('the dashboard socket pushes nothing before the admin token, closes 4001 on a wrong one, pushes with the right one', async () => {
    expect(await dashboard(null)).toEqual({ pushed: false, code: 1005 });
    expect(await dashboard({ type: 'auth', token: 'wrong' })).toEqual({ pushed: false, code: 4001 });
    expect(await dashboard({ type: 'auth', token: ADMIN })).toEqual({ pushed: true, code: null });
  });

  it('/metrics needs HUB_METRICS_TOKEN when it is set; /health stays open', async () => {
    const none = await fetch(`${hub.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(401);
    const ok = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('pos_hub_');
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
  });
});

describe('admin token', () => {
  it('never answers 500, whatever the bearer (regression: a bearer as long as the token, in characters, threw)', async () => {
    // A token with a non-ASCII character: same length in characters as the guess, more bytes, and
    // timingSafeEqual threw on the unequal buffers (500 and a stack in the log).
    const token = 'sécret-admin';
    const own = await startHub({ env: { HUB_ADMIN_TOKEN: token } });
    try {
      for (const bearer of ['x'.repeat(token.length), 'x'.repeat(Buffer.byteLength(token)), 'x'.repeat(10_000), '']) {
        const res = await fetch(`${own.url}/api/reset`, { method: 'POST', headers: { authorization: `Bearer ${bearer}` } });
        expect(res.status, `bearer of ${bearer.length}`).not.toBe(500);
        expect([401, 403]).toContain(res.status);
      }
      const ok = await fetch(`${own.url}/api/state`, { headers: { authorization: `Bearer ${Buffer.from(token, 'utf8').toString('latin1')}` } });
      // uWS hands header bytes over as it reads them; whatever arrives, the answer is a clean 200 or 403.
      expect([200, 403]).toContain(ok.status);
    } finally {
      await own.close();
    }
  });
});

describe('page headers', () => {
  it('sends CSP with frame-ancestors none, no-referrer and nosniff on the dashboard, the terminal page and the SDK', async () => {
    for (const path of ['/', '/terminal/', '/terminal/index.html']) {
      const res = await fetch(`${hub.url}${path}`);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).not.toContain("'unsafe-inline' 'self'");
      expect(csp, path).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')*;/);
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    }
    const sdk = await fetch(`${hub.url}/sdk/pos-hub-sdk.js`);
    if (sdk.status === 200) expect(sdk.headers.get('x-content-type-options')).toBe('nosniff');
    // The dashboard's one inline script is allowed by its hash, nothing else inline.
    expect((await fetch(`${hub.url}/`)).headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-/);
  });

  it('redirects a directory from the normalized path: //terminal goes to /terminal/, never off-site', async () => {
    for (const [path, location] of [
      ['//terminal', '/terminal/'],
      ['/terminal?table=2', '/terminal/?table=2'],
      ['///terminal', '/terminal/'],
    ] as const) {
      const res = await fetch(`${hub.url}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(301);
      expect(res.headers.get('location'), path).toBe(location);
    }
  });
});

describe('admin attempts are limited per address', () => {
  // Last: it locks this address out for a minute.
  it('answers 429 after HUB_ADMIN_AUTH_FAILURES wrong tokens, even for the right one, never 500', async () => {
    // A hub of its own: the tests above spent some of this address's failures.
    const limited = await startHub({ env: { HUB_ADMIN_TOKEN: ADMIN, HUB_ADMIN_AUTH_FAILURES: '5' } });
    const hub = limited;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${hub.url}/api/state`, { headers: { authorization: `Bearer guess-${i}` } })).status);
    expect(statuses.slice(0, 4).every((s) => s === 403)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect((await fetch(`${hub.url}/api/state`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(429);
    await limited.close();
  });
});
