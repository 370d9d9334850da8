/**
 * One WebSocket to the hub: offers the msgpack subprotocol when asked, picks the codec from what the
 * hub accepted, decodes and validates every frame with the shared protocol module. Reports close
 * exactly once (also when we close it ourselves), so the transport's reconnect logic has one input.
 */
import { codecFor, type Codec } from '../protocol/codec.js';
import { MSGPACK_SUBPROTOCOL, type Encoding } from '../protocol/constants.js';
import type { HubMessage } from '../protocol/hub-messages.js';
import { parseHubMessage, type ProtocolError } from '../protocol/parse.js';
import type { TerminalMessage } from '../protocol/terminal-messages.js';
import type { WebSocketCtor, WebSocketLike } from './deps.js';

export interface HubSocketEvents {
  onOpen(codec: Codec): void;
  onMessage(message: HubMessage): void;
  onInvalid(error: ProtocolError): void;
  onClose(code: number, reason: string): void;
}

const OPEN = 1;

export class HubSocket {
  private readonly ws: WebSocketLike;
  private codec: Codec = codecFor('json');
  private closed = false;

  constructor(Ctor: WebSocketCtor, url: string, encoding: Encoding, private readonly events: HubSocketEvents) {
    this.ws = encoding === 'msgpack' ? new Ctor(url, [MSGPACK_SUBPROTOCOL]) : new Ctor(url);
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () => {
      if (this.closed) return;
      this.codec = codecFor(this.ws.protocol === MSGPACK_SUBPROTOCOL ? 'msgpack' : 'json');
      this.events.onOpen(this.codec);
    };
    this.ws.onmessage = (event) => {
      if (this.closed) return;
      const decoded = this.codec.decode(toFrame(event.data));
      if (!decoded.ok) {
        this.events.onInvalid(decoded.error);
        return;
      }
      const parsed = parseHubMessage(decoded.value);
      if (parsed.ok) this.events.onMessage(parsed.value);
      else this.events.onInvalid(parsed.error);
    };
    this.ws.onclose = (event) => this.finish(event.code, event.reason);
    // An error is always followed by close in both the browser and `ws`; close carries the code.
    this.ws.onerror = () => undefined;
  }

  get encoding(): Encoding {
    return this.codec.encoding;
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === OPEN;
  }

  /** False when the socket is not open (the caller keeps the write queued). */
  send(message: TerminalMessage): boolean {
    if (!this.isOpen) return false;
    try {
      this.ws.send(this.codec.encode(message));
      return true;
    } catch {
      return false;
    }
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    try {
      this.ws.close(code, reason);
    } catch {
      // Closing a socket that never opened can throw in some runtimes; it is gone either way.
    }
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.events.onClose(code, reason);
  }
}

function toFrame(data: unknown): string | Uint8Array | ArrayBuffer {
  if (typeof data === 'string' || data instanceof ArrayBuffer || data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return String(data);
}

/** ws:// or wss:// from what the config holds: a ws URL, an http URL, or a bare host[:port]. */
export function toWebSocketUrl(value: string, defaultPort = 8766): string {
  const trimmed = value.trim();
  if (/^wss?:\/\//i.test(trimmed)) return trimmed;
  if (/^https?:\/\//i.test(trimmed)) return trimmed.replace(/^http/i, 'ws');
  const hasPort = /:\d+$/.test(trimmed) || /^\[.*\]:\d+$/.test(trimmed);
  return `ws://${hasPort ? trimmed : `${trimmed}:${defaultPort}`}`;
}
