/**
 * The one typed RPC (src/threads/rpc.ts) between two endpoints over a real MessageChannel, as the shard
 * and the writer use it: results and errors by request type, events in order with one afterBatch per
 * batch, events that arrive before serve() kept, an unsendable reply turned into an INTERNAL error for
 * its caller, and every pending request failed when the peer's port closes (the peer thread died).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { HubError, type HubErrorData } from '../../../src/protocol/errors.js';
import { Endpoint, type EventOf } from '../../../src/threads/rpc.js';

type Store = {
  requests: {
    get: { input: { key: string }; result: number };
    fail: { input: undefined; result: never };
    broken: { input: undefined; result: unknown };
    hang: { input: undefined; result: never };
  };
  events: { put: { key: string; value: number } };
};
type Client = { requests: Record<never, never>; events: { changed: { key: string }; fatal: HubErrorData } };

const open: MessagePort[] = [];
afterEach(() => {
  for (const port of open.splice(0)) port.close();
});

function pair() {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  const unsendable: HubError[] = [];
  const client = new Endpoint<Store, Client>({
    peer: 'store',
    post: (batch) => port1.postMessage(batch),
    defer: (flush) => setImmediate(flush),
  });
  const server = new Endpoint<Client, Store>({
    peer: 'client',
    post: (batch) => port2.postMessage(batch),
    onUnsendable: (error) => unsendable.push(error),
  });
  port1.on('message', (batch: unknown) => client.receive(batch));
  port2.on('message', (batch: unknown) => server.receive(batch));
  port1.on('close', () => client.fail(new HubError('WORKER_DIED', 'the store closed its port')));
  return { client, server, port1, port2, unsendable };
}

describe('the thread RPC', () => {
  it('answers each request by its type, events first in arrival order, one afterBatch per batch', async () => {
    const { client, server } = pair();
    const values = new Map<string, number>();
    const heard: EventOf<Client>[] = [];
    const batches: number[] = [];
    let inBatch = 0;
    client.serve({ requests: {}, events: (e) => heard.push(e) });
    server.serve({
      requests: {
        get: ({ key }) => values.get(key) ?? -1,
        fail: () => {
          throw new HubError('STORAGE_UNAVAILABLE', 'disk full');
        },
        broken: () => () => 1,
        hang: () => new Promise<never>(() => undefined),
      },
      events: (e) => {
        inBatch += 1;
        values.set(e.input.key, e.input.value);
        server.emit('changed', { key: e.input.key });
      },
      afterBatch: () => {
        batches.push(inBatch);
        inBatch = 0;
      },
    });
    client.emit('put', { key: 'a', value: 1 });
    client.emit('put', { key: 'b', value: 2 });
    const [a, b, missing] = await Promise.all([
      client.request('get', { key: 'a' }),
      client.request('get', { key: 'b' }),
      client.request('get', { key: 'c' }),
    ]);
    expect([a, b, missing]).toEqual([1, 2, -1]);
    // One turn's messages went as one batch: two events, then the three requests.
    expect(batches).toEqual([2]);
    expect(heard.map((e) => [e.type, e.input])).toEqual([
      ['changed', { key: 'a' }],
      ['changed', { key: 'b' }],
    ]);
    await expect(client.request('fail')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: 'disk full' });
  });

  it('answers a reply structured clone refuses with an INTERNAL error, and reports it', async () => {
    const { client, server, unsendable } = pair();
    client.serve({ requests: {}, events: () => undefined });
    server.serve({
      requests: {
        get: () => 0,
        fail: () => Promise.reject(new Error('x')),
        broken: () => ({ fn: () => 1 }),
        hang: () => new Promise<never>(() => undefined),
      },
      events: () => undefined,
    });
    await expect(client.request('broken')).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'the reply could not be sent between threads',
    });
    expect(unsendable).toHaveLength(1);
    expect(await client.request('get', { key: 'still fine' })).toBe(0);
  });

  it('keeps what arrived before serve() and handles it, in order, once served', async () => {
    const { client, server } = pair();
    client.emit('put', { key: 'early', value: 7 });
    const answer = client.request('get', { key: 'early' });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const values = new Map<string, number>();
    client.serve({ requests: {}, events: () => undefined });
    server.serve({
      requests: {
        get: ({ key }) => values.get(key) ?? -1,
        fail: () => 0 as never,
        broken: () => 0,
        hang: () => new Promise<never>(() => undefined),
      },
      events: (e) => values.set(e.input.key, e.input.value),
    });
    expect(await answer).toBe(7);
  });

  it('fails every pending request when the peer goes, and every later one', async () => {
    const { client, server, port2 } = pair();
    client.serve({ requests: {}, events: () => undefined });
    server.serve({
      requests: {
        get: () => 0,
        fail: () => 0 as never,
        broken: () => 0,
        hang: () => new Promise<never>(() => undefined),
      },
      events: () => undefined,
    });
    const first = client.request('hang');
    const second = client.request('hang');
    await new Promise((resolve) => setImmediate(resolve));
    port2.close();
    await expect(first).rejects.toMatchObject({ code: 'WORKER_DIED' });
    await expect(second).rejects.toMatchObject({ code: 'WORKER_DIED' });
    await expect(client.request('get', { key: 'a' })).rejects.toMatchObject({ code: 'WORKER_DIED' });
    expect(client.failed?.code).toBe('WORKER_DIED');
  });
});
