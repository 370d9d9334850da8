/**
 * The one way tests wait: on events. `waitFor` resolves when a push source (an EventEmitter, a child's
 * stdout lines, a socket's messages, a hub's dashboard pushes, an SDK transport's callbacks) delivers a
 * value a predicate accepts; `until` re-checks a condition each time one of its sources fires. Both reject
 * after a deadline with a message naming what they waited for. `pollUntil` is the one documented
 * exception, for state only readable by asking (a remote process's HTTP endpoint with no push channel).
 */
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import WebSocket from 'ws';
import type { SyncTransport } from '../../src/client/types.js';

/** A push source: subscribe a listener, get back the call that unsubscribes it. */
export type EventSource<T = unknown> = (listener: (value: T) => void) => () => void;

/** Long enough for a loaded two-core machine; only reached when the awaited thing never happens. */
export const WAIT_LIMIT_MS = 20_000;

/** Resolves with the first value from `source` that `accept` takes; rejects after `limitMs` naming `what`. */
export function waitFor<T>(source: EventSource<T>, accept: (value: T) => boolean, what: string, limitMs = WAIT_LIMIT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let unsubscribe: () => void = () => undefined;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      unsubscribe();
      settle();
    };
    const limit = setTimeout(() => finish(() => reject(new Error(`timed out after ${limitMs} ms waiting for ${what}`))), limitMs);
    unsubscribe = source((value) => {
      let accepted: boolean;
      try {
        accepted = accept(value);
      } catch (error) {
        finish(() => reject(error instanceof Error ? error : new Error(String(error))));
        return;
      }
      if (accepted) finish(() => resolve(value));
    });
    // A source may deliver synchronously while subscribing; the limit timer is then already cleared.
    if (done) unsubscribe();
  });
}

/**
 * Resolves once `check()` holds: checked now, then again each time any of `on` fires. Use it when the
 * condition reads state the sources' callbacks update (arrays a test fills from SDK callbacks, counters).
 */
export async function until(check: () => boolean, what: string, on: EventSource | readonly EventSource[], limitMs = WAIT_LIMIT_MS): Promise<void> {
  if (check()) return;
  const sources: readonly EventSource[] = Array.isArray(on) ? on : [on as EventSource];
  await waitFor(anyOf(...sources), () => check(), what, limitMs);
}

/** Bounds a promise a component resolves on its own event (the Odoo simulator's `waitForHandled`, say). */
export function within<T>(promise: Promise<T>, what: string, limitMs = WAIT_LIMIT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error(`timed out after ${limitMs} ms waiting for ${what}`)), limitMs);
    promise.then(
      (value) => {
        clearTimeout(limit);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(limit);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** One source out of several: fires whenever any of them fires. */
export function anyOf<T>(...sources: ReadonlyArray<EventSource<T>>): EventSource<T> {
  return (listener) => {
    const offs = sources.map((source) => source(listener));
    return () => {
      for (const off of offs) off();
    };
  };
}

/** Every `events` emission of an EventEmitter (the first argument is the value). */
export function fromEmitter<T = unknown>(emitter: EventEmitter, ...events: readonly string[]): EventSource<T> {
  return (listener) => {
    const on = (value: T): void => listener(value);
    for (const event of events) emitter.on(event, on);
    return () => {
      for (const event of events) emitter.off(event, on);
    };
  };
}

/**
 * Each complete line a stream writes (a child's stdout or stderr). Lines already written before the
 * subscription are not replayed: subscribe before the child can print what you wait for.
 */
export function linesOf(stream: Readable): EventSource<string> {
  return (listener) => {
    let partial = '';
    const onData = (chunk: Buffer | string): void => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) listener(line);
    };
    stream.on('data', onData);
    return () => stream.off('data', onData);
  };
}

/** Each message a `ws` socket receives, as text; a close arrives as `null` so a predicate can give up. */
export function messagesOf(socket: WebSocket): EventSource<string | null> {
  return (listener) => {
    const onMessage = (data: WebSocket.RawData): void => listener((Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8'));
    const onClose = (): void => listener(null);
    socket.on('message', onMessage);
    socket.on('close', onClose);
    return () => {
      socket.off('message', onMessage);
      socket.off('close', onClose);
    };
  };
}

/**
 * Every callback of `SyncTransport` (src/client/types.ts); the `satisfies` check fails to compile when
 * the SDK renames one, so a wait cannot silently stop hearing about a kind of change.
 */
const TRANSPORT_CALLBACKS = [
  'onLeaseRevoked',
  'onLeaseReleased',
  'onOrderUpdated',
  'onConflict',
  'onSyncInit',
  'onOrderAcked',
  'onTableUpdated',
  'onFloorPlanChanged',
  'onTableLockRevoked',
  'onTableLockReleased',
  'onTableLocked',
  'onOrderFinalized',
  'onStateChange',
  'onOutboxChange',
  'onError',
  'onResync',
] as const satisfies ReadonlyArray<keyof SyncTransport>;

/**
 * Any callback of one or more SDK transports: a condition on a transport's state, its outbox or what
 * its callbacks collected can change only then.
 */
export function changesOf(...transports: readonly SyncTransport[]): EventSource {
  return (listener) => {
    const offs: Array<() => void> = [];
    for (const transport of transports) {
      for (const name of TRANSPORT_CALLBACKS) {
        const subscribe = transport[name] as (handler: (value: unknown) => void) => () => void;
        offs.push(subscribe.call(transport, (value: unknown) => listener(value)));
      }
    }
    return () => {
      for (const off of offs) off();
    };
  };
}

/** A hub's health as its dashboard socket pushes it (on connect and on every change). */
export interface DashboardPush {
  type: string;
  state: { health: Record<string, unknown> & { status?: string; odooReachable?: boolean; connectedTerminals?: number; pendingForward?: number } };
}

/**
 * Opens the hub's dashboard socket (authenticated with the admin token) and waits until a push passes
 * `accept`: the push channel for hub state a test would otherwise poll /health for.
 */
export async function waitForDashboard(wsUrl: string, adminToken: string, accept: (push: DashboardPush) => boolean, what: string, limitMs = WAIT_LIMIT_MS): Promise<DashboardPush> {
  const socket = new WebSocket(`${wsUrl}/dashboard`);
  // The dashboard pushes only after the admin token.
  socket.once('open', () => socket.send(JSON.stringify({ type: 'auth', token: adminToken })));
  socket.on('error', () => undefined);
  try {
    const text = await waitFor(
      messagesOf(socket),
      (message) => {
        if (message === null) throw new Error(`the dashboard socket closed while waiting for ${what}`);
        const push = JSON.parse(message) as Partial<DashboardPush>;
        return push.type === 'state' && push.state !== undefined && accept(push as DashboardPush);
      },
      what,
      limitMs,
    );
    return JSON.parse(text as string) as DashboardPush;
  } finally {
    socket.close();
  }
}

/**
 * The one polling wait, for state that nothing pushes: another process's HTTP endpoint (the Odoo
 * simulator's call counters, for one). Asks every `everyMs` until `check` holds, at most `limitMs`.
 */
export async function pollUntil(check: () => boolean | Promise<boolean>, what: string, { everyMs = 25, limitMs = WAIT_LIMIT_MS }: { everyMs?: number; limitMs?: number } = {}): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
