/**
 * Promises for requests the hub answers asynchronously, keyed by what the reply names (posReference,
 * tableId, floorId, mutationId) since the wire has no request id. One typed table per kind of request,
 * so a key is never a prefixed string split apart again and a reply can only settle its own kind.
 * Every request has a timeout on the injected clock; a repeated request for the same key shares one.
 */
import type { ErrorCode } from '../protocol/errors.js';
import type { HubMessageOf } from '../protocol/hub-messages.js';
import type { ClientClock } from './deps.js';
import type { FinalizeResult, LeaseResult, TableLockResult, TransferResult } from './types.js';

/** How the hub answered one queued write (an order snapshot, a table status, a floor plan). */
export type WriteOutcome =
  | { readonly kind: 'ack'; readonly version?: number }
  | { readonly kind: 'conflict'; readonly message: HubMessageOf<'CONFLICT'> }
  | { readonly kind: 'lease-denied'; readonly reason: string }
  | { readonly kind: 'error'; readonly code: ErrorCode; readonly message: string; readonly retryAfterMs?: number };

/** A finalize reply, with the hub's "not before" when it refused for a rate (RATE_LIMITED). */
export interface FinalizeReply {
  readonly result: FinalizeResult;
  readonly retryAfterMs?: number;
}

/** Every request that can be waiting for the hub, by the identity its reply carries. */
export type RequestKey =
  | { readonly kind: 'lease'; readonly posReference: string }
  | { readonly kind: 'lock'; readonly tableId: number }
  | { readonly kind: 'finalize'; readonly posReference: string }
  | { readonly kind: 'write'; readonly mutationId: string }
  | { readonly kind: 'transfer'; readonly mutationId: string }
  | { readonly kind: 'table'; readonly tableId: number }
  | { readonly kind: 'floor'; readonly floorId: number };

interface Pending<V> {
  readonly promise: Promise<V>;
  readonly resolve: (value: V) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: unknown;
}

/** The waiting requests of one kind, by their id. */
export class Waiters<Id, V> {
  private readonly pending = new Map<Id, Pending<V>>();

  constructor(private readonly clock: ClientClock) {}

  /** Wait for `id` to be resolved; rejects with onTimeout() after `timeoutMs`. */
  wait(id: Id, timeoutMs: number, onTimeout: () => unknown): Promise<V> {
    const existing = this.pending.get(id);
    if (existing) return existing.promise;
    let resolve!: (value: V) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<V>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = this.clock.setTimeout(() => {
      if (this.pending.get(id)?.promise !== promise) return;
      this.pending.delete(id);
      reject(onTimeout());
    }, timeoutMs);
    this.pending.set(id, { promise, resolve, reject, timer });
    return promise;
  }

  has(id: Id): boolean {
    return this.pending.has(id);
  }

  ids(): Id[] {
    return [...this.pending.keys()];
  }

  resolve(id: Id, value: V): boolean {
    const p = this.take(id);
    p?.resolve(value);
    return p !== undefined;
  }

  reject(id: Id, error: unknown): boolean {
    const p = this.take(id);
    p?.reject(error);
    return p !== undefined;
  }

  private take(id: Id): Pending<V> | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    this.clock.clearTimeout(p.timer);
    return p;
  }
}

export class PendingRequests {
  readonly lease: Waiters<string, LeaseResult>;
  readonly lock: Waiters<number, TableLockResult>;
  readonly finalize: Waiters<string, FinalizeReply>;
  /** Order snapshots, by mutationId. */
  readonly write: Waiters<string, WriteOutcome>;
  readonly transfer: Waiters<string, TransferResult>;
  /** TABLE_UPDATE, by table: its answer is the TABLE_UPDATED broadcast or an ERROR naming the table. */
  readonly table: Waiters<number, WriteOutcome>;
  /** FLOOR_PLAN_UPDATE, by floor: answered by FLOOR_PLAN_CHANGED or an ERROR naming the mutation. */
  readonly floor: Waiters<number, WriteOutcome>;

  constructor(clock: ClientClock) {
    this.lease = new Waiters(clock);
    this.lock = new Waiters(clock);
    this.finalize = new Waiters(clock);
    this.write = new Waiters(clock);
    this.transfer = new Waiters(clock);
    this.table = new Waiters(clock);
    this.floor = new Waiters(clock);
  }

  /** Everything waiting, as typed keys (a dropped socket settles each by its kind). */
  keys(): RequestKey[] {
    return [
      ...this.lease.ids().map((posReference) => ({ kind: 'lease', posReference }) as const),
      ...this.lock.ids().map((tableId) => ({ kind: 'lock', tableId }) as const),
      ...this.finalize.ids().map((posReference) => ({ kind: 'finalize', posReference }) as const),
      ...this.write.ids().map((mutationId) => ({ kind: 'write', mutationId }) as const),
      ...this.transfer.ids().map((mutationId) => ({ kind: 'transfer', mutationId }) as const),
      ...this.table.ids().map((tableId) => ({ kind: 'table', tableId }) as const),
      ...this.floor.ids().map((floorId) => ({ kind: 'floor', floorId }) as const),
    ];
  }
}
