/**
 * The hub's requests to every shard at once (reset and shutdown send the same one to each). Requests to
 * the writer are single `writer.request(type, input)` calls of the typed thread contract (src/threads).
 */
import type { FrontToShard, TakeOverCatchUp } from '../threads/contract.js';
import { shardOf } from '../threads/keys.js';
import type { InputArgs, InputOf, ResultOf } from '../threads/rpc.js';
import type { ShardLink } from './workers.js';

type NoInputShardRequest = 'quiesce' | 'reload' | 'collect_metrics' | 'stop';

export function requestAll<K extends NoInputShardRequest>(shards: readonly ShardLink[], type: K): Promise<Array<ResultOf<FrontToShard, K>>> {
  // Each of these takes no input, so the call spreads an empty argument list.
  return Promise.all(shards.map((s) => s.request<K>(type, ...([] as unknown as InputArgs<InputOf<FrontToShard, K>>))));
}

/**
 * A promoted follower's shards take its tail's catch-up instead of a reload: each its own grant holders
 * (by the key's shard), all of them the keys and orders to drop, and the takeover's storage generation.
 */
export function catchUpAll(shards: readonly ShardLink[], generation: number, catchUp: TakeOverCatchUp): Promise<Array<{ actors: number }>> {
  const refresh = { keys: catchUp.keys, posReferences: catchUp.posReferences };
  return Promise.all(
    shards.map((s, index) => s.request('catch_up', { generation, refresh, seeds: catchUp.seeds.filter((seed) => shardOf(seed.key, shards.length) === index) })),
  );
}
