/**
 * Promises that say whether they are already settled. The store port (store.ts) is asynchronous because
 * Postgres answers over a socket; the SQLite adapter does its work synchronously and returns promises made
 * here, which carry their outcome. The writer reads that outcome in the same turn (`whenSettled`), so the
 * SQLite default keeps its synchronous commit loop — no microtask hop, no reordering — while Postgres
 * answers continue when they arrive. A rejected one is marked handled: a synchronous reader consumed it.
 */

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

const OUTCOME = Symbol('pos-hub.settled');

type Tagged<T> = Promise<T> & { [OUTCOME]?: Outcome<T> };

/** Run `work` now and return its outcome as a promise that carries it. */
export function settledPromise<T>(work: () => T): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: work() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const promise: Tagged<T> = outcome.ok
    ? Promise.resolve(outcome.value)
    : Promise.reject(outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error)));
  if (!outcome.ok) promise.catch(() => undefined);
  promise[OUTCOME] = outcome;
  return promise;
}

/** The outcome when `value` is a plain value or a promise made by settledPromise; undefined while pending. */
export function outcomeOf<T>(value: T | Promise<T>): Outcome<T> | undefined {
  if (!(value instanceof Promise)) return { ok: true, value };
  return (value as Tagged<T>)[OUTCOME];
}

/**
 * Continue with `value`'s outcome: in this turn when it is known, else when the promise settles. `onValue`
 * throwing is not turned into `onError`: it propagates (synchronously, or as a rejection of the return).
 */
export function whenSettled<T>(
  value: T | Promise<T>,
  onValue: (value: T) => void,
  onError: (error: unknown) => void,
): void {
  const known = outcomeOf(value);
  if (known === undefined) {
    // Not settled yet: a throw inside onValue must still reach the thread's fatal handler, not vanish.
    (value as Promise<T>).then(onValue, onError).catch((error: unknown) => {
      queueMicrotask(() => {
        throw error;
      });
    });
    return;
  }
  if (known.ok) onValue(known.value);
  else onError(known.error);
}

/**
 * `f` applied to the value (or `onError` to the rejection): in this turn, as a settled promise, when the
 * outcome is known, else when it arrives.
 */
export function thenSettled<T, R>(
  value: Promise<T>,
  f: (value: T) => R | Promise<R>,
  onError?: (error: unknown) => R | Promise<R>,
): Promise<R> {
  const known = outcomeOf(value);
  if (known === undefined) return value.then(f, onError);
  let next: R | Promise<R>;
  try {
    if (known.ok) next = f(known.value);
    else if (onError !== undefined) next = onError(known.error);
    else throw known.error;
  } catch (error) {
    return settledPromise<R>(() => {
      throw error;
    });
  }
  const result = next;
  return result instanceof Promise ? result : settledPromise(() => result);
}

/** Every value, in order: settled in this turn when each of them is, else a plain Promise.all. */
export function allSettled<T>(values: readonly Promise<T>[]): Promise<T[]> {
  const out: T[] = [];
  for (const value of values) {
    const known = outcomeOf(value);
    if (known === undefined) return Promise.all(values);
    if (!known.ok) return settledPromise<T[]>(() => {
      throw known.error;
    });
    out.push(known.value);
  }
  return settledPromise(() => out);
}

/** The value itself when it is already known, else the promise (a rejection known now is thrown now). */
export function valueOrPromise<T>(value: T | Promise<T>): T | Promise<T> {
  const known = outcomeOf(value);
  if (known === undefined) return value;
  if (known.ok) return known.value;
  throw known.error;
}
