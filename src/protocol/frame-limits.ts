/**
 * Bounds every inbound frame before anything recursive sees it. A cheap iterative pre-scan of the raw
 * JSON text or msgpack bytes checks total size, nesting depth, keys per object, array length and string
 * length, so JSON.parse, msgpackr, zod and later encoders only ever meet shallow, bounded values.
 * Also: prototype keys are dropped, and pass-through (unknown) fields are bounded in depth and bytes.
 * Browser-safe: no node: imports.
 */
import type { z } from 'zod';
import type { ErrorCode } from './errors.js';

export interface FrameLimits {
  /** Bytes of the raw frame (characters for a text frame already decoded). */
  readonly maxBytes: number;
  /** Nesting of objects and arrays; the top-level message is depth 1. */
  readonly maxDepth: number;
  /** Members of one object. */
  readonly maxKeys: number;
  /** Elements of one array. */
  readonly maxArray: number;
  /** Length of one string (or msgpack bin) as sent: JSON escapes count as written. */
  readonly maxString: number;
}

/** Bounds of one pass-through field: a field the schema does not know but keeps for newer terminals. */
export interface PassThroughLimits {
  readonly maxDepth: number;
  readonly maxBytes: number;
}

export type FrameLimitCode = Extract<ErrorCode, 'FRAME_TOO_LARGE' | 'FRAME_TOO_DEEP' | 'FRAME_TOO_MANY_KEYS' | 'FRAME_ARRAY_TOO_LONG' | 'FRAME_STRING_TOO_LONG'>;

export interface LimitBreach {
  readonly code: FrameLimitCode | 'BAD_FRAME';
  readonly message: string;
}

/** The hub's defaults (its config can change each); the README's security table lists them. */
export const DEFAULT_FRAME_LIMITS: FrameLimits = Object.freeze({ maxBytes: 512 * 1024, maxDepth: 32, maxKeys: 256, maxArray: 5000, maxString: 16 * 1024 });
export const DEFAULT_PASSTHROUGH_LIMITS: PassThroughLimits = Object.freeze({ maxDepth: 8, maxBytes: 4096 });

/** Keys that could reach an object's prototype when a value is copied with assignment. */
export const PROTOTYPE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

const tooDeep = (limits: FrameLimits): LimitBreach => ({ code: 'FRAME_TOO_DEEP', message: `frame nests deeper than ${limits.maxDepth} levels` });
const tooManyKeys = (limits: FrameLimits): LimitBreach => ({ code: 'FRAME_TOO_MANY_KEYS', message: `an object in the frame has more than ${limits.maxKeys} keys` });
const tooLong = (limits: FrameLimits): LimitBreach => ({ code: 'FRAME_ARRAY_TOO_LONG', message: `an array in the frame has more than ${limits.maxArray} elements` });
const stringTooLong = (limits: FrameLimits): LimitBreach => ({ code: 'FRAME_STRING_TOO_LONG', message: `a string in the frame is longer than ${limits.maxString} characters` });
export const frameTooLarge = (limits: FrameLimits): LimitBreach => ({ code: 'FRAME_TOO_LARGE', message: `frame is larger than ${limits.maxBytes} bytes` });

/**
 * One pass over JSON text. It does not validate JSON (JSON.parse does that next, on a text now known to
 * be shallow); it only counts brackets, commas and string lengths, skipping the insides of strings.
 */
export function scanJsonText(text: string, limits: FrameLimits): LimitBreach | null {
  if (text.length > limits.maxBytes) return frameTooLarge(limits);
  // commas[d] counts separators in the container open at depth d; isObject[d] says which kind it is.
  // Plain arrays grown one depth at a time: two typed arrays per call cost a short frame more than its scan.
  const commas: number[] = [0];
  const isObject: boolean[] = [false];
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // The closing quote is the next one not escaped by an odd run of backslashes (indexOf is native and fast).
      let close = text.indexOf('"', i + 1);
      while (close !== -1) {
        let backslashes = 0;
        while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
        close = text.indexOf('"', close + 1);
      }
      // Unterminated: JSON.parse refuses it, and nothing after it is structure.
      if (close === -1) return text.length - i - 1 > limits.maxString ? stringTooLong(limits) : null;
      if (close - i - 1 > limits.maxString) return stringTooLong(limits);
      i = close;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > limits.maxDepth) return tooDeep(limits);
      commas[depth] = 0;
      isObject[depth] = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth > 0) depth--;
    } else if (c === 0x2c && depth > 0) {
      const separators = ++commas[depth]!;
      if (isObject[depth] === true ? separators >= limits.maxKeys : separators >= limits.maxArray) {
        return isObject[depth] === true ? tooManyKeys(limits) : tooLong(limits);
      }
    }
  }
  return null;
}

const invalidMsgpack: LimitBreach = { code: 'BAD_FRAME', message: 'frame is not valid msgpack' };

