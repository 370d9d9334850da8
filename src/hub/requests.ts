/**
 * The hub's requests to every shard at once (reset and shutdown send the same one to each). Requests to
 * the writer are single `writer.request(type, input)` calls of the typed thread contract (src/threads).
 */
import type { FrontToShard } from '../threads/contract.js';
import type { InputArgs, InputOf, ResultOf } from '../threads/rpc.js';
import type { ShardLink } from './workers.js';

type NoInputShardRequest = 'quiesce' | 'reload' | 'collect_metrics' | 'stop';

export function requestAll<K extends NoInputShardRequest>(shards: readonly ShardLink[], type: K): Promise<Array<ResultOf<FrontToShard, K>>> {
  // Each of these takes no input, so the call spreads an empty argument list.
  return Promise.all(shards.map((s) => s.request<K>(type, ...([] as unknown as InputArgs<InputOf<FrontToShard, K>>))));
}
