/**
 * The generator's two client transports behind one small interface: the hub protocol over `ws`
 * (JSON text or msgpack binary frames) and Socket.IO (for the peer relay). ORDER_UPDATED frames
 * not picked for sampling are recognised by their bytes and only counted, so the generator's own
 * decode cost does not cap what it can measure.
 */
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { MSGPACK_SUBPROTOCOL } from '../../src/protocol/constants.js';
import { jsonCodec, msgpackCodec } from '../../src/protocol/codec.js';
import type { TargetSpec } from './ipc.js';

export interface ClientHandlers {
  onOpen(): void;
  /** A decoded message, or null for an ORDER_UPDATED that was only counted. */
  onMessage(message: Record<string, unknown> | null): void;
  onClose(reason: string): void;
}

export interface ClientConnection {
  send(message: Record<string, unknown>): void;
  close(): void;
}

const UPDATED_MARK = Buffer.from('ORDER_UPDATED');
const SYNC_MARK = Buffer.from('SYNC_INIT');
/** A SYNC_INIT names its type in its first bytes; its (large) body is not needed by the generator. */
const SYNC_HEAD_BYTES = 48;

/** Decide per ORDER_UPDATED frame whether to decode it; shared by the connections of one process. */
export interface Sampler {
  take(): boolean;
}

export function everyNth(n: number): Sampler {
  let i = 0;
  return { take: () => i++ % Math.max(1, n) === 0 };
}

/** timeoutMs bounds the opening handshake (the scenario's own connect deadline). */
export function connect(
  target: TargetSpec,
  sampler: Sampler,
  handlers: ClientHandlers,
  timeoutMs: number,
): ClientConnection {
  switch (target.kind) {
    case 'ws':
      return connectWs(target.url, target.encoding === 'msgpack', sampler, handlers, timeoutMs);
    case 'socketio':
      return connectSocketIo(target.url, handlers, timeoutMs);
    default: {
      const unreachable: never = target;
      throw new Error(`unknown target ${JSON.stringify(unreachable)}`);
    }
  }
}

function connectWs(
  url: string,
  binary: boolean,
  sampler: Sampler,
  handlers: ClientHandlers,
  timeoutMs: number,
): ClientConnection {
  const codec = binary ? msgpackCodec : jsonCodec;
  const socket = new WebSocket(url, binary ? [MSGPACK_SUBPROTOCOL] : [], {
    perMessageDeflate: false,
    skipUTF8Validation: true,
    handshakeTimeout: timeoutMs,
  });
  socket.on('open', () => handlers.onOpen());
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (data.length > 200 && data.subarray(0, SYNC_HEAD_BYTES).indexOf(SYNC_MARK) !== -1) {
      // A real terminal parses its own SYNC_INIT; here a thousand share two cores with the server,
      // so parsing them all would time the generator. Bench terminals never resume old orders.
      handlers.onMessage({ type: 'SYNC_INIT', orders: [] });
      return;
    }
    if (data.length > 200 && data.indexOf(UPDATED_MARK) !== -1 && !sampler.take()) {
      handlers.onMessage(null);
      return;
    }
    const decoded = codec.decode(isBinary ? data : data.toString('utf8'));
    if (decoded.ok && typeof decoded.value === 'object' && decoded.value !== null)
      handlers.onMessage(decoded.value as Record<string, unknown>);
    else handlers.onMessage({ type: 'UNDECODABLE' });
  });
  socket.on('close', (code: number) => handlers.onClose(`close ${code}`));
  socket.on('error', (error: Error) => handlers.onClose(`error ${error.message.slice(0, 60)}`));
  return {
    send(message) {
      if (socket.readyState === WebSocket.OPEN) socket.send(codec.encode(message));
    },
    close() {
      socket.terminate();
    },
  };
}

function connectSocketIo(url: string, handlers: ClientHandlers, timeoutMs: number): ClientConnection {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: timeoutMs });
  socket.on('connect', () => handlers.onOpen());
  socket.on('m', (message: Record<string, unknown>) => handlers.onMessage(message));
  socket.on('disconnect', (reason: string) => handlers.onClose(`disconnect ${reason}`));
  socket.on('connect_error', (error: Error) => handlers.onClose(`connect_error ${error.message.slice(0, 60)}`));
  return {
    send(message) {
      socket.emit('m', message);
    },
    close() {
      socket.disconnect();
    },
  };
}