/**
 * The extensions the hub reads: -1 (timestamp) and msgpackr's `undefined` (fixext 1, type 0), which a JS
 * terminal sends for a field set to undefined. Others (msgpackr records, structures) carry decoder state.
 */
const TIMESTAMP_EXT = 0xff;
const UNDEFINED_EXT = 0x00;

/** Where scanMsgpack is in the bytes: one small object per frame, where six closures and a DataView were. */
interface Cursor {
  readonly bytes: Uint8Array;
  readonly end: number;
  pos: number;
}

/** A big-endian length of 1, 2 or 4 bytes, or -1 when the bytes run out. */
function readUint(c: Cursor, size: 1 | 2 | 4): number {
  const p = c.pos;
  if (p + size > c.end) return -1;
  const b = c.bytes;
  c.pos = p + size;
  if (size === 1) return b[p]!;
  if (size === 2) return (b[p]! << 8) | b[p + 1]!;
  return b[p]! * 0x100_0000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

function skipBytes(c: Cursor, size: number): boolean {
  if (size < 0 || c.pos + size > c.end) return false;
  c.pos += size;
  return true;
}

/** A map (`keys` set) or array header announcing `items` values; pushed onto `remaining` when within bounds. */
function openContainer(c: Cursor, remaining: number[], limits: FrameLimits, items: number, keys: number | null): LimitBreach | null {
  if (items < 0) return invalidMsgpack;
  if (keys !== null ? keys > limits.maxKeys : items > limits.maxArray) return keys !== null ? tooManyKeys(limits) : tooLong(limits);
  // Every item takes at least one byte: a count beyond the bytes left is a lie.
  if (items > c.end - c.pos) return invalidMsgpack;
  if (remaining.length >= limits.maxDepth + 1) return tooDeep(limits);
  if (items > 0) remaining.push(items);
  return null;
}

function skipString(c: Cursor, limits: FrameLimits, len: number): LimitBreach | null {
  if (len < 0) return invalidMsgpack;
  if (len > limits.maxString) return stringTooLong(limits);
  return skipBytes(c, len) ? null : invalidMsgpack;
}

function skipExt(c: Cursor, len: number): LimitBreach | null {
  if (len < 0 || c.pos >= c.end) return invalidMsgpack;
  const type = c.bytes[c.pos]!;
  c.pos += 1;
  const known = type === TIMESTAMP_EXT ? len === 4 || len === 8 || len === 12 : type === UNDEFINED_EXT && len === 1;
  if (!known) return invalidMsgpack;
  return skipBytes(c, len) ? null : invalidMsgpack;
}

/**
 * Walks msgpack headers without building values: every declared length is checked against the limits
 * and against the bytes actually present, so a header claiming 4 GB costs nothing.
 */
export function scanMsgpack(bytes: Uint8Array, limits: FrameLimits): LimitBreach | null {
  if (bytes.byteLength > limits.maxBytes) return frameTooLarge(limits);
  const c: Cursor = { bytes, end: bytes.byteLength, pos: 0 };
  // Items still to read in each open container; the root is one item.
  const remaining: number[] = [1];
  while (remaining.length > 0) {
    const top = remaining.length - 1;
    if (remaining[top] === 0) {
      remaining.pop();
      continue;
    }
    remaining[top]!--;
    if (c.pos >= c.end) return invalidMsgpack;
    const b = bytes[c.pos++]!;
    let breach: LimitBreach | null = null;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue;
    if (b >= 0x80 && b <= 0x8f) breach = openContainer(c, remaining, limits, (b & 0x0f) * 2, b & 0x0f);
    else if (b >= 0x90 && b <= 0x9f) breach = openContainer(c, remaining, limits, b & 0x0f, null);
    else if (b >= 0xa0 && b <= 0xbf) breach = skipString(c, limits, b & 0x1f);
    else {
      switch (b) {
        case 0xc4:
        case 0xd9:
          breach = skipString(c, limits, readUint(c, 1));
          break;
        case 0xc5:
        case 0xda:
          breach = skipString(c, limits, readUint(c, 2));
          break;
        case 0xc6:
        case 0xdb:
          breach = skipString(c, limits, readUint(c, 4));
          break;
        case 0xc7:
          breach = skipExt(c, readUint(c, 1));
          break;
        case 0xc8:
          breach = skipExt(c, readUint(c, 2));
          break;
        case 0xc9:
          breach = skipExt(c, readUint(c, 4));
          break;
        case 0xcc:
        case 0xd0:
          breach = skipBytes(c, 1) ? null : invalidMsgpack;
          break;
        case 0xcd:
        case 0xd1:
          breach = skipBytes(c, 2) ? null : invalidMsgpack;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          breach = skipBytes(c, 4) ? null : invalidMsgpack;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          breach = skipBytes(c, 8) ? null : invalidMsgpack;
          break;
        case 0xd4:
          breach = skipExt(c, 1);
          break;
        case 0xd6:
          breach = skipExt(c, 4);
          break;
        case 0xd7:
          breach = skipExt(c, 8);
          break;
        case 0xdc: {
          breach = openContainer(c, remaining, limits, readUint(c, 2), null);
          break;
        }
        case 0xdd: {
          breach = openContainer(c, remaining, limits, readUint(c, 4), null);
          break;
        }
        case 0xde: {
          const keys = readUint(c, 2);
          breach = openContainer(c, remaining, limits, keys < 0 ? -1 : keys * 2, keys);
          break;
        }
        case 0xdf: {
          const keys = readUint(c, 4);
          breach = openContainer(c, remaining, limits, keys < 0 ? -1 : keys * 2, keys);
          break;
        }
        default:
          // 0xc1 (never used), fixext 2/16 (no extension the hub reads has those sizes).
          breach = invalidMsgpack;
      }
    }
    if (breach !== null) return breach;
  }
  return c.pos === c.end ? null : invalidMsgpack;
}

/** Deletes `__proto__`, `constructor` and `prototype` keys at every level, in place, without recursion. */
export function dropPrototypeKeys<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) if (typeof item === 'object' && item !== null) stack.push(item);
      continue;
    }
    const record = v as Record<string, unknown>;
    for (const key of PROTOTYPE_KEYS) if (Object.hasOwn(record, key)) delete record[key];
    for (const key in record) {
      const item = record[key];
      if (typeof item === 'object' && item !== null) stack.push(item);
    }
  }
  return value;
}

