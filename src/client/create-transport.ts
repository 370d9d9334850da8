/**
 * createTransport(): the one entry point a frontend calls after bootstrap. nu_hub_enabled picks hub
 * mode (the hub found by discovery.ts) or the default direct mode (Odoo polling + outbox), exactly
 * as the reference's factory does; platform pieces (WebSocket, storage, clock, fetch) come from deps.
 */
import type { Encoding } from '../protocol/constants.js';
import { HubError } from '../protocol/errors.js';
import type { BackoffPolicy } from './backoff.js';
import { domainReconciler } from './default-reconciler.js';
import { resolveDeps, type ResolvedDeps, type TransportDeps, type WebSocketCtor } from './deps.js';
import { DirectTransport } from './direct-transport.js';
import { hubCandidates, type HubBootstrapFields } from './discovery.js';
import { verifyHubIdentity } from './hub-identity.js';
import { HubTransport } from './hub-transport.js';
import { parseKeyPins } from '../protocol/hub-identity.js';
import { verifiedWebSocket } from './verified-socket.js';
import { defaultOutboxStore, memoryOutboxStore, type OutboxStore } from './outbox-store.js';
import { defaultHubBookStore } from './hub-book.js';
import type { Reconciler } from './reconcile.js';

export interface TransportBootstrapConfig extends HubBootstrapFields {
  /** Stable per device (the hub replaces an older socket of the same deviceId). */
  readonly deviceId: string;
  /** The terminal's Odoo session id: AUTH token in hub mode, X-Openerp-Session-Id in direct mode. Empty = dev auth. */
  readonly token?: string;
  readonly config_id?: number;
  /** The open pos.session (direct mode polls its orders). */
  readonly session_id?: number;
  readonly pricelist_id?: number;
  /** Odoo base URL for direct mode (default: the page's origin). */
  readonly odoo_url?: string;
  /** Developer override of the hub URL (the reference's NEXT_PUBLIC_HUB_URL). */
  readonly hubUrlOverride?: string | null;
  /** 'msgpack' negotiates binary frames (pos-hub.msgpack.v1); JSON otherwise. */
  readonly encoding?: Encoding;
  readonly requestTimeoutMs?: number;
  readonly reconnectBackoff?: BackoffPolicy;
  readonly outboxBackoff?: BackoffPolicy;
  readonly pollIntervalMs?: number;
  readonly sendChangesToKitchen?: boolean;
  /** Replace the order-domain reconciliation (advanced). */
  readonly reconcile?: Reconciler;
  /**
   * Hub mode: time with no usable hub before paid orders go to Odoo directly (default 60,000 ms; never
   * sooner — a hub failover takes seconds). Needs the direct-mode fields (session_id, odoo_url, fetch);
   * without them the outbox simply waits for a hub.
   */
  readonly hubLossFallbackMs?: number;
}

export type Transport = HubTransport | DirectTransport;

/**
 * The socket the hub transport opens. With pins: in Node the certificate's own key is checked
 * (deps.pinnedWebSocket); elsewhere the hub proves the pinned key before the socket opens. Either
 * way a hub that fails is never sent a frame, and the refusal is reported on the transport's onError.
 */
function hubWebSocket(resolved: ResolvedDeps, WebSocket: WebSocketCtor, pins: readonly string[], onRefused: (error: HubError) => void): WebSocketCtor {
  if (pins.length === 0) return WebSocket;
  if (resolved.pinnedWebSocket) return resolved.pinnedWebSocket(pins, onRefused);
  const getJson = resolved.getJson;
  return verifiedWebSocket(
    WebSocket,
    (url) => (getJson ? verifyHubIdentity(url, pins, { getJson, subtle: resolved.subtle, randomBytes: resolved.randomBytes }) : Promise.reject(new HubError('HUB_IDENTITY_MISMATCH', `${url}: no fetch to check the pinned hub; nothing was sent to it`))),
    onRefused,
  );
}

/**
 * The direct-Odoo engine a hub-mode terminal falls back to after hubLossFallbackMs, when the bootstrap
 * carries the direct-mode fields. It has its own memory outbox: the hub outbox keeps every write for
 * the hub, and the engine's queue only retries the paid orders it was handed.
 */
