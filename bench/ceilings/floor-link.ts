/**
 * One direction between two threads of the pipeline floor, in each seam: a MessagePort carrying object graphs
 * (`clone`), strings (`text`) or transferred UTF-8 ArrayBuffers (`bytes`), or a SharedArrayBuffer ring woken by
 * Atomics (`sab`). The front makes the ends and hands one to each worker through workerData.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ByteRing } from './floor-ring.js';
import type { Seam } from './floor-wire.js';

/** What a thread holds of one link: a port, or the ring's buffer. */
export type LinkEnd = MessagePort | SharedArrayBuffer;

/** A ring far above what 120 orders with one write in flight each can queue (~2.5 kB a write). */
const RING_BYTES = 1 << 22;

/** Both ends of a new link for `seam`: [the sender's, the receiver's]. */
export function newLink(seam: Seam): [LinkEnd, LinkEnd] {
  if (seam === 'sab' || seam === 'sab-block') {
    const buffer = ByteRing.allocate(RING_BYTES);
    return [buffer, buffer];
  }
  const { port1, port2 } = new MessageChannel();
  return [port1, port2];
}

/** The ends that must be in a Worker's transferList (ports move; a SharedArrayBuffer is shared as it is). */
export const transferable = (ends: readonly LinkEnd[]): MessagePort[] =>
  ends.filter((e): e is MessagePort => !(e instanceof SharedArrayBuffer));

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function sender(seam: Seam, end: LinkEnd): (wire: unknown) => void {
  if (end instanceof SharedArrayBuffer) {
    const ring = new ByteRing(end);
    return (wire) => {
      // 120 orders with one write each in flight cannot fill it: a full ring is a bug, not load.
      if (!ring.push(wire as string)) throw new Error(`floor ring full (${ring.used()} bytes in use)`);
    };
  }
  switch (seam) {
    case 'clone':
    case 'text':
      return (wire) => end.postMessage(wire);
    case 'bytes':
      return (wire) => {
        const bytes = encoder.encode(wire as string);
        end.postMessage(bytes, [bytes.buffer]);
      };
    case 'sab':
    case 'sab-block':
      throw new Error(`${seam} seam needs a SharedArrayBuffer end`);
    default: {
      const unreachable: never = seam;
      throw new Error(`unknown seam ${String(unreachable)}`);
    }
  }
}

/** `sab-block` in a worker: block on the ring for good (ByteRing.serve); onBatch after each drain, onIdle before sleeping. */
export function serve(end: LinkEnd, onWire: (wire: unknown) => void, onBatch: () => void, onIdle: () => void): never {
  if (!(end instanceof SharedArrayBuffer)) throw new Error('only a ring can be served by blocking');
  return new ByteRing(end).serve(onWire, onBatch, onIdle);
}

/** Deliver each wire message to `onWire` on this thread's event loop. */
export function receive(seam: Seam, end: LinkEnd, onWire: (wire: unknown) => void): void {
  if (end instanceof SharedArrayBuffer) {
    new ByteRing(end).listen(onWire);
    return;
  }
  if (seam === 'bytes') end.on('message', (data: Uint8Array) => onWire(decoder.decode(data)));
  else end.on('message', onWire);
}
