/**
 * The wire protocol shared by the hub and the terminal SDK: schemas, message unions, codecs,
 * error and close codes. Browser-safe: nothing here may import node: modules (its tsconfig has no types).
 */
export * from './constants.js';
export * from './errors.js';
export * from './close-codes.js';
export * from './snapshot.js';
export * from './terminal-messages.js';
export * from './hub-messages.js';
export * from './parse.js';
export * from './codec.js';
export * from './hub-identity.js';
export * from './negotiation.js';
export * from './frame-limits.js';
