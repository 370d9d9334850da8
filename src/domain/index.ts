/**
 * The order domain, shared by the hub (table actors validate every snapshot with it) and the
 * browser SDK (terminals run the same rules offline). Pure: imports only src/protocol. The XState
 * view of an order (order.machine.ts) is left out on purpose: neither the hub nor the SDK runs it, and
 * exporting it here would put XState in the SDK bundle; its tests import it from its own file.
 */
export * from './result.js';
export * from './pricing.js';
export * from './kitchen-status.js';
export * from './lifecycle.js';
export * from './order-ops.js';
export * from './split-transfer.js';
export * from './snapshot-compare.js';
export * from './validate-snapshot.js';
export * from './order-values.js';
export * from './reconcile.js';
export * from './pos-reference.js';
