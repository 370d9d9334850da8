/**
 * WorkerLink on real worker threads (tiny eval workers speaking the RPC envelope): replies matched by
 * id, batching per turn, and — the regression that matters — every pending request rejected with
 * WORKER_DIED at once when the thread dies, reported once through onDeath, and not reported for an
 * expected terminate().
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { WorkerLink } from '../../../src/front/worker-link.js';
import type { HubError, HubErrorData } from '../../../src/protocol/errors.js';

const require = createRequire(import.meta.url);

type Echo = {
  requests: {
    upper: { input: string; result: string };
    die: { input: undefined; result: never };
    hang: { input: undefined; result: never };
  };
  events: { note: { text: string } };
};
type EchoEvents = { requests: Record<never, never>; events: { batch: { size: number }; fatal: HubErrorData } };

const ECHO = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (batch) => {
  parentPort.postMessage([{ rpc: 'event', type: 'batch', input: { size: batch.length } }]);
  for (const m of batch) {
    if (m.rpc !== 'request') continue;
    if (m.type === 'die') process.exit(3);
    if (m.type === 'hang') continue;
    parentPort.postMessage([{ rpc: 'reply', id: m.id, ok: true, result: m.input.toUpperCase() }]);
  }
});`;

function link(onDeath: (e: HubError) => void = () => undefined) {
  const batches: number[] = [];
  const l = new WorkerLink<Echo, EchoEvents>({
    name: 'echo',
    worker: new Worker(ECHO, { eval: true }),
    onEvent: (e) => {
      if (e.type === 'batch') batches.push(e.input.size);
    },
    onDeath,
  });
  return { l, batches };
}

describe('WorkerLink', () => {
  it('matches replies to requests and posts one batch per turn', async () => {
    const { l, batches } = link();
    l.emit('note', { text: 'a' });
    const [a, b] = await Promise.all([l.request('upper', 'x'), l.request('upper', 'y')]);
    expect([a, b]).toEqual(['X', 'Y']);
    expect(batches).toEqual([3]);
    await l.terminate();
  });

  it('rejects every pending request with WORKER_DIED when the thread exits, and reports it once', async () => {
    const deaths: HubError[] = [];
    const { l } = link((e) => deaths.push(e));
    const hanging = l.request('hang');
    const dying = l.request('die');
    await expect(hanging).rejects.toMatchObject({ code: 'WORKER_DIED' });
    await expect(dying).rejects.toMatchObject({ code: 'WORKER_DIED' });
    await expect(l.request('upper', 'later')).rejects.toMatchObject({ code: 'WORKER_DIED' });
    expect(deaths).toHaveLength(1);
    expect(deaths[0]!.message).toContain('exited with code 3');
  });

  it('does not report an expected terminate() as a death', async () => {
    const deaths: HubError[] = [];
    const { l } = link((e) => deaths.push(e));
    const hanging = l.request('hang');
    await l.terminate();
    await expect(hanging).rejects.toMatchObject({ code: 'WORKER_DIED' });
    expect(deaths).toEqual([]);
  });

  // Regression: a SqliteError thrown in the writer crossed as a bare `{code}` and the hub logged
  // "writer failed: undefined". The death now names the code, and a reported `fatal` wins over the exit.
  it('carries the cause of a death: the SQLite code of a thrown SqliteError, or what the worker reported', async () => {
    const thrower = new Worker(
      `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))}); new Database(':memory:').exec('SELECT * FROM nope');`,
      { eval: true },
    );
    const first = await new Promise<HubError>(
      (resolve) =>
        new WorkerLink<Echo, EchoEvents>({
          name: 'writer',
          worker: thrower,
          onEvent: () => undefined,
          onDeath: resolve,
        }),
    );
    expect(first.message).toBe('writer failed: SQLITE_ERROR');
    const reporter = new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.postMessage([{ rpc: 'event', type: 'fatal', input: { code: 'INTERNAL', message: 'writer failed: SQLITE_FULL: database or disk is full', retryable: false } }]);
       setImmediate(() => process.exit(1));`,
      { eval: true },
    );
    const second = await new Promise<HubError>(
      (resolve) =>
        new WorkerLink<Echo, EchoEvents>({
          name: 'writer',
          worker: reporter,
          onEvent: () => undefined,
          onDeath: resolve,
        }),
    );
    expect(second.message).toBe('writer failed: SQLITE_FULL: database or disk is full');
  });
});
