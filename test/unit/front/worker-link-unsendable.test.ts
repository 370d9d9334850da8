/**
 * Issue 12, item 2: a message to a worker that structured clone cannot copy (a value too deep for it, a
 * function) is left out alone — its request rejected, onUnsendable told — while the rest of its batch
 * still reaches the worker and the front thread carries on. It used to throw out of a setImmediate.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { WorkerLink } from '../../../src/front/worker-link.js';
import type { HubError, HubErrorData } from '../../../src/protocol/errors.js';

type Counter = { requests: { take: { input: unknown; result: string } }; events: { note: { text: unknown } } };
type CounterEvents = { requests: Record<never, never>; events: { seen: { count: number }; fatal: HubErrorData } };

const COUNTER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (batch) => {
  parentPort.postMessage([{ rpc: 'event', type: 'seen', input: { count: batch.length } }]);
  for (const m of batch) if (m.rpc === 'request') parentPort.postMessage([{ rpc: 'reply', id: m.id, ok: true, result: 'ok' }]);
});`;

function deep(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { d: v };
  return v;
}

describe('WorkerLink with a message structured clone cannot copy', () => {
  it('leaves that one out, rejects its request, reports it and delivers the rest', async () => {
    const seen: number[] = [];
    const unsendable: HubError[] = [];
    const link = new WorkerLink<Counter, CounterEvents>({
      name: 'counter',
      worker: new Worker(COUNTER, { eval: true }),
      onEvent: (e) => {
        if (e.type === 'seen') seen.push(e.input.count);
      },
      onDeath: () => undefined,
      onUnsendable: (e) => unsendable.push(e),
    });
    link.emit('note', { text: 'first' });
    const bad = link.request('take', deep(100_000));
    const fn = link.request('take', () => 1);
    const good = link.request('take', 'fine');
    await expect(bad).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'a message to counter could not be sent between threads',
    });
    await expect(fn).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(good).resolves.toBe('ok');
    expect(unsendable).toHaveLength(2);
    // The two good messages went one by one after the batch failed.
    expect(seen).toEqual([1, 1]);
    await link.terminate();
  });
});
