/**
 * The floor of pos-hub's own architecture (issue 16): the design card's threads with nothing else on them — a
 * uWS front, a shard worker that only forwards, a writer worker that group-commits one row per write under WAL +
 * synchronous=FULL and answers after the commit, the front sending the ORDER_ACK and publishing ORDER_UPDATED.
 * BENCH_FLOOR_TOPOLOGY drops the shard hop, the writer thread (commit on the front) or both; BENCH_FLOOR_SEAM
 * picks how messages cross (floor-wire.ts). Everything but ORDER_SNAPSHOT is answered as the bare relay does.
 * Child process: BENCH_PORT (0 = any), BENCH_FLOOR_DIR (the SQLite file's folder); prints `READY <port>`.
 */
import { join } from 'node:path';
import uWS from 'uWebSockets.js';
import { jsonCodec } from '../../src/protocol/codec.js';
import { spawn } from '../../src/hub/spawn.js';
import { GroupCommitter } from './floor-commit.js';
import { newLink, receive, sender, transferable, type LinkEnd } from './floor-link.js';
import {
  doneIn,
  inputOut,
  SEAMS,
  TOPOLOGIES,
  toWrite,
  Versions,
  writeIn,
  writeOut,
  type FloorDone,
  type FloorInput,
  type Seam,
  type Topology,
} from './floor-wire.js';
import { RelayState } from './relay-state.js';

interface SocketData {
  terminalId: string;
}

function pick<T extends string>(name: string, known: readonly T[], fallback: T): T {
  const value = process.env[name] ?? fallback;
  if (!(known as readonly string[]).includes(value))
    throw new Error(`${name}: one of ${known.join('|')}, not ${value}`);
  return value as T;
}

const topology = pick<Topology>('BENCH_FLOOR_TOPOLOGY', TOPOLOGIES, 'full');
const seam = pick<Seam>('BENCH_FLOOR_SEAM', SEAMS, 'clone');
const file = join(process.env.BENCH_FLOOR_DIR ?? '.', 'floor.sqlite');
const port = Number(process.env.BENCH_PORT ?? '0');

const state = new RelayState();
const sockets = new Map<string, uWS.WebSocket<SocketData>>();
let terminals = 0;
const topic = (tableId: number) => `t/${tableId}`;

/** After the commit: the ACK to the sender and the update to every other terminal of the table, one cork each. */
function deliver(done: readonly FloorDone[]): void {
  for (const d of done) {
    const ws = sockets.get(d.terminalId);
    if (ws === undefined) {
      if (d.tableId >= 0) app.publish(topic(d.tableId), d.updated, false);
      continue;
    }
    ws.cork(() => {
      ws.send(d.ack, false);
      // ws.publish skips the sender, as the hub's fan-out does.
      if (d.tableId >= 0) ws.publish(topic(d.tableId), d.updated, false);
    });
  }
}

function worker(name: 'shard' | 'writer', data: Record<string, unknown>, ends: readonly LinkEnd[]): void {
  const entry = name === 'shard' ? 'floor-shard.worker' : 'floor-writer.worker';
  // spawn() resolves from src/hub/ and names the thread (pos-shard-0, pos-writer) for the per-thread figures.
  const w = spawn(
    `../../bench/ceilings/${entry}`,
    { seam, ...data },
    transferable(ends),
    `pos-${name === 'shard' ? 'shard-0' : 'writer'}`,
  );
  w.on('error', (error) => {
    process.stderr.write(`pipeline-floor: ${name} failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  });
}

/** Wire the topology; returns what the front does with a decoded ORDER_SNAPSHOT. */
function wire(): (input: FloorInput) => void {
  const versions = new Versions();
  switch (topology) {
    case 'full': {
      const [toShard, shardIn] = newLink(seam);
      const [shardOut, writerIn] = newLink(seam);
      const [writerOut, fromWriter] = newLink(seam);
      worker('shard', { input: shardIn, output: shardOut }, [shardIn, shardOut]);
      worker('writer', { input: writerIn, output: writerOut, file }, [writerIn, writerOut]);
      receive(seam, fromWriter, (w) => deliver(doneIn(seam, w)));
      const send = sender(seam, toShard);
      return (input) => send(inputOut(seam, input));
    }
    case 'no-shard': {
      const [toWriter, writerIn] = newLink(seam);
      const [writerOut, fromWriter] = newLink(seam);
      worker('writer', { input: writerIn, output: writerOut, file }, [writerIn, writerOut]);
      receive(seam, fromWriter, (w) => deliver(doneIn(seam, w)));
      const send = sender(seam, toWriter);
      return (input) => send(writeOut(seam, input, versions.next(String(input.msg.posReference))));
    }
    case 'no-writer': {
      const [toShard, shardIn] = newLink(seam);
      const [shardOut, fromShard] = newLink(seam);
      worker('shard', { input: shardIn, output: shardOut }, [shardIn, shardOut]);
      const committer = new GroupCommitter(file, deliver);
      // The front cannot block: with sab-block it still waits on its ring through Atomics.waitAsync.
      receive(seam, fromShard, (w) => committer.enqueue(writeIn(seam, w)));
      const send = sender(seam, toShard);
      return (input) => send(inputOut(seam, input));
    }
    case 'one-thread': {
      const committer = new GroupCommitter(file, deliver);
      return (input) => committer.enqueue(toWrite(input, versions.next(String(input.msg.posReference))));
    }
    default: {
      const unreachable: never = topology;
      throw new Error(`unknown topology ${String(unreachable)}`);
    }
  }
}

const submit = wire();

const app = uWS.App().ws<SocketData>('/*', {
  maxPayloadLength: 1024 * 1024,
  idleTimeout: 0,
  maxBackpressure: 4 * 1024 * 1024,
  open: (ws) => {
    sockets.set(ws.getUserData().terminalId, ws);
  },
  close: (ws) => {
    sockets.delete(ws.getUserData().terminalId);
  },
  upgrade: (res, req, context) => {
    res.upgrade<SocketData>(
      { terminalId: `t${(terminals += 1)}` },
      req.getHeader('sec-websocket-key'),
      '',
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  message: (ws, data) => {
    const { terminalId } = ws.getUserData();
    const frameText = Buffer.from(data).toString('utf8');
    const decoded = jsonCodec.decode(frameText);
    if (!decoded.ok || typeof decoded.value !== 'object' || decoded.value === null) return;
    const msg = decoded.value as Record<string, unknown>;
    if (msg.type === 'ORDER_SNAPSHOT') {
      const tableId = (msg.snapshot as { tableId?: unknown } | undefined)?.tableId;
      submit({ terminalId, tableId: typeof tableId === 'number' ? tableId : -1, msg, frameText });
      return;
    }
    if (msg.type === 'AUTH' && typeof msg.benchTables === 'number')
      for (let t = 1; t <= msg.benchTables; t += 1) ws.subscribe(topic(t));
    const out = state.handle(msg, terminalId);
    ws.cork(() => {
      for (const reply of out.toSender) ws.send(jsonCodec.encode(reply) as string, false);
    });
  },
});

app.listen('127.0.0.1', port, (token) => {
  if (token === false) {
    process.stderr.write(`pipeline-floor: cannot listen on ${port}\n`);
    process.exit(1);
  }
  const native = String(uWS.App).includes('[native code]');
  process.stdout.write(
    `READY ${uWS.us_socket_local_port(token)} ${native ? 'native' : 'fallback'} ${topology}/${seam}\n`,
  );
});
process.on('SIGTERM', () => process.exit(0));
