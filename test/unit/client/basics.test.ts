/**
 * The SDK's small pure parts: capped backoff with jitter, seq gap detection, hub discovery order,
 * URL normalisation, ids that work on plain-http pages, and createTransport's mode choice.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelay, OUTBOX_BACKOFF, RECONNECT_BACKOFF } from '../../../src/client/backoff.js';
import { createTransport } from '../../../src/client/create-transport.js';
import { uuidV4 } from '../../../src/client/deps.js';
import { hubCandidates } from '../../../src/client/discovery.js';
import { toWebSocketUrl } from '../../../src/client/hub-socket.js';
import { memoryOutboxStore } from '../../../src/client/outbox-store.js';
import { SeqTracker } from '../../../src/client/seq-tracker.js';
import { HubError } from '../../../src/protocol/errors.js';
import { NodeWebSocket } from '../../fixtures/client-orders.js';

describe('backoffDelay', () => {
  it('doubles from the base, stays within [step/2, step], and is capped', () => {
    expect(backoffDelay(RECONNECT_BACKOFF, 0, () => 0)).toBe(250);
    expect(backoffDelay(RECONNECT_BACKOFF, 0, () => 0.999999)).toBe(500);
    expect(backoffDelay(RECONNECT_BACKOFF, 3, () => 0.5)).toBe(3000);
    expect(backoffDelay(RECONNECT_BACKOFF, 50, () => 0.999999)).toBe(30_000);
    expect(backoffDelay(RECONNECT_BACKOFF, 50, () => 0)).toBe(15_000);
    expect(backoffDelay(OUTBOX_BACKOFF, 20, () => 0.999999)).toBe(60_000);
  });
});

describe('SeqTracker', () => {
  it('applies in-order seqs, ignores duplicates, reports a gap without advancing', () => {
    const t = new SeqTracker();
    expect(t.check(5)).toEqual({ kind: 'apply' });
    expect(t.check(6)).toEqual({ kind: 'apply' });
    expect(t.check(6)).toEqual({ kind: 'duplicate' });
    expect(t.check(8)).toEqual({ kind: 'gap', expected: 7, received: 8 });
    expect(t.lastSeq).toBe(6);
    t.reset(7);
    expect(t.check(8)).toEqual({ kind: 'apply' });
  });
});

describe('discovery', () => {
  it('tries override, nu_hub_url, then the fallback IP; mDNS and same-origin only when the URL is blank', async () => {
    const mdns = async (): Promise<string> => 'ws://10.0.0.9:8766';
    const withUrl = hubCandidates({ nu_hub_url: 'ws://10.0.0.2:8766', nu_hub_fallback_ip: '10.0.0.3' }, { override: null, discoverHub: mdns, pageOrigin: 'http://10.0.0.4:8766' });
    expect(await withUrl()).toEqual(['ws://10.0.0.2:8766', 'ws://10.0.0.3:8766']);
    const blank = hubCandidates({ nu_hub_url: false, nu_hub_fallback_ip: '10.0.0.3:9000' }, { discoverHub: mdns, pageOrigin: 'http://10.0.0.4:8766' });
    expect(await blank()).toEqual(['ws://10.0.0.9:8766', 'ws://10.0.0.3:9000', 'ws://10.0.0.4:8766']);
    const failingMdns = hubCandidates({ nu_hub_url: '' }, { discoverHub: () => Promise.reject(new Error('no multicast')), pageOrigin: 'null' });
    expect(await failingMdns()).toEqual([]);
    const override = hubCandidates({ nu_hub_url: 'ws://10.0.0.2:8766' }, { override: 'ws://localhost:8766' });
    expect(await override()).toEqual(['ws://localhost:8766', 'ws://10.0.0.2:8766']);
  });

  it('normalises ws, http and bare host values', () => {
    expect(toWebSocketUrl('http://hub.local:8766')).toBe('ws://hub.local:8766');
    expect(toWebSocketUrl('https://hub.local')).toBe('wss://hub.local');
    expect(toWebSocketUrl('192.168.1.20')).toBe('ws://192.168.1.20:8766');
    expect(toWebSocketUrl(' wss://x:1/ ')).toBe('wss://x:1/');
  });
});

describe('uuidV4', () => {
  it('produces RFC 4122 v4 ids even without crypto.randomUUID', () => {
    const ids = new Set(Array.from({ length: 100 }, () => uuidV4(Math.random)));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('createTransport', () => {
  it('picks hub mode from nu_hub_enabled and direct mode otherwise', () => {
    const hub = createTransport({ nu_hub_enabled: true, nu_hub_url: 'ws://127.0.0.1:1', deviceId: 'd' }, { WebSocket: NodeWebSocket, outboxStore: memoryOutboxStore() });
    expect(hub.mode).toBe('hub');
    expect(hub.state).toBe('offline');
    const direct = createTransport({ nu_hub_enabled: false, deviceId: 'd', odoo_url: 'http://127.0.0.1:1', session_id: 42 }, { fetch: async () => ({ ok: true, status: 200, json: async () => ({}) }), outboxStore: memoryOutboxStore() });
    expect(direct.mode).toBe('direct');
  });

  it('names every missing direct-mode setting at once', () => {
    let error: unknown;
    try {
      createTransport({ deviceId: 'd' }, { fetch: undefined, pageOrigin: null, outboxStore: memoryOutboxStore() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).code).toBe('CONFIG_INVALID');
    expect((error as HubError).message).toMatch(/odoo_url.*session_id/);
  });
});
