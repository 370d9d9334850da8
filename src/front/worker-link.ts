/**
 * The front thread's handle on one worker: messages posted in one batch per event-loop turn, requests
 * matched to replies by id, and — when the thread dies — every pending request rejected at once with
 * WORKER_DIED and the death reported, so the hub can exit instead of running half a system.
 */
import type { Worker } from 'node:worker_threads';
import { HubError, causeOf, describeCause, type HubErrorData } from '../protocol/errors.js';

type Reply = { kind: 'reply'; reqId: number; ok: true; value: unknown } | { kind: 'reply'; reqId: number; ok: false; error: HubErrorData };

export interface WorkerLinkOptions<Out> {
  readonly name: string;
  readonly worker: Worker;
  /** Every non-reply message from the worker, in order. */
  readonly onMessage: (message: Out) => void;
  /** Called once when the worker exits or errors while the link is open. */
  readonly onDeath: (error: HubError) => void;
  /** A message that could not be cloned was left out (its request, if any, rejected); the hub logs and counts it. */
  readonly onUnsendable?: (error: HubError) => void;
}

export class WorkerLink<In, Out extends { kind: string }> {
  private batch: In[] = [];
  private scheduled = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: HubError): void }>();
  private dead: HubError | null = null;
  private closing = false;
  /** What the worker said killed it (its `fatal` message): the death carries this cause, not just an exit code. */
  private reported: HubError | null = null;

  constructor(private readonly options: WorkerLinkOptions<Out>) {
    const { worker } = options;
    worker.on('message', (message: Out | Reply) => {
      if (message.kind === 'reply') {
        const reply = message as Reply;
        const waiter = this.pending.get(reply.reqId);
        this.pending.delete(reply.reqId);
        if (!waiter) return;
        if (reply.ok) waiter.resolve(reply.value);
        else waiter.reject(HubError.fromData(reply.error));
        return;
      }
      if (message.kind === 'fatal') this.reported = HubError.fromData((message as unknown as { error: HubErrorData }).error);
      options.onMessage(message as Out);
    });
    // An error thrown in a worker arrives structured-cloned: a SqliteError as a bare `{code}`, no message.
    worker.on('error', (error: unknown) => {
      const cause = causeOf(error);
      this.die(this.reported ?? new HubError('WORKER_DIED', `${options.name} failed: ${describeCause(cause)}`, { cause: error, details: { cause } }));
    });
    worker.on('exit', (code) => this.die(this.reported ?? new HubError('WORKER_DIED', `${options.name} exited with code ${code}`)));
  }

  get name(): string {
    return this.options.name;
  }

  private die(error: HubError): void {
    if (this.dead) return;
    this.dead = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    if (!this.closing) this.options.onDeath(error);
  }

  /** Queue a message; everything queued this turn goes in one postMessage. */
  post(message: In): void {
    if (this.dead) return;
    this.batch.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.batch.length === 0 || this.dead) return;
    const batch = this.batch;
    this.batch = [];
    try {
      this.options.worker.postMessage(batch);
    } catch {
      // One message that cannot be cloned must not take the batch, or the front thread, with it.
      for (const message of batch) this.postOne(message);
    }
  }

  private postOne(message: In): void {
    try {
      this.options.worker.postMessage([message]);
    } catch (error) {
      const hubError = new HubError('INTERNAL', `a message to ${this.options.name} could not be sent between threads`, { cause: error });
      const reqId = (message as { kind?: unknown; reqId?: unknown }).kind === 'request' ? (message as { reqId?: unknown }).reqId : undefined;
      const waiter = typeof reqId === 'number' ? this.pending.get(reqId) : undefined;
      if (typeof reqId === 'number') this.pending.delete(reqId);
      waiter?.reject(hubError);
      this.options.onUnsendable?.(hubError);
    }
  }

  request<R>(make: (reqId: number) => In): Promise<R> {
    if (this.dead) return Promise.reject(this.dead);
    const reqId = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(reqId, { resolve: resolve as (v: unknown) => void, reject });
      this.post(make(reqId));
    });
  }

  /** Expected shutdown: exits after this are not deaths. */
  async terminate(): Promise<void> {
    this.closing = true;
    this.flush();
    await this.options.worker.terminate();
  }
}
