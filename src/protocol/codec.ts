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
import type { ParseResult, ProtocolError } from './parse.js';

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

/** The int32/uint32 range msgpackr already writes as a msgpack integer. */
const INT32_MIN = -0x8000_0000;
const UINT32_MAX = 0xffff_ffff;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * msgpackr writes a JS integer outside the 32-bit range (every epoch-ms time: serverTime, expiresAt,
 * lockExpiresAt) as float64, and has no option to do otherwise; typed decoders (Python, Go, Rust, Swift)
 * then see a float where the schema says integer. A safe integer handed over as a BigInt is written as a
 * msgpack int64 instead, so this widens exactly those, copying only the objects and arrays that hold one
 * (a message without such a number is returned as it is). Unsafe integers (beyond 2^53) stay floats: they
 * were never exact in JS.
 */
export function widenLargeIntegers(value: unknown): unknown {
  if (typeof value === 'number') {
    return (value > UINT32_MAX || value < INT32_MIN) && Number.isSafeInteger(value) ? BigInt(value) : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const widened = widenLargeIntegers(item);
      if (widened !== item) {
        copy ??= value.slice();
        copy[i] = widened;
      }
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const item = value[key];
    const widened = widenLargeIntegers(item);
    if (widened !== item) {
      copy ??= { ...value };
      copy[key] = widened;
    }
  }
  return copy ?? value;
}

/**
 * msgpack allows any map key; JSON, the schemas and other terminals know only string keys. The rule
 * (README, "Encodings"): a nil, boolean or number key becomes its text, as `JSON.stringify` would write it
 * in JavaScript ({1: x} arrives as {"1": x}); a binary, array or map key is refused with BAD_FRAME. This
 * turns msgpackr's "Invalid property type for record: object" into that sentence.
 */
export function explainMsgpackError(detail: string): string {
  return detail.startsWith('Invalid property type for record')
    ? 'map keys must be strings (a binary, array or map key was sent)'
    : 'frame is not valid msgpack';
}

/** BAD_FRAME for a frame of the other kind: binary on a JSON connection, text on a msgpack one. */
export function frameKindError(codec: Codec, isBinary: boolean): ProtocolError | null {
  if (isBinary === codec.binary) return null;
  return isBinary
    ? { code: 'BAD_FRAME', message: 'binary frame on a JSON connection; send text frames, or negotiate pos-hub.msgpack.v1' }
    : { code: 'BAD_FRAME', message: 'text frame on a msgpack connection; send binary frames' };
}

export const msgpackCodec: Codec = {
  encoding: 'msgpack',
  binary: true,
  encode: (message) => packr.pack(widenLargeIntegers(message)),
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
    } catch (error) {
      const detail = error instanceof Error ? error.message : '';
      return { ok: false, error: { code: 'BAD_FRAME', message: explainMsgpackError(detail) } };
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
