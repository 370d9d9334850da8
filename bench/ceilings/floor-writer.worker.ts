/**
 * The pipeline floor's writer: owns the SQLite file, commits whatever queued during the previous commit, and
 * answers the front with each write's frames after the commit — the hub's writer with nothing else on it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GroupCommitter } from './floor-commit.js';
import { receive, sender, serve, type LinkEnd } from './floor-link.js';
import { doneOut, writeIn, type Seam } from './floor-wire.js';

const { seam, input, output, file } = workerData as { seam: Seam; input: LinkEnd; output: LinkEnd; file: string };
const send = sender(seam, output);
const blocking = seam === 'sab-block';
const committer = new GroupCommitter(file, (done) => send(doneOut(seam, done)), !blocking);
const onWire = (wire: unknown) => committer.enqueue(writeIn(seam, wire));
// Blocked on the ring: each drain is one group commit, and the checkpoint runs when nothing waits.
if (blocking)
  serve(
    input,
    onWire,
    () => committer.flush(),
    () => committer.upkeep(),
  );
receive(seam, input, onWire);
parentPort?.on('message', (m) => {
  if (m === 'close') committer.close();
});
