/**
 * What one write costs to cross a thread, per side: the front → shard input of a 10-line ORDER_SNAPSHOT
 * (structured clone of the object graph, or JSON text — src/threads/rpc.ts `postText`) and the writer → front
 * `deliver` of its ORDER_ACK and ORDER_UPDATED. Each side reads its own thread's CPU time from
 * /proc/thread-self/schedstat, so the figure is that thread's work alone, steadier than wall time on a shared box.
 * Run: node --import tsx bench/thread-hop.ts
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { SAMPLE_REF, sampleSnapshot } from './lib/sample-order.js';

const COUNT = 20_000;

/** ns this thread has run (first field of its schedstat). */
const threadNs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

const ref = SAMPLE_REF;
const snapshot = sampleSnapshot;
const terminalInput = [
  {
    rpc: 'event',
    type: 'terminal',
    input: {
      key: 't:7',
      from: { terminalId: 'bench-x-t1', role: 'cashier', name: 'dev cashier', owner: 'dev:cashier' },
      msg: { type: 'ORDER_SNAPSHOT', posReference: ref, baseVersion: 3, mutationId: 'bench-x-t1-m12', snapshot },
      receivedAt: 1_764_000_000_000,
      sentAt: 1_764_000_000_000.123,
    },
  },
];
const deliver = [
  {
    rpc: 'event',
    type: 'deliver',
    input: {
      deliveries: [
        {
          out: [
            {
              to: 'terminal',
              terminalId: 'bench-x-t1',
              msg: { type: 'ORDER_ACK', posReference: ref, version: 4, seq: 1234 },
            },
            {
              to: 'others',
              except: 'bench-x-t1',
              msg: {
                type: 'ORDER_UPDATED',
                posReference: ref,
                version: 4,
                seq: 1234,
                snapshot: { ...snapshot, version: 4 },
              },
            },
          ],
          receivedAt: 1_764_000_000_000,
          sentAt: 1_764_000_000_001.5,
        },
      ],
      stats: { seq: 1234, orders: 120, activeLeases: 120, activeLocks: 0, pendingForward: 0, totalForwarded: 0 },
    },
  },
];

/** The same deliver with each message already encoded by the writer (what the front would publish as is). */
const deliverEncoded = [
  {
    rpc: 'event',
    type: 'deliver',
    input: {
      frames: deliver[0]!.input.deliveries[0]!.out.map((o) => JSON.stringify(o.msg)),
      stats: deliver[0]!.input.stats,
    },
  },
];

/** The receiving thread: takes COUNT messages, parsing text as Endpoint.receive does, and reports its CPU. */
const RECEIVER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const threadNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
const decoder = new TextDecoder();
let n = 0, start = 0, sink = 0;
parentPort.on('message', (data) => {
  if (n === 0) start = threadNs();
  const value = typeof data === 'string' ? JSON.parse(data) : data instanceof Uint8Array ? [JSON.parse(decoder.decode(data))] : data;
  sink += Array.isArray(value) ? value.length : 0;
  if (++n === workerData.count) parentPort.postMessage({ ns: threadNs() - start, sink });
});`;

type Form = 'objects' | 'text' | 'bytes';

async function hop(name: string, payload: unknown, form: Form): Promise<void> {
  const worker = new Worker(RECEIVER, { eval: true, workerData: { count: COUNT } });
  const done = new Promise<{ ns: number }>((resolve) => worker.once('message', resolve));
  const start = threadNs();
  // `bytes`: what the front already holds, the frame as it came off the socket (copied out of uWS's buffer).
  const frame = new TextEncoder().encode(JSON.stringify(payload));
  for (let i = 0; i < COUNT; i++)
    worker.postMessage(form === 'text' ? JSON.stringify(payload) : form === 'bytes' ? frame.slice() : payload);
  const sendNs = threadNs() - start;
  const received = await done;
  await worker.terminate();
  const us = (ns: number) => (ns / COUNT / 1000).toFixed(1).padStart(6);
  process.stdout.write(`${name.padEnd(54)} sender ${us(sendNs)} µs   receiver ${us(received.ns)} µs\n`);
}

process.stdout.write(
  `per message, CPU of each thread (${COUNT} messages; input ${JSON.stringify(terminalInput).length} B, deliver ${JSON.stringify(deliver).length} B as JSON)\n`,
);
await hop('front → shard, structured clone', terminalInput, 'objects');
await hop('front → shard, JSON text', terminalInput, 'text');
await hop('front → shard, the frame bytes, parsed again', terminalInput, 'bytes');
await hop('writer → front deliver, structured clone', deliver, 'objects');
await hop('writer → front deliver, JSON text', deliver, 'text');
await hop('writer → front deliver, frames encoded by the writer', deliverEncoded, 'objects');
