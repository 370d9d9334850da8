/**
 * The front thread's handle on one worker: the typed RPC endpoint (src/threads/rpc.ts) carried by a
 * Worker, posting in one batch per event-loop turn, and — when the thread dies — every pending request
 * rejected at once with WORKER_DIED and the death reported, so the hub can exit instead of running
 * half a system. The death carries the cause the worker reported (its `fatal` event) when it sent one.
 */
import type { Worker } from 'node:worker_threads';
import { HubError, causeOf, describeCause, type HubErrorData } from '../protocol/errors.js';
import {
  Endpoint,
  type Caller,
  type Contract,
  type EventOf,
  type EventType,
  type InputArgs,
  type InputOf,
  type RequestHandlers,
  type RequestType,
  type ResultOf,
} from '../threads/rpc.js';

/** What a worker may tell the front: at least its own fatal error. Workers answer no requests of the front's. */
export type WorkerEvents = Contract & {
  readonly requests: Record<never, never>;
  readonly events: { readonly fatal: HubErrorData };
};

export interface WorkerLinkOptions<In extends WorkerEvents> {
  readonly name: string;
  readonly worker: Worker;
  /** Every event from the worker, in order (its `fatal` too). */
  readonly onEvent: (event: EventOf<In>) => void;
  /** Called once when the worker exits or errors while the link is open. */
  readonly onDeath: (error: HubError) => void;
  /** A message that could not be cloned was left out (its request, if any, rejected); the hub logs and counts it. */
  readonly onUnsendable?: (error: HubError) => void;
}

/** `Out`: the worker's contract (what the front asks and tells it); `In`: the events it sends back. */
export class WorkerLink<Out extends Contract, In extends WorkerEvents> implements Caller<Out> {
  private readonly endpoint: Endpoint<Out, In>;
  private closing = false;
  private dead = false;
  /** What the worker said killed it (its `fatal` event): the death carries this cause, not just an exit code. */
  private reported: HubError | null = null;

  constructor(private readonly options: WorkerLinkOptions<In>) {
    const { worker } = options;
    this.endpoint = new Endpoint<Out, In>({
      peer: options.name,
      post: (batch) => worker.postMessage(batch),
      defer: (flush) => setImmediate(flush),
      ...(options.onUnsendable === undefined ? {} : { onUnsendable: options.onUnsendable }),
    });
    this.endpoint.serve({
      requests: {} as RequestHandlers<In>,
      events: (event) => {
        if (event.type === 'fatal') this.reported = HubError.fromData(event.input as HubErrorData);
        options.onEvent(event);
      },
    });
    worker.on('message', (batch: unknown) => this.endpoint.receive(batch));
    // An error thrown in a worker arrives structured-cloned: a SqliteError as a bare `{code}`, no message.
    worker.on('error', (error: unknown) => {
      const cause = causeOf(error);
      this.die(
        this.reported ??
          new HubError('WORKER_DIED', `${options.name} failed: ${describeCause(cause)}`, {
            cause: error,
            details: { cause },
          }),
      );
    });
    worker.on('exit', (code) =>
      this.die(this.reported ?? new HubError('WORKER_DIED', `${options.name} exited with code ${code}`)),
    );
  }

  get name(): string {
    return this.options.name;
  }

  private die(error: HubError): void {
    if (this.dead) return;
    this.dead = true;
    this.endpoint.fail(error);
    if (!this.closing) this.options.onDeath(error);
  }

  request<K extends RequestType<Out>>(type: K, ...input: InputArgs<InputOf<Out, K>>): Promise<ResultOf<Out, K>> {
    return this.endpoint.request(type, ...input);
  }

  emit<K extends EventType<Out>>(type: K, input: Out['events'][K]): void {
    this.endpoint.emit(type, input);
  }

  /** Post what this turn queued now (before an expected shutdown). */
  flush(): void {
    this.endpoint.flush();
  }

  /** Expected shutdown: exits after this are not deaths. */
  async terminate(): Promise<void> {
    this.closing = true;
    this.endpoint.flush();
    await this.options.worker.terminate();
  }
}
