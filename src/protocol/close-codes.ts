/**
 * WebSocket close codes the hub uses. 1000–1015 are RFC 6455's; 4000–4999 are ours.
 * Each is documented in the README's close-code table (checked by a test).
 */

export const CLOSE_CODES = {
  NORMAL: { code: 1000, meaning: 'Normal closure.' },
  GOING_AWAY: { code: 1001, meaning: 'The hub is shutting down; reconnect later.' },
  MESSAGE_TOO_BIG: { code: 1009, meaning: 'A frame exceeded HUB_MAX_PAYLOAD.' },
  AUTH_TIMEOUT: { code: 4000, meaning: 'No AUTH within 10 s of connecting.' },
  AUTH_FAILED: { code: 4001, meaning: 'AUTH was refused; AUTH_FAIL carries the reason.' },
  PROTOCOL_ABUSE: { code: 4002, meaning: 'Too many invalid frames in a short time.' },
  BACKPRESSURE: { code: 4003, meaning: 'The terminal fell too far behind; reconnect and resync.' },
  REPLACED: { code: 4004, meaning: 'The same deviceId connected again; this older socket is closed.' },
  RESET: { code: 4005, meaning: 'An administrator reset the hub data; reconnect for a fresh SYNC_INIT.' },
  INTERNAL: { code: 4006, meaning: 'An internal failure on the hub; reconnect.' },
  RATE_LIMITED: { code: 4007, meaning: 'Rate limits ignored (HUB_RATE_ABUSE_LIMIT refused frames in 10 s), too many unauthenticated sockets or AUTH attempts from one address; reconnect after a pause.' },
} as const;

export type CloseReason = keyof typeof CLOSE_CODES;