function directFallbackOf(config: TransportBootstrapConfig, resolved: ResolvedDeps): DirectTransport | null {
  // Explicit odoo_url only: a hub-mode page may be served by the hub itself, whose origin is no Odoo.
  const odooUrl = config.odoo_url;
  if (!resolved.fetch || !odooUrl || config.session_id === undefined) return null;
  const fallbackOutbox: OutboxStore = memoryOutboxStore();
  return new DirectTransport(
    {
      odooUrl,
      sessionId: config.token ?? '',
      posSessionId: config.session_id,
      pricelistId: config.pricelist_id ?? 1,
      ...(config.pollIntervalMs === undefined ? {} : { pollIntervalMs: config.pollIntervalMs }),
      ...(config.outboxBackoff === undefined ? {} : { outboxBackoff: config.outboxBackoff }),
    },
    { ...resolved, fetch: resolved.fetch, outboxStore: fallbackOutbox },
  );
}

export function createTransport(config: TransportBootstrapConfig, deps: TransportDeps = {}): Transport {
  const resolved = resolveDeps(deps);
  const outboxStore = resolved.outboxStore ?? defaultOutboxStore();
  if (config.nu_hub_enabled === true) {
    if (!resolved.WebSocket) throw new HubError('CONFIG_INVALID', 'hub mode needs a WebSocket implementation: pass deps.WebSocket (e.g. `ws` in Node)');
    const pins = parseKeyPins(config.nu_hub_key_pin);
    // The transport's own onError stream; it exists once the transport does, before any socket opens.
    let reportRefusal: (error: HubError) => void = () => undefined;
    if (config.hubLossFallbackMs !== undefined && (!Number.isFinite(config.hubLossFallbackMs) || config.hubLossFallbackMs < 0)) {
      throw new HubError('CONFIG_INVALID', `hubLossFallbackMs: must be a number of milliseconds >= 0 (got ${String(config.hubLossFallbackMs)})`);
    }
    const transport = new HubTransport(
      {
        urls: hubCandidates(config, { override: config.hubUrlOverride ?? null, discoverHub: resolved.discoverHub, pageOrigin: resolved.pageOrigin, pins }),
        token: config.token ?? '',
        deviceId: config.deviceId,
        reconcile: config.reconcile ?? domainReconciler(config.sendChangesToKitchen === undefined ? {} : { sendChangesToKitchen: config.sendChangesToKitchen }),
        ...(config.encoding === undefined ? {} : { encoding: config.encoding }),
        ...(config.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: config.requestTimeoutMs }),
        ...(config.reconnectBackoff === undefined ? {} : { reconnectBackoff: config.reconnectBackoff }),
        ...(config.outboxBackoff === undefined ? {} : { outboxBackoff: config.outboxBackoff }),
        ...(config.hubLossFallbackMs === undefined ? {} : { hubLossFallbackMs: config.hubLossFallbackMs }),
      },
      {
        ...resolved,
        WebSocket: hubWebSocket(resolved, resolved.WebSocket, pins, (error) => reportRefusal(error)),
        outboxStore,
        hubBookStore: resolved.hubBookStore ?? defaultHubBookStore(),
        directFallback: directFallbackOf(config, resolved),
      },
    );
    reportRefusal = (error) => transport['report'](error);
    return transport;
  }
  const odooUrl = config.odoo_url ?? resolved.pageOrigin;
  const problems: string[] = [];
  if (!resolved.fetch) problems.push('deps.fetch: direct mode needs fetch');
  if (!odooUrl) problems.push('odoo_url: direct mode needs the Odoo base URL');
  if (config.session_id === undefined) problems.push('session_id: direct mode needs the open pos.session id');
  if (problems.length > 0 || !resolved.fetch || !odooUrl || config.session_id === undefined) {
    throw new HubError('CONFIG_INVALID', `cannot start direct mode: ${problems.join('; ')}`);
  }
  return new DirectTransport(
    {
      odooUrl,
      sessionId: config.token ?? '',
      posSessionId: config.session_id,
      pricelistId: config.pricelist_id ?? 1,
      ...(config.pollIntervalMs === undefined ? {} : { pollIntervalMs: config.pollIntervalMs }),
      ...(config.outboxBackoff === undefined ? {} : { outboxBackoff: config.outboxBackoff }),
    },
    { ...resolved, fetch: resolved.fetch, outboxStore },
  );
}
