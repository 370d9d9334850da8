/**
 * The hand-written ORDER_SNAPSHOT check may only ever accept what the schemas accept, and hand on the same
 * value: thousands of seeded mutations of a valid frame (wrong types, bounds ±1, unknown fields too deep or
 * too big, missing keys) held against zod and the pass-through walk.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PASSTHROUGH_LIMITS, findOversizePassThrough } from '../../../src/protocol/frame-limits.js';
import { parseTerminalMessage } from '../../../src/protocol/parse.js';
import { fastOrderSnapshot } from '../../../src/protocol/snapshot-fast-path.js';
import { terminalMessageSchemas } from '../../../src/protocol/terminal-messages.js';

function validFrame(): Record<string, unknown> {
  const ref = 'NU/CFG1/S42/1709123456789-3f7a';
  return {
    type: 'ORDER_SNAPSHOT',
    posReference: ref,
    baseVersion: 3,
    mutationId: 'm-0001',
    benchSentUs: 123456789,
    snapshot: {
      posReference: ref,
      tableId: 7,
      state: 'editing',
      kitchenStatus: 'sent',
      guestCount: 4,
      staffName: 'Ana',
      partnerId: null,
      sessionId: 42,
      userId: 2,
      configId: 1,
      extra: { benchSentUs: 1, tags: ['a', 'b'] },
      lines: Array.from({ length: 3 }, (_, i) => ({
        uid: `line-${i + 1}`,
        productId: 100 + i,
        name: `Lomo saltado ${i + 1}`,
        qty: 1 + i,
        priceUnit: 12.5,
        discount: 0,
        taxIds: [1, 2],
        priceSubtotal: 12.5,
        priceSubtotalIncl: 14.75,
        note: 'sin cebolla',
        modifiers: [{ id: 1 }],
      })),
      payments: [{ uid: 'p1', journalId: 1, statementId: 3, amount: 10, name: 'Cash' }],
      amountTotal: 44.25,
      amountTax: 6.75,
      amountPaid: 0,
      amountReturn: 0,
      createdAt: '2026-01-01T10:00:00.000Z',
    },
  };
}

/** The schemas alone, as the hub applied them before the fast path. */
function slowParse(value: unknown): { ok: true; value: unknown } | { ok: false } {
  const schema = terminalMessageSchemas.ORDER_SNAPSHOT;
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { ok: false };
  if (findOversizePassThrough(schema, parsed.data, DEFAULT_PASSTHROUGH_LIMITS) !== null) return { ok: false };
  return { ok: true, value: parsed.data };
}

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
  undefined, null, 0, -0, -1, 1, 2, 1.5, 7, 100, 100.5, 101, 1000, 1001, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), NaN, Infinity, -Infinity,
  true, '', 'x', 'a'.repeat(64), 'a'.repeat(65), 'a'.repeat(128), 'a'.repeat(129), 'a'.repeat(256), 'a'.repeat(257),
  'a'.repeat(1024), 'a'.repeat(1025), '😀'.repeat(33), '😀'.repeat(65), 'x'.repeat(5000), 'editing', 'paid', 'bogus', 'open', 'changed',
  '2026-01-01T10:00:00Z', '2026-01-01T10:00:00+05:30', '2026-02-30T10:00:00Z', '2026-01-01 10:00:00', '2024-02-29T23:59:59.5-03:00',
  '2026-01-01T24:00:00Z', '2026-13-01T10:00:00Z', '2026-01-01T10:00:00', '2026-01-01T10:00:00.123456789+14:00', '2026-01-01T10:00Z', 'ORDER_SNAPSHOT', 'ORDER_FINALIZE',
  [], [1], [0], [-1], [1.5], ['1'], [null], {}, { a: 1 }, deep(7), deep(8), deep(9), [deep(7)], { big: 'y'.repeat(4100) },
];

/** Every [container, key] in the value, so a mutation can hit any level. */
function slots(value: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []): typeof out {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([value, i]);
      slots(item, out);
    });
  } else if (typeof value === 'object' && value !== null) {
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
  const [container, key] = all[Math.floor(random() * all.length)]!;
  const value = VALUES[Math.floor(random() * VALUES.length)];
  const roll = random();
  if (roll < 0.15 && !Array.isArray(container)) delete container[key as string];
  else if (roll < 0.3 && !Array.isArray(container)) container[`unknown${Math.floor(random() * 3)}`] = value;
  else if (roll < 0.35 && Array.isArray(container)) container.push(value);
  else (container as Record<string | number, unknown>)[key] = value;
}

describe('the ORDER_SNAPSHOT fast path', () => {
  it('takes a valid frame, unknown fields included, as it is', () => {
    const frame = validFrame();
    expect(fastOrderSnapshot(frame, DEFAULT_PASSTHROUGH_LIMITS)).toBe(frame);
    expect(slowParse(frame).ok).toBe(true);
  });

  it('never accepts what the schemas refuse, and hands on what they would (seeded mutations)', () => {
    const random = rng(16);
    let fastAccepted = 0;
    let slowRefused = 0;
    for (let i = 0; i < 4000; i++) {
      const frame = validFrame();
      const count = 1 + Math.floor(random() * 3);
      for (let m = 0; m < count; m++) mutate(frame, random);
      const slow = slowParse(frame);
      const fast = fastOrderSnapshot(frame, DEFAULT_PASSTHROUGH_LIMITS);
      if (!slow.ok) slowRefused++;
      if (fast === null) continue;
      fastAccepted++;
      expect(slow, JSON.stringify(frame).slice(0, 400)).toEqual({ ok: true, value: fast });
    }
    // Both sides were exercised: many frames stayed valid, many were refused.
    expect(fastAccepted).toBeGreaterThan(800);
    expect(slowRefused).toBeGreaterThan(1500);
  });

  it('leaves the error wording to the schemas', () => {
    const frame = validFrame();
    (frame.snapshot as Record<string, unknown>).userId = 0;
    const parsed = parseTerminalMessage(frame, DEFAULT_PASSTHROUGH_LIMITS);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatchObject({ code: 'INVALID_MESSAGE', type: 'ORDER_SNAPSHOT' });
    (frame.snapshot as Record<string, unknown>).userId = 2;
    frame.deep = deep(9);
    const tooDeep = parseTerminalMessage(frame, DEFAULT_PASSTHROUGH_LIMITS);
    expect(!tooDeep.ok && tooDeep.error.code).toBe('PASSTHROUGH_TOO_LARGE');
  });
});
