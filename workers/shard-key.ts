/**
 * Which shard owns an actor: a stable FNV-1a hash of the actor key, so the front, the shards and the
 * writer (rebuilding shards from SQLite) agree without talking. Tables key as `t:<id>`, orders without
 * a table as `o:<posReference>`.
 */
import type { ActorKey } from '../actors/table/types.js';

export function tableKey(tableId: number): ActorKey {
  return `t:${tableId}`;
}

export function orderKey(posReference: string): ActorKey {
  return `o:${posReference}`;
}

export function shardOf(key: ActorKey, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}
