/**
 * The one typed RPC every thread pair speaks (front↔shard, front↔writer, shard↔writer). A contract is a
 * map of request type → { input, result } plus a map of one-way event type → payload (./contract.ts);
 * the caller gets `request(type, input): Promise<result>` and `emit(type, payload)`, the callee
 * `serve(handlers)` typed by the same map (a missing handler is a compile error). One envelope, one
 * pending-request table that fails everything pending when the peer thread dies, and one guarded post:
 * a message structured clone refuses is left out alone and reported, and the rest is delivered.
 * Carrier-agnostic (a Worker, parentPort or a MessagePort is wired by its owner), so no node: import.
 */
import { HubError, toHubError, type HubErrorData } from '../protocol/errors.js';

/** What one side of a pair answers (`requests`) and hears (`events`). Declared as `type`s, not interfaces. */
export interface Contract {
  readonly requests: Record<string, { readonly input: unknown; readonly result: unknown }>;
  readonly events: Record<string, unknown>;
}

export type RequestType<C extends Contract> = keyof C['requests'] & string;
export type InputOf<C extends Contract, K extends RequestType<C>> = C['requests'][K]['input'];
export type ResultOf<C extends Contract, K extends RequestType<C>> = C['requests'][K]['result'];
export type EventType<C extends Contract> = keyof C['events'] & string;

/** One event of a contract as a discriminated union on `type` (what an event handler switches on). */
export type EventOf<C extends Contract> = {
  [K in EventType<C>]: { readonly type: K; readonly input: C['events'][K] };
}[EventType<C>];

/** Requests without input take no argument. */
export type InputArgs<I> = [I] extends [undefined] ? [] : [input: I];

export type RequestHandlers<C extends Contract> = {
  readonly [K in RequestType<C>]: (input: InputOf<C, K>) => ResultOf<C, K> | Promise<ResultOf<C, K>>;
};

export interface Handlers<C extends Contract> {
  readonly requests: RequestHandlers<C>;
  /** Every event, in arrival order; switch on `type` exhaustively. */
  readonly events: (event: EventOf<C>) => void;
  /** After each received batch (the shard runs a batch's actor inputs and flushes once). */
  readonly afterBatch?: () => void;
}

/** The one envelope on every port. Posted in arrays (a batch per turn, or one at a time). */
export type Envelope =
  | { readonly rpc: 'event'; readonly type: string; readonly input: unknown }
  | { readonly rpc: 'request'; readonly id: number; readonly type: string; readonly input: unknown }
  | { readonly rpc: 'reply'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly rpc: 'reply'; readonly id: number; readonly ok: false; readonly error: HubErrorData };

/** What a caller holds of a peer: the front's view of a shard or the writer, a shard's of the writer. */
export interface Caller<C extends Contract> {
  request<K extends RequestType<C>>(type: K, ...input: InputArgs<InputOf<C, K>>): Promise<ResultOf<C, K>>;
  emit<K extends EventType<C>>(type: K, input: C['events'][K]): void;
}

export interface EndpointOptions<Out extends Contract> {
  /** The peer, named in errors ("a message to shard-0 …"). */
  readonly peer: string;
  /** Hand an array of envelopes to the carrier; throws when structured clone refuses a value. */
  readonly post: (batch: readonly Envelope[]) => void;
  /** Given: messages are queued and posted once per turn, `defer` scheduling the flush. Absent: posted at once. */
  readonly defer?: (flush: () => void) => void;
  /**
   * A message structured clone refused was left out (its request rejected, or its reply turned into an
   * INTERNAL error). `event` is the refused event, so its sender can send a smaller one instead.
   */
  readonly onUnsendable?: (error: HubError, event: EventOf<Out> | null) => void;
}

