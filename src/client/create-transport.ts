/**
 * createTransport(): the one entry point a frontend calls after bootstrap. nu_hub_enabled picks hub
 * mode (the hub found by discovery.ts) or the default direct mode (Odoo polling + outbox), exactly
 * as the reference's factory does; platform pieces (WebSocket, storage, clock, fetch) come from deps.
 */
import type { Encoding } from '../protocol/constants.js';
import { HubError } from '../protocol/errors.js';
import type { BackoffPolicy } from './backoff.js';
import { domainReconciler } from './default-reconciler.js';
import { resolveDeps, type TransportDeps } from './deps.js';
import { DirectTransport } from './direct-transport.js';
import { hubCandidates, type HubBootstrapFields } from './discovery.js';
import { HubTransport } from './hub-transport.js';
import { defaultOutboxStore } from './outbox-store.js';
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
}

export type Transport = HubTransport | DirectTransport;

export function createTransport(config: TransportBootstrapConfig, deps: TransportDeps = {}): Transport {
  const resolved = resolveDeps(deps);
  const outboxStore = resolved.outboxStore ?? defaultOutboxStore();
  if (config.nu_hub_enabled === true) {
    if (!resolved.WebSocket) throw new HubError('CONFIG_INVALID', 'hub mode needs a WebSocket implementation: pass deps.WebSocket (e.g. `ws` in Node)');
    return new HubTransport(
      {
        urls: hubCandidates(config, { override: config.hubUrlOverride ?? null, discoverHub: resolved.discoverHub, pageOrigin: resolved.pageOrigin }),
        token: config.token ?? '',
        deviceId: config.deviceId,
        reconcile: config.reconcile ?? domainReconciler(config.sendChangesToKitchen === undefined ? {} : { sendChangesToKitchen: config.sendChangesToKitchen }),
        ...(config.encoding === undefined ? {} : { encoding: config.encoding }),
        ...(config.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: config.requestTimeoutMs }),
        ...(config.reconnectBackoff === undefined ? {} : { reconnectBackoff: config.reconnectBackoff }),
        ...(config.outboxBackoff === undefined ? {} : { outboxBackoff: config.outboxBackoff }),
      },
      { ...resolved, WebSocket: resolved.WebSocket, outboxStore },
    );
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
