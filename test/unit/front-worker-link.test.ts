/**
 * WorkerLink on real worker threads (tiny eval workers): replies matched by id, batching per turn, and
 * — the regression that matters — every pending request rejected with WORKER_DIED at once when the
 * thread dies, reported once through onDeath, and not reported for an expected terminate().
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { WorkerLink } from '../../src/front/worker-link.js';
import type { HubError } from '../../src/protocol/errors.js';

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
});
