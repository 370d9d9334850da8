/**
 * The front validates terminal frames with zod's compiled code and a compiled pass-through walker
 * (compiled-schemas.ts); the runtime schemas and frame-limits.ts's walk are the reference. For every
 * message type, generated valid frames and seeded mutations of them (wrong types, bounds ±1, datetimes,
 * unknown fields too deep or too big, missing keys) must get the same answer, the same parsed value and
 * the same issues from both, so the terminal sees the same result and the same error text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSchema, type CompiledSchema } from '../../../src/protocol/compiled-schemas.js';
import { DEFAULT_PASSTHROUGH_LIMITS, findOversizePassThrough, type PassThroughLimits } from '../../../src/protocol/frame-limits.js';
import { parseTerminalMessage } from '../../../src/protocol/parse.js';
import { TERMINAL_MESSAGE_TYPES, terminalMessageSchemas, type TerminalMessageType } from '../../../src/protocol/terminal-messages.js';
import { terminalMessageArbs } from '../../fixtures/protocol-arbitraries.js';

const compiled = new Map<TerminalMessageType, CompiledSchema>(TERMINAL_MESSAGE_TYPES.map((type) => [type, compileSchema(terminalMessageSchemas[type])]));
/** Tighter than the defaults too, so generated unknown fields cross the bounds often. */
const LIMITS: readonly PassThroughLimits[] = [DEFAULT_PASSTHROUGH_LIMITS, { maxDepth: 2, maxBytes: 24 }];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const deep = (levels: number): unknown => (levels === 0 ? 1 : { d: deep(levels - 1) });
const VALUES: readonly unknown[] = [
  undefined, null, 0, -0, -1, 1, 2, 1.5, 7, 100, 100.5, 101, 1000, 1001, 2 ** 31, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), NaN, Infinity, -Infinity,
  true, false, '', 'x', 'a'.repeat(32), 'a'.repeat(33), 'a'.repeat(64), 'a'.repeat(65), 'a'.repeat(128), 'a'.repeat(129), 'a'.repeat(256), 'a'.repeat(257),
  'a'.repeat(1024), 'a'.repeat(1025), 'a'.repeat(4096), 'a'.repeat(4097), '😀'.repeat(33), '😀'.repeat(65), '😀', 'é', 'x'.repeat(5000),
  'editing', 'paid', 'bogus', 'open', 'changed', 'takeout', 'delivery', 'AUTH', 'HEARTBEAT', 'ORDER_SNAPSHOT', 'ORDER_FINALIZE',
  '2026-01-01T10:00:00Z', '2026-01-01T10:00:00+05:30', '2026-02-30T10:00:00Z', '2026-01-01 10:00:00', '2024-02-29T23:59:59.5-03:00',
  '2026-01-01T24:00:00Z', '2026-13-01T10:00:00Z', '2026-01-01T10:00:00', '2026-01-01T10:00:00.123456789+14:00', '2026-01-01T10:00Z',
  '2026-01-01T10:00:00+0530', '2026-01-01t10:00:00z', new Date(0),
  [], [1], [0], [-1], [1.5], ['1'], [null], [{}], {}, { a: 1 }, { id: 1 }, { id: 1, x: 1e9 }, deep(1), deep(2), deep(3), deep(7), deep(8), deep(9), [deep(7)],
  { big: 'y'.repeat(4100) }, 'y'.repeat(30),
];

/** Every [container, key] in the value, so a mutation can hit any level. */
function slots(value: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []): typeof out {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([value, i]);
      slots(item, out);
    });
  } else if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      out.push([record, key]);
      slots(record[key], out);
    }
  }
  return out;
}

