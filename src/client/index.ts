/**
 * pos-hub terminal SDK: the public surface a POS frontend imports (and what the browser bundle
 * src/public/sdk/pos-hub-sdk.js exposes). Browser-safe: protocol and domain only, no node: modules.
 */
export { createTransport, type Transport, type TransportBootstrapConfig } from './create-transport.js';
export { HubTransport, CLIENT_CLOSE, type HubTransportOptions, type HubTransportDeps } from './hub-transport.js';
export { DirectTransport, type DirectTransportOptions, type DirectTransportDeps } from './direct-transport.js';
export { hubCandidates, DEFAULT_HUB_PORT, type HubBootstrapFields, type DiscoveryDeps, type HubAdvert, type HubCandidate, type DiscoveryAnswer } from './discovery.js';
export { HUB_BOOK_STORAGE_KEY, memoryHubBookStore, localStorageHubBookStore, defaultHubBookStore, type HubBookStore, type HubMemory, type KnownHub } from './hub-book.js';
export { HUB_LOSS_FALLBACK_MS } from './hub-loss-fallback.js';
export { toWebSocketUrl } from './hub-socket.js';
export {
  OUTBOX_STORAGE_KEY,
  OUTBOX_ACTIONS,
  memoryOutboxStore,
  localStorageOutboxStore,
  defaultOutboxStore,
  parseOutboxEntries,
  type OutboxAction,
  type OutboxEntry,
  type OutboxStore,
  type StorageLike,
} from './outbox-store.js';
export { Outbox, replaceKeyOf } from './outbox.js';
export { backoffDelay, RECONNECT_BACKOFF, OUTBOX_BACKOFF, type BackoffPolicy } from './backoff.js';
export { domainReconciler } from './default-reconciler.js';
export { sameSnapshot, stableStringify, type Reconciler, type ReconcileInput, type ReconcileOutcome } from './reconcile.js';
export { resolveDeps, uuidV4, type TransportDeps, type ClientClock, type WebSocketLike, type WebSocketCtor, type FetchLike } from './deps.js';
export { toCreateFromUiOrder, odooDatetime } from './odoo-order-payload.js';
export { OdooRpc } from './odoo-rpc.js';
export type * from './types.js';
export { HubError, ERROR_CODES, type ErrorCode } from '../protocol/errors.js';
export { CLOSE_CODES } from '../protocol/close-codes.js';
export { generatePosReference } from '../domain/pos-reference.js';
export { DEFAULT_HUB_TLS_PORT } from './discovery.js';
export { verifyHubIdentity, type IdentityCheckDeps, type SubtleLike } from './hub-identity.js';
