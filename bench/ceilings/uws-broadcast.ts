/**
 * Transport ceiling: a bare uWebSockets.js server on the same binary as the hub, speaking just enough
 * of the protocol (RelayState) for the same generator — it acks the sender and publishes each
 * ORDER_UPDATED to the table's room (a uWS topic), all on one thread, nothing validated or stored.
 * Run as a child process: `node --import tsx bench/ceilings/uws-broadcast.ts` with BENCH_PORT; prints
 * `READY <port>` on stdout when listening.
 */
import uWS from 'uWebSockets.js';
import { MSGPACK_SUBPROTOCOL } from '../../src/protocol/constants.js';
import { jsonCodec, msgpackCodec, type Codec } from '../../src/protocol/codec.js';
import { RelayState } from './relay-state.js';
import { requestedGc } from '../../src/adapters/gc/requested-gc.js';

interface SocketData {
  codec: Codec;
  terminalId: string;
}

const port = Number(process.env.BENCH_PORT ?? '0');
const state = new RelayState();
let terminals = 0;

const topic = (tableId: number, codec: Codec) => `t/${tableId}/${codec.encoding}`;

const app = uWS.App().ws<SocketData>('/*', {
  maxPayloadLength: 1024 * 1024,
  idleTimeout: 0,
  maxBackpressure: 4 * 1024 * 1024,
  upgrade: (res, req, context) => {
    const protocols = req.getHeader('sec-websocket-protocol');
    const binary = protocols.split(',').some((p) => p.trim() === MSGPACK_SUBPROTOCOL);
    res.upgrade<SocketData>(
      { codec: binary ? msgpackCodec : jsonCodec, terminalId: `t${(terminals += 1)}` },
      req.getHeader('sec-websocket-key'),
      binary ? MSGPACK_SUBPROTOCOL : '',
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  message: (ws, data, isBinary) => {
    const { codec, terminalId } = ws.getUserData();
    const decoded = codec.decode(isBinary ? new Uint8Array(data) : Buffer.from(data).toString('utf8'));
    if (!decoded.ok || typeof decoded.value !== 'object' || decoded.value === null) return;
    const message = decoded.value as Record<string, unknown>;
    if (message.type === 'AUTH' && typeof message.benchTables === 'number') {
      for (let t = 1; t <= message.benchTables; t += 1) ws.subscribe(topic(t, codec));
    }
    const out = state.handle(message, terminalId);
    ws.cork(() => {
      for (const reply of out.toSender) ws.send(codec.encode(reply), codec.binary);
      if (out.toRoom !== undefined) {
        const { tableId, message: update } = out.toRoom;
        // ws.publish skips the sender; peers on the other encoding get their own copy, encoded once.
        ws.publish(topic(tableId, codec), codec.encode(update), codec.binary);
        const other = codec === jsonCodec ? msgpackCodec : jsonCodec;
        if (app.numSubscribers(topic(tableId, other)) > 0)
          app.publish(topic(tableId, other), other.encode(update), other.binary);
      }
    });
  },
});

app.listen('127.0.0.1', port, (token) => {
  if (token === false) {
    process.stderr.write(`uws-broadcast: cannot listen on ${port}\n`);
    process.exit(1);
  }
  const native = String(uWS.App).includes('[native code]');
  process.stdout.write(`READY ${uWS.us_socket_local_port(token)} ${native ? 'native' : 'fallback'}\n`);
});
// The idle scenario's procedure, as for the hub: under --expose-gc, SIGUSR2 collects garbage.
const collect = requestedGc();
if (collect !== null) process.on('SIGUSR2', collect);
process.on('SIGTERM', () => process.exit(0));
