/**
 * The peer: what a team would build instead of pos-hub — a Socket.IO server with a room per table
 * that relays each snapshot to the room and acks the sender, with no persistence, no validation and
 * no leases (RelayState, the same logic as the uWS ceiling). Run as a child process with BENCH_PORT;
 * prints `READY <port>` when listening on 127.0.0.1.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { requestedGc } from '../../src/adapters/gc/requested-gc.js';
import { RelayState } from '../ceilings/relay-state.js';

const port = Number(process.env.BENCH_PORT ?? '0');
const state = new RelayState();
const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
let terminals = 0;

io.on('connection', (socket) => {
  const terminalId = `t${(terminals += 1)}`;
  socket.on('m', (message: Record<string, unknown>) => {
    if (typeof message !== 'object' || message === null) return;
    if (message.type === 'AUTH' && typeof message.benchTables === 'number') {
      const rooms: string[] = [];
      for (let t = 1; t <= message.benchTables; t += 1) rooms.push(`table:${t}`);
      void socket.join(rooms);
    }
    const out = state.handle(message, terminalId);
    for (const reply of out.toSender) socket.emit('m', reply);
    if (out.toRoom !== undefined) socket.to(`table:${out.toRoom.tableId}`).emit('m', out.toRoom.message);
  });
});

http.listen(port, '127.0.0.1', () => {
  process.stdout.write(`READY ${(http.address() as AddressInfo).port}\n`);
});
// The idle scenario's procedure, as for the hub: under --expose-gc, SIGUSR2 collects garbage.
const collect = requestedGc();
if (collect !== null) process.on('SIGUSR2', collect);
process.on('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
