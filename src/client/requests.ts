/**
 * Promises for requests the hub answers asynchronously (lease, table lock, finalize, snapshot acks),
 * keyed by what the reply names (posReference, tableId, mutationId) since the wire has no request id.
 * Every request has a timeout on the injected clock; a repeated request for the same key shares one.
 */
import type { ClientClock } from './deps.js';

interface Pending {
  readonly promise: Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: unknown;
}

export class PendingRequests {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly clock: ClientClock) {}

  /** Wait for `key` to be resolved; rejects with onTimeout() after `timeoutMs`. */
  wait<T>(key: string, timeoutMs: number, onTimeout: () => unknown): Promise<T> {
    const existing = this.pending.get(key);
    if (existing) return existing.promise as Promise<T>;
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = this.clock.setTimeout(() => {
      if (this.pending.get(key)?.promise !== promise) return;
      this.pending.delete(key);
      reject(onTimeout());
    }, timeoutMs);
    this.pending.set(key, { promise, resolve, reject, timer });
    return promise as Promise<T>;
  }

  has(key: string): boolean {
    return this.pending.has(key);
  }

  keys(): string[] {
    return [...this.pending.keys()];
  }

  resolve(key: string, value: unknown): boolean {
    const p = this.take(key);
    p?.resolve(value);
    return p !== undefined;
  }

  reject(key: string, error: unknown): boolean {
    const p = this.take(key);
    p?.reject(error);
    return p !== undefined;
  }

  private take(key: string): Pending | undefined {
    const p = this.pending.get(key);
    if (!p) return undefined;
    this.pending.delete(key);
    this.clock.clearTimeout(p.timer);
    return p;
  }
}
