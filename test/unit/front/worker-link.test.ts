/**
 * WorkerLink on real worker threads (tiny eval workers): replies matched by id, batching per turn, and
 * — the regression that matters — every pending request rejected with WORKER_DIED at once when the
 * thread dies, reported once through onDeath, and not reported for an expected terminate().
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { WorkerLink } from '../../../src/front/worker-link.js';
import type { HubError } from '../../../src/protocol/errors.js';

const require = createRequire(import.meta.url);

type In = { kind: 'request'; reqId: number; req: string } | { kind: 'note'; text: string };
type Out = { kind: 'batch'; size: number };

const ECHO = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (batch) => {
  parentPort.postMessage({ kind: 'batch', size: batch.length });
  for (const m of batch) {
    if (m.kind !== 'request') continue;
    if (m.req === 'die') process.exit(3);
    if (m.req === 'hang') continue;
    parentPort.postMessage({ kind: 'reply', reqId: m.reqId, ok: true, value: m.req.toUpperCase() });
  }
});`;

function link(onDeath: (e: HubError) => void = () => undefined) {
  const batches: number[] = [];
  const l = new WorkerLink<In, Out>({ name: 'echo', worker: new Worker(ECHO, { eval: true }), onMessage: (m) => batches.push(m.size), onDeath });
  return { l, batches };
}

describe('WorkerLink', () => {
  it('matches replies to requests and posts one batch per turn', async () => {
    const { l, batches } = link();
    l.post({ kind: 'note', text: 'a' });
    const [a, b] = await Promise.all([l.request<string>((reqId) => ({ kind: 'request', reqId, req: 'x' })), l.request<string>((reqId) => ({ kind: 'request', reqId, req: 'y' }))]);
    expect([a, b]).toEqual(['X', 'Y']);
    expect(batches).toEqual([3]);
    await l.terminate();
  });

  it('rejects every pending request with WORKER_DIED when the thread exits, and reports it once', async () => {
    const deaths: HubError[] = [];
    const { l } = link((e) => deaths.push(e));
    const hanging = l.request((reqId) => ({ kind: 'request', reqId, req: 'hang' }));
    const dying = l.request((reqId) => ({ kind: 'request', reqId, req: 'die' }));
    await expect(hanging).rejects.toMatchObject({ code: 'WORKER_DIED' });
    await expect(dying).rejects.toMatchObject({ code: 'WORKER_DIED' });
    await expect(l.request((reqId) => ({ kind: 'request', reqId, req: 'later' }))).rejects.toMatchObject({ code: 'WORKER_DIED' });
    expect(deaths).toHaveLength(1);
    expect(deaths[0]!.message).toContain('exited with code 3');
  });

  it('does not report an expected terminate() as a death', async () => {
    const deaths: HubError[] = [];
    const { l } = link((e) => deaths.push(e));
    const hanging = l.request((reqId) => ({ kind: 'request', reqId, req: 'hang' }));
    await l.terminate();
    await expect(hanging).rejects.toMatchObject({ code: 'WORKER_DIED' });
    expect(deaths).toEqual([]);
  });

  // Regression: a SqliteError thrown in the writer crossed as a bare `{code}` and the hub logged
  // "writer failed: undefined". The death now names the code, and a reported `fatal` wins over the exit.
  it('carries the cause of a death: the SQLite code of a thrown SqliteError, or what the worker reported', async () => {
    const thrower = new Worker(`const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))}); new Database(':memory:').exec('SELECT * FROM nope');`, { eval: true });
    const first = await new Promise<HubError>((resolve) => new WorkerLink<In, Out>({ name: 'writer', worker: thrower, onMessage: () => undefined, onDeath: resolve }));
    expect(first.message).toBe('writer failed: SQLITE_ERROR');
    const reporter = new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.postMessage({ kind: 'fatal', error: { code: 'INTERNAL', message: 'writer failed: SQLITE_FULL: database or disk is full', retryable: false } });
       setImmediate(() => process.exit(1));`,
      { eval: true },
    );
    const second = await new Promise<HubError>((resolve) => new WorkerLink<In, Out>({ name: 'writer', worker: reporter, onMessage: () => undefined, onDeath: resolve }));
    expect(second.message).toBe('writer failed: SQLITE_FULL: database or disk is full');
  });
});
