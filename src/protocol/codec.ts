/**
 * The Encoder seam: JSON text frames (the default, so wscat works) and msgpack binary frames,
 * chosen per connection. decode() never throws; it returns a typed protocol error instead.
 * Records/structures are off so any standard msgpack library can talk to the hub.
 * With limits, a frame is pre-scanned (frame-limits.ts) before the parser runs, and errors carry our
 * words only: a parser's exception text never reaches the wire.
 */
import { Packr } from 'msgpackr';
import type { Encoding } from './constants.js';
import { dropPrototypeKeys, frameTooLarge, scanJsonText, scanMsgpack, type FrameLimits, type LimitBreach } from './frame-limits.js';
import type { ParseResult } from './parse.js';

export type Frame = string | Uint8Array | ArrayBuffer;

export interface Codec {
  readonly encoding: Encoding;
  /** True when frames are sent as binary WebSocket messages. */
  readonly binary: boolean;
  encode(message: unknown): string | Uint8Array;
  /** Without limits the frame is parsed as is (the SDK reading the hub); the hub always passes its limits. */
  decode(frame: Frame, limits?: FrameLimits): ParseResult<unknown>;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

function toBytes(frame: Uint8Array | ArrayBuffer): Uint8Array {
  return frame instanceof Uint8Array ? frame : new Uint8Array(frame);
}

const refused = (breach: LimitBreach): ParseResult<unknown> => ({ ok: false, error: breach });

/** Only a text that spells one of the keys (or hides one behind a \\u escape) needs the walk. */
function mayHavePrototypeKeys(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('prototype') || text.includes('\\u');
}

export const jsonCodec: Codec = {
  encoding: 'json',
  binary: false,
  encode: (message) => JSON.stringify(message),
  decode(frame, limits) {
    if (limits !== undefined && typeof frame !== 'string' && frame.byteLength > limits.maxBytes) return refused(frameTooLarge(limits));
    let text: string;
    try {
      text = typeof frame === 'string' ? frame : textDecoder.decode(toBytes(frame));
    } catch {
      return { ok: false, error: { code: 'BAD_JSON', message: 'frame is not valid UTF-8 text' } };
    }
    if (limits !== undefined) {
      const breach = scanJsonText(text, limits);
      if (breach !== null) return refused(breach);
    }
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      return { ok: false, error: { code: 'BAD_JSON', message: 'frame is not valid JSON' } };
    }
    return { ok: true, value: mayHavePrototypeKeys(text) ? dropPrototypeKeys(value) : value };
  },
};

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'number' });

export const msgpackCodec: Codec = {
  encoding: 'msgpack',
  binary: true,
  encode: (message) => packr.pack(message),
  decode(frame, limits) {
    if (typeof frame === 'string') {
      return { ok: false, error: { code: 'BAD_FRAME', message: 'text frame on a msgpack connection; send binary frames' } };
    }
    const bytes = toBytes(frame);
    if (limits !== undefined) {
      const breach = scanMsgpack(bytes, limits);
      if (breach !== null) return refused(breach);
    }
    try {
      return { ok: true, value: dropPrototypeKeys(packr.unpack(bytes) as unknown) };
    } catch {
      return { ok: false, error: { code: 'BAD_FRAME', message: 'frame is not valid msgpack' } };
    }
  },
};

export function codecFor(encoding: Encoding): Codec {
  switch (encoding) {
    case 'json':
      return jsonCodec;
    case 'msgpack':
      return msgpackCodec;
    default: {
      const unreachable: never = encoding;
      throw new Error(`unknown encoding ${String(unreachable)}`);
    }
  }
}