/**
 * Depth and approximate encoded bytes of a value, iteratively, stopping as soon as either passes its
 * bound. Bytes are counted as JSON would write them (close enough for msgpack, which is smaller).
 */
export function measureValue(value: unknown, maxDepth: number, maxBytes: number): { depth: number; bytes: number; within: boolean } {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 0 }];
  let depth = 0;
  let bytes = 0;
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (typeof v === 'string') bytes += v.length + 2;
    else if (typeof v === 'number') bytes += 8;
    else if (typeof v === 'boolean' || v === null || v === undefined) bytes += 5;
    else if (typeof v === 'object') {
      depth = Math.max(depth, d + 1);
      if (depth > maxDepth) return { depth, bytes, within: false };
      bytes += 2;
      if (Array.isArray(v)) {
        for (const item of v) {
          bytes += 1;
          stack.push({ v: item, d: d + 1 });
        }
      } else {
        for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
          bytes += key.length + 4;
          stack.push({ v: item, d: d + 1 });
        }
      }
    } else bytes += 8;
    if (bytes > maxBytes) return { depth, bytes, within: false };
  }
  return { depth, bytes, within: true };
}

interface ZodDefLike {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
}

const defOf = (schema: z.ZodType): ZodDefLike => (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;

/**
 * Follows a parsed value alongside its schema and checks every field the schema does not name (what a
 * loose object lets through) against the pass-through bounds. Returns the path of the first offender.
 */
export function findOversizePassThrough(schema: z.ZodType, value: unknown, limits: PassThroughLimits): string | null {
  const path: string[] = [];
  return walkPassThrough(schema, value, limits, path) ? path.join('.') : null;
}

/** True when an oversize field was found; `path` then holds its location (it is only pushed on the way there). */
function walkPassThrough(schema: z.ZodType, value: unknown, limits: PassThroughLimits, path: string[]): boolean {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
      return value !== undefined && value !== null && def.innerType !== undefined && walkPassThrough(def.innerType, value, limits, path);
    case 'array': {
      if (!Array.isArray(value) || def.element === undefined) return false;
      const element = def.element;
      // Elements that are not objects cannot carry unknown fields (taxIds, lineUids): nothing to walk.
      if (defOf(element).type !== 'object') return false;
      for (let i = 0; i < value.length; i++) {
        path.push(String(i));
        if (walkPassThrough(element, value[i], limits, path)) return true;
        path.pop();
      }
      return false;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || def.shape === undefined) return false;
      const shape = def.shape;
      const record = value as Record<string, unknown>;
      for (const key in record) {
        const item = record[key];
        const known = Object.hasOwn(shape, key) ? shape[key] : undefined;
        // A known scalar was checked by the schema and holds nothing unknown.
        if (known !== undefined && (typeof item !== 'object' || item === null)) continue;
        path.push(key);
        if (known === undefined ? !measureValue(item, limits.maxDepth, limits.maxBytes).within : walkPassThrough(known, item, limits, path)) return true;
        path.pop();
      }
      return false;
    }
    default:
      return false;
  }
}

/**
 * True when no object/array in `value` nests deeper than `maxDepth`: the cheap test, without recursion,
 * that a value is safe to hand to JSON.stringify, msgpack or postMessage (all of which recurse).
 */
export function depthWithin(value: unknown, maxDepth: number): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const d = depths.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > maxDepth) return false;
    if (Array.isArray(v)) {
      for (const item of v) {
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(d + 1);
        }
      }
    } else {
      for (const key in v) {
        const item = (v as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(d + 1);
        }
      }
    }
  }
  return true;
}
