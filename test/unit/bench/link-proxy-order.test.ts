/**
 * The failover suite's link proxy keeps the byte stream in order while it delays chunks (as TCP does):
 * with a timer per chunk, chunks held behind a "lost" one overtook each other whenever the event loop
 * was busy, and the corrupted streams hung replication and the hubs' store connections (delay-and-loss).
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LinkProxy } from '../../../bench/failover/proxy.js';

/** Keeps the loop busy for `ms`, as the harness's own work does while the proxy runs beside it. */
const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('link proxy', () => {
  it('delivers a degraded link’s bytes in the order they were sent, however busy the loop', async () => {
    const total = 400 * 6;
    const received: Buffer[] = [];
    let bytes = 0;
    let arrived!: () => void;
    const done = new Promise<void>((resolve) => (arrived = resolve));
    const sink = createServer((socket: Socket) => {
      socket.on('data', (d: Buffer) => {
        received.push(d);
        bytes += d.length;
        if (bytes >= total) arrived();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const address = sink.address();
    if (address === null || typeof address === 'string') throw new Error('no sink port');
    // A fixed sequence instead of Math.random: every fourth chunk is "lost" (held 15 ms), the rest jitter.
    let i = 0;
    const random = (): number => [0.1, 0.9, 0.5, 0.01][i++ % 4] ?? 0;
    const proxy = new LinkProxy({ name: 'test', listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: address.port } }, random);
    await proxy.start();
    proxy.set({ kind: 'degraded', how: { delayMs: 1, jitterMs: 6, lossRate: 0.05, retransmitMs: 15 } });
    const client = createConnection({ host: '127.0.0.1', port: proxy.port });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const sent: Buffer[] = [];
    for (let n = 0; n < 400; n++) {
      const chunk = Buffer.from(`${String(n).padStart(5, '0')};`);
      sent.push(chunk);
      client.write(chunk);
      // Let the proxy read this chunk apart from the next, with a stale loop time behind it.
      await new Promise((resolve) => setImmediate(resolve));
      busy(n % 3);
    }
    // Every byte arrives (the test's timeout bounds the wait); then their order is what was sent.
    await done;
    expect(Buffer.concat(received).toString()).toBe(Buffer.concat(sent).toString());
    client.destroy();
    await proxy.stop();
    await new Promise((resolve) => sink.close(resolve));
  });
});
