/**
 * Timing and wire constants shared by the hub and the terminal SDK.
 * The numbers are the reference system's documented defaults (reference-system.md §4, §5);
 * the hub's config can override the timings, terminals use these unless told otherwise.
 */

/** Order lease: expiry after the last renewal, heartbeat period, grace after a socket drops. */
export const LEASE_TTL_MS = 60_000;
export const LEASE_HEARTBEAT_MS = 20_000;
export const LEASE_GRACE_MS = 10_000;

/** Table lock: same three timings, shorter TTL. */
export const TABLE_LOCK_TTL_MS = 45_000;
export const TABLE_LOCK_HEARTBEAT_MS = 15_000;
export const TABLE_LOCK_GRACE_MS = 10_000;

/** A terminal must send AUTH within this long after the socket opens. */
export const AUTH_TIMEOUT_MS = 10_000;

/** The seed's troubleshooting: a LEASE_ACQUIRE unanswered for 10 s is reported as lost. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** WebSocket subprotocol a terminal offers to get msgpack binary frames both ways. */
export const MSGPACK_SUBPROTOCOL = 'pos-hub.msgpack.v1';

/** WebSocket subprotocol a strict client offers to get JSON text frames (the default without one). */
export const JSON_SUBPROTOCOL = 'pos-hub.json.v1';

/** Bumped only on a breaking wire change; our additions so far are all optional fields. */
export const PROTOCOL_VERSION = 1;

export type Encoding = 'json' | 'msgpack';