function mutate(frame: Record<string, unknown>, random: () => number): void {
  const all = slots(frame);
  if (all.length === 0) return;
  const [container, key] = all[Math.floor(random() * all.length)]!;
  // A copy: a shared value mutated later could come to contain itself.
  const value: unknown = structuredClone(VALUES[Math.floor(random() * VALUES.length)]);
  const roll = random();
  if (roll < 0.15 && !Array.isArray(container)) delete container[key as string];
  else if (roll < 0.3 && !Array.isArray(container)) container[`unknown${Math.floor(random() * 3)}`] = value;
  else if (roll < 0.35 && Array.isArray(container)) container.push(value);
  else (container as Record<string | number, unknown>)[key] = value;
}

/** One frame through both: same success, same value (undefined keys included), same issues, same walk verdict. */
function assertSame(type: TerminalMessageType, frame: unknown): 'refused' | 'accepted' | 'oversize' {
  const reference = terminalMessageSchemas[type];
  const fast = compiled.get(type)!;
  const slow = reference.safeParse(frame);
  const quick = fast.schema.safeParse(frame);
  expect(quick.success).toBe(slow.success);
  if (!slow.success || !quick.success) {
    expect(quick.error?.issues).toEqual(slow.error?.issues);
    return 'refused';
  }
  expect(quick.data).toStrictEqual(slow.data);
  let verdict: 'accepted' | 'oversize' = 'accepted';
  for (const limits of LIMITS) {
    const oversize = findOversizePassThrough(reference, slow.data, limits) !== null;
    expect(fast.oversize === null ? false : fast.oversize(quick.data, limits)).toBe(oversize);
    if (oversize) verdict = 'oversize';
  }
  return verdict;
}

describe('compiled terminal-message validation', () => {
  it('agrees with the runtime schemas on generated valid frames of every type', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TERMINAL_MESSAGE_TYPES).chain((type) => fc.tuple(fc.constant(type), terminalMessageArbs[type])),
        ([type, frame]) => {
          expect(assertSame(type, frame)).not.toBe('refused');
        },
      ),
      { numRuns: 600, seed: 16 },
    );
  });

  it('agrees on seeded mutations of them: the same accepted set, rejected set and issues', () => {
    const seen = { refused: 0, accepted: 0, oversize: 0 };
    fc.assert(
      fc.property(
        fc.constantFrom(...TERMINAL_MESSAGE_TYPES).chain((type) => fc.tuple(fc.constant(type), terminalMessageArbs[type], fc.integer())),
        ([type, frame, seed]) => {
          const random = rng(seed);
          const count = 1 + Math.floor(random() * 3);
          for (let m = 0; m < count; m++) mutate(frame as Record<string, unknown>, random);
          // The type may have been mutated: each type's schema still answers for the frame.
          seen[assertSame(type, frame)]++;
        },
      ),
      { numRuns: 4000, seed: 16 },
    );
    // Every side was exercised: refused, accepted within the bounds, accepted but beyond them.
    expect(seen.refused).toBeGreaterThan(2500);
    expect(seen.accepted).toBeGreaterThan(300);
    expect(seen.oversize).toBeGreaterThan(120);
  });

  it('words a refusal as the runtime schemas do, pass-through bounds included', () => {
    const frame = { type: 'LEASE_HEARTBEAT', posReference: '' };
    const parsed = parseTerminalMessage(frame, DEFAULT_PASSTHROUGH_LIMITS);
    const issues = terminalMessageSchemas.LEASE_HEARTBEAT.safeParse(frame).error?.issues;
    expect(parsed).toEqual({ ok: false, error: { code: 'INVALID_MESSAGE', message: `LEASE_HEARTBEAT: posReference: ${issues?.[0]?.message}`, type: 'LEASE_HEARTBEAT' } });
    const tooDeep = parseTerminalMessage({ type: 'HEARTBEAT', extra: { lines: [deep(9)] } }, DEFAULT_PASSTHROUGH_LIMITS);
    expect(tooDeep).toEqual({
      ok: false,
      error: {
        code: 'PASSTHROUGH_TOO_LARGE',
        message: 'HEARTBEAT: extra: a field the hub does not know may nest 8 levels and take 4096 bytes',
        type: 'HEARTBEAT',
      },
    });
  });
});
