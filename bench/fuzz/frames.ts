/**
 * The hostile frames of the fuzz harness, by category: random bytes, random JSON and msgpack,
 * schema-near mutations of every terminal → hub message type, deep nesting, msgpack headers declaring
 * gigabytes, prototype keys and extreme numbers. Each category is a pool of frames built once from a
 * seeded generator (fast-check for valid messages), so a run is repeatable and sending stays cheap.
 */
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { terminalMessageArbs } from '../../test/fixtures/protocol-arbitraries.js';
import { TERMINAL_MESSAGE_TYPES } from '../../src/protocol/terminal-messages.js';
import { rng } from '../venue/orders.js';

export const CATEGORIES = [
  'random-bytes',
  'random-json',
  'random-msgpack',
  'schema-near',
  'deep-nesting',
  'huge-lengths',
  'prototype-keys',
  'extreme-numbers',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Frame {
  readonly data: string | Buffer;
  /** Sent on a socket that negotiated msgpack (binary frames) rather than JSON (text frames). */
  readonly msgpack: boolean;
}

/** The venue simulator's seeded PRNG (mulberry32): the same pools on every run with the same seed. */
export const prng = rng;

type Rng = () => number;
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

/** Valid messages of every type, sampled once; floor plans use three floor ids so the run stores a bounded amount. */
function validMessages(seed: number, perType: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const type of TERMINAL_MESSAGE_TYPES) {
    const samples = fc.sample(terminalMessageArbs[type], { numRuns: perType, seed: seed + type.length });
    samples.forEach((s, i) => {
      const msg = { ...(s as Record<string, unknown>) };
      if (type === 'FLOOR_PLAN_UPDATE') msg.floorId = 1 + (i % 3);
      out.push(msg);
    });
  }
  return out;
}

const EXTREMES: readonly unknown[] = [
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  5e-324,
  -0,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 64,
  0.1 + 0.2,
  -1,
  0,
];
const WRONG: readonly unknown[] = [
  null,
  true,
  false,
  '',
  'x'.repeat(5000),
  -1,
  1.5,
  [],
  {},
  [1, 2, 3],
  { a: 1 },
  '0',
  'NaN',
];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

function randomValue(rng: Rng, depth: number): unknown {
  const r = rng();
  if (depth > 4 || r < 0.35) {
    return pick(rng, [
      () => int(rng, -1e9, 1e9),
      () => rng() * 1e6 - 5e5,
      () =>
        Math.random()
          .toString(36)
          .slice(2, 2 + int(rng, 0, 10)),
      () => null,
      () => rng() < 0.5,
      () => pick(rng, EXTREMES),
    ])();
  }
  if (r < 0.65) return Array.from({ length: int(rng, 0, 6) }, () => randomValue(rng, depth + 1));
  const obj: Record<string, unknown> = {};
  for (let i = int(rng, 0, 6); i > 0; i--)
    obj[pick(rng, ['type', 'posReference', 'tableId', 'snapshot', 'lines', 'a', 'b', 'qty', String(i)])] = randomValue(
      rng,
      depth + 1,
    );
  if (rng() < 0.5) obj.type = pick(rng, [...TERMINAL_MESSAGE_TYPES, 'NOPE', '']);
  return obj;
}

/** A copy of `msg` with one field dropped, retyped, nulled, oversized or added — close to valid, not valid. */
function mutate(rng: Rng, msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(msg);
  const keys = Object.keys(out).filter((k) => k !== 'type');
  const target: Record<string, unknown> =
    rng() < 0.4 && typeof out.snapshot === 'object' && out.snapshot !== null
      ? (out.snapshot as Record<string, unknown>)
      : out;
  const targetKeys = target === out ? keys : Object.keys(target);
  const key = targetKeys.length > 0 ? pick(rng, targetKeys) : 'extra';
  switch (int(rng, 0, 7)) {
    case 0:
      delete target[key];
      break;
    case 1:
      target[key] = pick(rng, WRONG);
      break;
    case 2:
      target[key] = pick(rng, EXTREMES);
      break;
    case 3:
      out.type = pick(rng, TERMINAL_MESSAGE_TYPES);
      break;
    case 4:
      target[key] = Array.from({ length: int(rng, 100, 3000) }, (_, i) => ({ uid: `u${i}`, qty: i }));
      break;
    case 5:
      target[`extra_${int(rng, 0, 99)}`] = randomValue(rng, 0);
      break;
    case 6:
      out.type = String(out.type).toLowerCase();
      break;
    default:
      target[key] = typeof target[key] === 'string' ? `${String(target[key])}\u0000\ud800` : String(target[key]);
  }
  return out;
}

