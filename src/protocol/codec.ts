/**
 * The Encoder seam: JSON text frames (the default, so wscat works) and msgpack binary frames,
 * chosen per connection. decode() never throws; it returns a typed protocol error instead.
 * Records/structures are off so any standard msgpack library can talk to the hub.
 */
import { Packr } from 'msgpackr';
import type { Encoding } from './constants.js';
import type { ParseResult } from './parse.js';

export type Frame = string | Uint8Array | ArrayBuffer;

export interface Codec {
  readonly encoding: Encoding;
  /** True when frames are sent as binary WebSocket messages. */
  readonly binary: boolean;
  encode(message: unknown): string | Uint8Array;
  decode(frame: Frame): ParseResult<unknown>;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

function toBytes(frame: Uint8Array | ArrayBuffer): Uint8Array {
  return frame instanceof Uint8Array ? frame : new Uint8Array(frame);
}

export const jsonCodec: Codec = {
  encoding: 'json',
  binary: false,
  encode: (message) => JSON.stringify(message),
  decode(frame) {
    let text: string;
    try {
      text = typeof frame === 'string' ? frame : textDecoder.decode(toBytes(frame));
    } catch {
      return { ok: false, error: { code: 'BAD_JSON', message: 'frame is not valid UTF-8 text' } };
    }
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (error) {
      const detail = error instanceof Error ? error.message : 'parse error';
      return { ok: false, error: { code: 'BAD_JSON', message: `invalid JSON: ${detail.slice(0, 120)}` } };
    }
  },
};

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'number' });

export const msgpackCodec: Codec = {
  encoding: 'msgpack',
  binary: true,
  encode: (message) => packr.pack(message),
  decode(frame) {
    if (typeof frame === 'string') {
      return { ok: false, error: { code: 'BAD_FRAME', message: 'text frame on a msgpack connection; send binary frames' } };
    }
    try {
      return { ok: true, value: packr.unpack(toBytes(frame)) as unknown };
    } catch (error) {
      const detail = error instanceof Error ? error.message : 'decode error';
      return { ok: false, error: { code: 'BAD_FRAME', message: `invalid msgpack: ${detail.slice(0, 120)}` } };
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
