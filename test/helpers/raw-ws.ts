/**
 * A WebSocket client on a bare TCP socket, for tests that need a terminal which stops reading: no
 * library buffers frames behind our back, so pausing the socket really leaves bytes in the kernel.
 * It does the RFC 6455 handshake, sends masked text frames, and parses what it reads only when asked.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fromEmitter, until, type EventSource } from './wait.js';

export interface RawFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

export class RawWsClient {
  private buffered: Buffer = Buffer.alloc(0);
  private ended = false;
  private readonly events = new EventEmitter();
  /** Fires on every chunk read and on close. */
  readonly changes: EventSource = fromEmitter(this.events, 'change');

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connect and complete the upgrade; resolves once the 101 has been read. */
  static async open(host: string, port: number, path = '/'): Promise<RawWsClient> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const client = new RawWsClient(socket);
    await client.until(() => client.buffered.includes('\r\n\r\n'), 'the 101 response');
    const headerEnd = client.buffered.indexOf('\r\n\r\n') + 4;
    const head = client.buffered.subarray(0, headerEnd).toString('latin1');
    if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.split('\r\n')[0]}`);
    client.buffered = client.buffered.subarray(headerEnd);
    return client;
  }

  sendText(text: string): void {
    const payload = Buffer.from(text, 'utf8');
    const mask = randomBytes(4);
    const length = payload.length;
    const head =
      length < 126
        ? Buffer.from([0x81, 0x80 | length])
        : length < 65536
          ? Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff])
          : null;
    if (head === null) throw new Error('frame too large for this test client');
    const masked = Buffer.alloc(length);
    for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
    this.socket.write(Buffer.concat([head, mask, masked]));
  }

  /** Stop reading: the kernel's receive buffer fills, then the hub's send buffers. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Every complete frame read so far (does not consume them). */
  frames(): RawFrame[] {
    const out: RawFrame[] = [];
    let at = 0;
    const buf = this.buffered;
    for (;;) {
      if (buf.length - at < 2) break;
      const opcode = buf[at]! & 0x0f;
      let length = buf[at + 1]! & 0x7f;
      let start = at + 2;
      if (length === 126) {
        if (buf.length - at < 4) break;
        length = buf.readUInt16BE(at + 2);
        start = at + 4;
      } else if (length === 127) {
        if (buf.length - at < 10) break;
        length = Number(buf.readBigUInt64BE(at + 2));
        start = at + 10;
      }
      if (buf.length < start + length) break;
      out.push({ opcode, payload: buf.subarray(start, start + length) });
      at = start + length;
    }
    return out;
  }

  /** Text frames read so far, parsed as JSON. */
  messages(): Array<Record<string, unknown> & { type: string }> {
    return this.frames()
      .filter((f) => f.opcode === 1)
      .map((f) => JSON.parse(f.payload.toString('utf8')) as Record<string, unknown> & { type: string });
  }

  /** The close frame's code, or null when none has been read (an abnormal end is 1006 to a browser). */
  closeCode(): number | null {
    const close = this.frames().find((f) => f.opcode === 8);
    return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null;
  }

  get socketEnded(): boolean {
    return this.ended;
  }

  /** Resolves when the TCP connection has closed (bounded by `limitMs`). */
  async awaitEnd(limitMs = 30_000): Promise<void> {
    await until(() => this.ended, 'the end of the TCP connection', this.changes, limitMs);
  }

  private wake(): void {
    this.events.emit('change');
  }

  /** Re-checks `done` on every socket event until it holds; bounded, never a fixed sleep. */
  async until(done: () => boolean, what: string, limitMs = 10_000): Promise<void> {
    await until(
      () => {
        if (done()) return true;
        if (this.ended) throw new Error(`connection ended while waiting for ${what}`);
        return false;
      },
      what,
      this.changes,
      limitMs,
    );
  }

  destroy(): void {
    this.socket.destroy();
  }
}
