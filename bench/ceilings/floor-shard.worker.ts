/**
 * The pipeline floor's shard: a table actor reduced to nothing — it reads the input, gives the order its next
 * version and forwards the write (to the writer, or back to the front when the front commits). What is left
 * is the hop itself: one wake-up, one decode and one encode in the seam under test.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { receive, sender, serve, type LinkEnd } from './floor-link.js';
import { inputIn, Versions, writeOut, type Seam } from './floor-wire.js';

const { seam, input, output } = workerData as { seam: Seam; input: LinkEnd; output: LinkEnd };
const versions = new Versions();
const send = sender(seam, output);
const onWire = (wire: unknown) => {
  const write = inputIn(seam, wire);
  send(writeOut(seam, write, versions.next(String(write.msg.posReference))));
};
const idle = () => undefined;
if (seam === 'sab-block') serve(input, onWire, idle, idle);
receive(seam, input, onWire);
// Keeps the thread alive when its input is a ring (a pending Atomics.waitAsync does not).
parentPort?.on('message', () => undefined);
