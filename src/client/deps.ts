/**
 * What the SDK needs from its platform, injected so the same code runs in a browser, in a Node kiosk
 * (with `ws`) and under a simulated clock in tests. Defaults are resolved from globalThis only in
 * resolveDeps(), the SDK's one composition point; nothing else touches platform globals.
 */
import type { HubError } from '../protocol/errors.js';
import type { SubtleLike } from './hub-identity.js';
import type { DiscoveryAnswer } from './discovery.js';
import type { HubBookStore } from './hub-book.js';
import type { OutboxStore } from './outbox-store.js';

/** Structurally compatible with src/ports/clock.ts, so the hub's clocks can be passed in. */
export interface ClientClock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The part of the WHATWG WebSocket the SDK uses; the browser's and `ws`'s both satisfy it. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  send(data: string | Uint8Array | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

export interface TransportDeps {
  /** The browser's WebSocket by default; pass `ws`'s WebSocket in Node. */
  WebSocket?: WebSocketCtor;
  /** Outbox persistence; localStorage (`pos_sync_outbox`) in browsers, memory elsewhere by default. */
  outboxStore?: OutboxStore;
  /** The hubs seen (hub mode); localStorage (`pos_sync_hubs`) in browsers, memory elsewhere by default. */
  hubBookStore?: HubBookStore;
  clock?: ClientClock;
  /** Uniform in [0, 1): backoff jitter and ids. */
  random?: () => number;
  /** Unique ids for mutations and outbox entries (UUID v4 by default). */
  newId?: () => string;
  fetch?: FetchLike;
  /**
   * mDNS lookup of `_pos-hub._tcp` where the platform allows it (Node: src/adapters/mdns-browse). Browsers
   * cannot. With `pins`, only hubs advertising a pinned key (TXT key_pin) over wss qualify.
   */
  discoverHub?: (want?: { readonly pins: readonly string[] }) => Promise<DiscoveryAnswer>;
  /**
   * Node: a WebSocket that checks the TLS certificate's key against the pins itself (pinnedWebSocket in
   * src/adapters/tls/pinned-websocket.ts). Without it, a pin is checked by the identity proof instead.
   */
  pinnedWebSocket?: (pins: readonly string[], onRefused: (error: HubError) => void) => WebSocketCtor;
  /** GET JSON for the identity proof (fetch by default). */
  getJson?: (url: string) => Promise<unknown>;
  /** WebCrypto for the identity proof (crypto.subtle by default; absent on plain-http pages). */
  subtle?: SubtleLike;
  /** Page origin for the same-origin fallback (a terminal page served by the hub). */
  pageOrigin?: string | null;
  /** False when the device itself has no network (navigator.onLine); state becomes 'offline' rather than 'hubOffline'. */
  isNetworkUp?: () => boolean;
}

export interface ResolvedDeps {
  readonly WebSocket: WebSocketCtor | undefined;
  readonly outboxStore: OutboxStore | undefined;
  readonly hubBookStore: HubBookStore | undefined;
  readonly clock: ClientClock;
  readonly random: () => number;
  readonly newId: () => string;
  readonly fetch: FetchLike | undefined;
  readonly discoverHub: ((want?: { readonly pins: readonly string[] }) => Promise<DiscoveryAnswer>) | undefined;
  readonly pinnedWebSocket: ((pins: readonly string[], onRefused: (error: HubError) => void) => WebSocketCtor) | undefined;
  readonly getJson: ((url: string) => Promise<unknown>) | undefined;
  readonly subtle: SubtleLike | undefined;
  readonly randomBytes: ((length: number) => Uint8Array) | undefined;
  readonly pageOrigin: string | null;
  readonly isNetworkUp: () => boolean;
}

const platformClock: ClientClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

/**
 * UUID v4 from crypto.getRandomValues, which (unlike crypto.randomUUID) also exists on plain-http
 * pages such as http://<hub-ip>:8766 — not a secure context.
 */
export function uuidV4(random: () => number): string {
  const bytes = new Uint8Array(16);
  const crypto = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (crypto?.getRandomValues) crypto.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function resolveDeps(deps: TransportDeps = {}): ResolvedDeps {
  const g = globalThis as {
    WebSocket?: WebSocketCtor;
    crypto?: { subtle?: SubtleLike; getRandomValues?: (a: Uint8Array) => Uint8Array };
    fetch?: FetchLike;
    location?: { origin?: string };
    navigator?: { onLine?: boolean };
  };
  const random = deps.random ?? Math.random;
  return {
    WebSocket: deps.WebSocket ?? g.WebSocket,
    outboxStore: deps.outboxStore,
    hubBookStore: deps.hubBookStore,
    clock: deps.clock ?? platformClock,
    random,
    newId: deps.newId ?? (() => uuidV4(random)),
    fetch: deps.fetch ?? (g.fetch ? g.fetch.bind(globalThis) : undefined),
    discoverHub: deps.discoverHub,
    pinnedWebSocket: deps.pinnedWebSocket,
    getJson: deps.getJson ?? (g.fetch ? getJsonWith(g.fetch.bind(globalThis) as unknown as PlainFetch) : undefined),
    subtle: deps.subtle ?? g.crypto?.subtle,
    randomBytes: g.crypto?.getRandomValues ? (length) => g.crypto!.getRandomValues!(new Uint8Array(length)) : undefined,
    pageOrigin: deps.pageOrigin !== undefined ? deps.pageOrigin : (g.location?.origin ?? null),
    isNetworkUp: deps.isNetworkUp ?? (() => g.navigator?.onLine !== false),
  };
}

type PlainFetch = (url: string, init: { method: 'GET'; credentials: 'omit' }) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** The identity proof's GET: no cookies (the hub needs none); every nonce makes a new URL, so no cache hit. */
function getJsonWith(fetch: PlainFetch): (url: string) => Promise<unknown> {
  return async (url) => {
    const response = await fetch(url, { method: 'GET', credentials: 'omit' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  };
}
