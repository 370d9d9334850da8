/**
 * The order domain, shared by the hub (table actors validate every snapshot with it) and the
 * browser SDK (terminals run the same rules offline). Pure: imports only src/protocol and xstate.
 */
export * from './result.js';
export * from './pricing.js';
export * from './kitchen-status.js';
export * from './order-ops.js';
export * from './order.machine.js';
export * from './split-transfer.js';
export * from './snapshot-compare.js';
export * from './validate-snapshot.js';
export * from './order-values.js';
export * from './reconcile.js';
export * from './pos-reference.js';
