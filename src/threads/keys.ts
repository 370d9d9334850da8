/**
 * Every key the hub spells as a string, in one place: actor keys (`t:<tableId>` for a table,
 * `o:<posReference>` for an order without a table), the shard an actor key hashes to, and the fencing
 * epoch keys stored in SQLite (`lease:<posReference>`, `lock:<tableId>`). The front, the shards, the
 * writer and the store format and parse them only through these functions, so they always agree.
 */

/** Actor address: `t:<tableId>` for a table, `o:<posReference>` for an order without a table. */
export type ActorKey = string;

const TABLE = 't:';
const ORDER = 'o:';
const LEASE_EPOCH = 'lease:';
const LOCK_EPOCH = 'lock:';

export function tableKey(tableId: number): ActorKey {
  return `${TABLE}${tableId}`;
}

export function orderKey(posReference: string): ActorKey {
  return `${ORDER}${posReference}`;
}

export function isTableKey(key: ActorKey): boolean {
  return key.startsWith(TABLE);
}

/** The table an actor key addresses, or null for an order key (or a key no table id can come from). */
export function tableIdOfKey(key: ActorKey): number | null {
  if (!key.startsWith(TABLE)) return null;
  const id = Number(key.slice(TABLE.length));
  return Number.isInteger(id) && id > 0 ? id : null;
}

/**
 * Which shard owns an actor: a stable FNV-1a hash of its key, so the front, the shards and the writer
 * (rebuilding shards from SQLite) agree without talking.
 */
export function shardOf(key: ActorKey, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/** The stored key of an order lease's last granted epoch (it outlives the lease row). */
export function leaseEpochKey(posReference: string): string {
  return `${LEASE_EPOCH}${posReference}`;
}

/** The stored key of a table lock's last granted epoch. */
export function lockEpochKey(tableId: number): string {
  return `${LOCK_EPOCH}${tableId}`;
}

/** What a stored epoch key fences, or null for a key neither function above wrote. */
export function parseEpochKey(
  key: string,
):
  | { readonly kind: 'lease'; readonly posReference: string }
  | { readonly kind: 'lock'; readonly tableId: number }
  | null {
  if (key.startsWith(LEASE_EPOCH)) return { kind: 'lease', posReference: key.slice(LEASE_EPOCH.length) };
  if (key.startsWith(LOCK_EPOCH)) {
    const tableId = Number(key.slice(LOCK_EPOCH.length));
    return Number.isInteger(tableId) && tableId > 0 ? { kind: 'lock', tableId } : null;
  }
  return null;
}