/** Nested arrays and objects `depth` levels deep, as text (no recursion: the depth is the point). */
function deepJson(depth: number, objects: boolean): string {
  return objects ? `${'{"x":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

/** The same as msgpack: fixarray(1) or fixmap(1) headers, `depth` times, then nil. */
function deepMsgpack(depth: number, objects: boolean): Buffer {
  const head = objects ? Buffer.from([0x81, 0xa1, 0x78]) : Buffer.from([0x91]);
  return Buffer.concat([Buffer.alloc(head.length * depth, head), Buffer.from([0xc0])]);
}

/** A valid message's prefix, then a pass-through field whose value is the hostile bytes. */
function msgpackWithField(base: Record<string, unknown>, field: string, value: Buffer): Buffer {
  const head = pack(base);
  // Re-open the map: rebuild it with one more entry by hand (fixmap up to 15 entries, else map16).
  const n = Object.keys(base).length + 1;
  const mapHeader = n <= 15 ? Buffer.from([0x80 | n]) : Buffer.from([0xde, (n >> 8) & 0xff, n & 0xff]);
  const entries = head.subarray(Object.keys(base).length <= 15 ? 1 : 3);
  return Buffer.concat([mapHeader, entries, pack(field), value]);
}

const HUGE_HEADERS: readonly Buffer[] = [
  Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xf0, 0x61, 0x62]), // str32 claiming ~4 GB
  Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]), // array32 with 2^32-1 items
  Buffer.from([0xdf, 0x7f, 0xff, 0xff, 0xff, 0xa1, 0x61]), // map32 with 2^31-1 entries
  Buffer.from([0xc6, 0xff, 0xff, 0xff, 0x00, 0x01]), // bin32 claiming ~4 GB
  Buffer.from([0xc9, 0xff, 0xff, 0xff, 0xf0, 0x01, 0x02]), // ext32 claiming ~4 GB
  Buffer.from([0xdc, 0xff, 0xff, 0xc0]), // array16 with 65535 items, one present
  Buffer.from([0xda, 0xff, 0xff, 0x61]), // str16 claiming 64 kB
];

/** Build `count` frames of one category. */
export function buildPool(category: Category, count: number, seed: number): Frame[] {
  const rng = prng(seed);
  const valid =
    category === 'random-bytes' || category === 'random-json' || category === 'random-msgpack'
      ? []
      : validMessages(seed, Math.max(4, Math.ceil(count / TERMINAL_MESSAGE_TYPES.length / 4)));
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    const asMsgpack = rng() < 0.5;
    const encode = (value: unknown): Frame =>
      asMsgpack ? { data: pack(value), msgpack: true } : { data: JSON.stringify(value), msgpack: false };
    switch (category) {
      case 'random-bytes': {
        const bytes = Buffer.alloc(int(rng, 1, 600));
        for (let b = 0; b < bytes.length; b++) bytes[b] = int(rng, 0, 255);
        // Raw bytes on both kinds of socket: binary on a msgpack socket, a binary frame on a JSON one too.
        frames.push({ data: bytes, msgpack: asMsgpack });
        break;
      }
      case 'random-json':
        frames.push({
          data:
            rng() < 0.2
              ? JSON.stringify(randomValue(rng, 0)).slice(0, int(rng, 1, 60))
              : JSON.stringify(randomValue(rng, 0)),
          msgpack: false,
        });
        break;
      case 'random-msgpack':
        frames.push({ data: pack(randomValue(rng, 0)), msgpack: true });
        break;
      case 'schema-near':
        frames.push(encode(mutate(rng, pick(rng, valid))));
        break;
      case 'deep-nesting': {
        const depth = pick(rng, [64, 500, 2_500, 5_000, 10_000, 50_000]);
        const objects = rng() < 0.5;
        const base = pick(rng, valid);
        const field = pick(rng, ['extra', 'snapshot', 'note']);
        if (asMsgpack) {
          frames.push({ data: msgpackWithField(base, field, deepMsgpack(depth, objects)), msgpack: true });
        } else {
          const json = JSON.stringify(base);
          frames.push({
            data: `${json.slice(0, -1)},${JSON.stringify(field)}:${deepJson(depth, objects)}}`,
            msgpack: false,
          });
        }
        break;
      }
      case 'huge-lengths': {
        const header = pick(rng, HUGE_HEADERS);
        frames.push({
          data: rng() < 0.5 ? header : msgpackWithField(pick(rng, valid), 'extra', header),
          msgpack: true,
        });
        break;
      }
      case 'prototype-keys': {
        const base = structuredClone(pick(rng, valid));
        const key = pick(rng, PROTO_KEYS);
        const poison = { polluted: true, toString: 'x', valueOf: 1 };
        // JSON text: a literal "__proto__" key survives JSON.stringify only when written by hand.
        const inner = rng() < 0.5 && typeof base.snapshot === 'object' ? 'snapshot' : null;
        if (asMsgpack) {
          const target = inner ? (base.snapshot as Record<string, unknown>) : base;
          Object.defineProperty(target, key, { value: poison, enumerable: true, configurable: true, writable: true });
          frames.push({ data: pack(base), msgpack: true });
        } else {
          const json = JSON.stringify(base);
          const injected = `"${key}":${JSON.stringify(poison)},`;
          frames.push({
            data: inner ? json.replace('"snapshot":{', `"snapshot":{${injected}`) : `{${injected}${json.slice(1)}`,
            msgpack: false,
          });
        }
        break;
      }
      case 'extreme-numbers': {
        const base = structuredClone(pick(rng, valid));
        const target =
          typeof base.snapshot === 'object' && base.snapshot !== null && rng() < 0.6
            ? (base.snapshot as Record<string, unknown>)
            : base;
        const numeric = Object.keys(target).filter((k) => typeof target[k] === 'number');
        const key = numeric.length > 0 ? pick(rng, numeric) : 'tableId';
        const extreme = pick(rng, [...EXTREMES, 1e21, -1e21, 123456789012345680000]);
        target[key] = extreme;
        if (asMsgpack && rng() < 0.3)
          target[key] = pick(rng, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]); // msgpack float64 carries them
        frames.push(
          asMsgpack
            ? { data: pack(base), msgpack: true }
            : { data: JSON.stringify(base).replace(/"(\w+)":(-?[\d.e+-]+)/, `"$1":1e999`), msgpack: false },
        );
        break;
      }
      default: {
        const unreachable: never = category;
        throw new Error(`unknown category ${String(unreachable)}`);
      }
    }
  }
  return frames;
}