/** One side of a thread pair: calls the peer's contract `Out`, serves its own contract `In`. */
export class Endpoint<Out extends Contract, In extends Contract> implements Caller<Out> {
  private queue: Envelope[] = [];
  private scheduled = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: HubError): void }>();
  private dead: HubError | null = null;
  private handlers: Handlers<In> | null = null;
  /** Batches that arrived before serve(): handled, in order, as soon as it is called. */
  private early: unknown[] = [];

  constructor(private readonly options: EndpointOptions<Out>) {}

  /** Why the peer is gone, or null while it lives. */
  get failed(): HubError | null {
    return this.dead;
  }

  request<K extends RequestType<Out>>(type: K, ...input: InputArgs<InputOf<Out, K>>): Promise<ResultOf<Out, K>> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<ResultOf<Out, K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.post({ rpc: 'request', id, type, input: input[0] });
    });
  }

  emit<K extends EventType<Out>>(type: K, input: Out['events'][K]): void {
    this.post({ rpc: 'event', type, input });
  }

  /** The same, for an event already in its union form (a relay of what another part produced). */
  send(event: EventOf<Out>): void {
    this.post({ rpc: 'event', type: event.type, input: event.input });
  }

  serve(handlers: Handlers<In>): void {
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const batch of early) this.receive(batch);
  }

  /** The carrier's message listener: one array of envelopes (a bare envelope is taken as a batch of one). */
  receive(data: unknown): void {
    const handlers = this.handlers;
    if (handlers === null) {
      this.early.push(data);
      return;
    }
    const batch = (Array.isArray(data) ? data : [data]) as Envelope[];
    for (const envelope of batch) {
      switch (envelope.rpc) {
        case 'event':
          handlers.events(envelope as unknown as EventOf<In>);
          break;
        case 'request':
          this.answer(handlers, envelope);
          break;
        case 'reply': {
          const waiter = this.pending.get(envelope.id);
          this.pending.delete(envelope.id);
          if (waiter === undefined) break;
          if (envelope.ok) waiter.resolve(envelope.result);
          else waiter.reject(HubError.fromData(envelope.error));
          break;
        }
        default: {
          const unreachable: never = envelope;
          throw new Error(`unknown envelope from ${this.options.peer}: ${JSON.stringify(unreachable)}`);
        }
      }
    }
    handlers.afterBatch?.();
  }

  /** The peer thread is gone: every pending request fails with `error`, and so does every later one. */
  fail(error: HubError): void {
    if (this.dead) return;
    this.dead = error;
    this.queue = [];
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  /** Post what this turn queued (the carrier calls it before an expected shutdown). */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || this.dead) return;
    const batch = this.queue;
    this.queue = [];
    this.postGuarded(batch);
  }

  private answer(handlers: Handlers<In>, request: Extract<Envelope, { rpc: 'request' }>): void {
    const { id, type } = request;
    const handler = (handlers.requests as Record<string, ((input: unknown) => unknown) | undefined>)[type];
    const settle = (value: unknown): void => this.post({ rpc: 'reply', id, ok: true, result: value });
    const refuse = (error: unknown): void =>
      this.post({ rpc: 'reply', id, ok: false, error: toHubError(error).toData() });
    let result: unknown;
    try {
      if (handler === undefined) throw new HubError('INTERNAL', `${type} is not a request this thread answers`);
      result = handler(request.input);
    } catch (error) {
      refuse(error);
      return;
    }
    // A synchronous answer leaves at once, ahead of anything this thread sends after it (a load's seed
    // before the key loads that follow it on the same port).
    if (result instanceof Promise) result.then(settle, refuse);
    else settle(result);
  }

  private post(envelope: Envelope): void {
    if (this.dead) return;
    if (this.options.defer === undefined) {
      this.postGuarded([envelope]);
      return;
    }
    this.queue.push(envelope);
    if (this.scheduled) return;
    this.scheduled = true;
    this.options.defer(() => this.flush());
  }

  private postGuarded(batch: readonly Envelope[]): void {
    try {
      this.options.post(batch);
    } catch (error) {
      // One message that cannot be cloned must not take the batch, or the thread, with it.
      if (batch.length === 1 && batch[0] !== undefined) this.unsendable(batch[0], error);
      else for (const envelope of batch) this.postGuarded([envelope]);
    }
  }

  private unsendable(envelope: Envelope, cause: unknown): void {
    const error = new HubError('INTERNAL', `a message to ${this.options.peer} could not be sent between threads`, {
      cause,
    });
    switch (envelope.rpc) {
      case 'request': {
        const waiter = this.pending.get(envelope.id);
        this.pending.delete(envelope.id);
        waiter?.reject(error);
        this.options.onUnsendable?.(error, null);
        return;
      }
      case 'reply':
        this.options.onUnsendable?.(error, null);
        // The caller still gets an answer: that its reply could not cross (an error always clones).
        if (envelope.ok)
          this.postGuarded([
            {
              rpc: 'reply',
              id: envelope.id,
              ok: false,
              error: new HubError('INTERNAL', 'the reply could not be sent between threads').toData(),
            },
          ]);
        return;
      case 'event':
        this.options.onUnsendable?.(error, envelope as unknown as EventOf<Out>);
        return;
      default: {
        const unreachable: never = envelope;
        throw new Error(`unknown envelope ${JSON.stringify(unreachable)}`);
      }
    }
  }
}
