/**
 * The hub's requests to its workers: one to the writer, or the same one to every shard. Each is one
 * `link.request(...)` expression, the thread contract's call site.
 */
import type { ShardRequest, WriterRequest } from '../../workers/protocol.js';
import type { ShardLink, WriterLink } from './workers.js';

export function writerRequest<R>(writer: WriterLink, req: WriterRequest): Promise<R> {
  return writer.request<R>((reqId) => ({ kind: 'request', reqId, req }));
}

export function requestAll<R>(shards: readonly ShardLink[], req: ShardRequest): Promise<R[]> {
  return Promise.all(shards.map((s) => s.request<R>((reqId) => ({ kind: 'request', reqId, req }))));
}
