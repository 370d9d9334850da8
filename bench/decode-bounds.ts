/**
 * What bounded decoding costs per frame (issue 12): the pre-scan, the prototype-key walk and the
 * pass-through check on a normal 10-line ORDER_SNAPSHOT, against the unbounded decode and the schema parse
 * they sit beside. CPU time per frame (steadier than wall time on a shared box), median of 7 rounds.
 * Run: node --import tsx bench/decode-bounds.ts
 */
import { cpuUsage } from 'node:process';
import {
  DEFAULT_FRAME_LIMITS,
  DEFAULT_PASSTHROUGH_LIMITS,
  jsonCodec,
  msgpackCodec,
  parseTerminalMessage,
  scanJsonText,
  scanMsgpack,
} from '../src/protocol/index.js';

const ref = 'NU/CFG1/S42/1709123456789-3f7a';
const lines = Array.from({ length: 10 }, (_, i) => ({
  uid: `line-${i + 1}`,
  productId: 100 + i,
  name: `Lomo saltado ${i + 1}`,
  qty: 1 + (i % 3),
  priceUnit: 12.5,
  discount: 0,
  taxIds: [1],
  priceSubtotal: 12.5 * (1 + (i % 3)),
  priceSubtotalIncl: 12.5 * (1 + (i % 3)) * 1.18,
  note: i % 2 === 0 ? 'sin cebolla' : undefined,
}));
const message = {
  type: 'ORDER_SNAPSHOT',
  posReference: ref,
  baseVersion: 3,
  mutationId: 'm-0001',
  snapshot: {
    posReference: ref,
    tableId: 7,
    state: 'editing',
    kitchenStatus: 'sent',
    guestCount: 4,
    staffName: 'Ana',
    sessionId: 42,
    userId: 2,
    configId: 1,
    lines,
    payments: [],
    amountTotal: lines.reduce((s, l) => s + l.priceSubtotalIncl, 0),
    amountTax: lines.reduce((s, l) => s + l.priceSubtotalIncl - l.priceSubtotal, 0),
    amountPaid: 0,
    amountReturn: 0,
    createdAt: '2026-01-01T10:00:00.000Z',
  },
};
const text = JSON.stringify(message);
const bytes = msgpackCodec.encode(message) as Uint8Array;
const value = JSON.parse(text) as unknown;

// A refused frame would be measured as a cheap early exit: every bounded path must accept this one.
for (const result of [jsonCodec.decode(text, DEFAULT_FRAME_LIMITS), msgpackCodec.decode(bytes, DEFAULT_FRAME_LIMITS), parseTerminalMessage(value, DEFAULT_PASSTHROUGH_LIMITS)]) {
  if (!result.ok) throw new Error(`the sample frame was refused: ${result.error.code}`);
}

const ITERATIONS = 20_000;
const ROUNDS = 7;

function cpuMicros(fn: () => unknown): number {
  for (let i = 0; i < 2000; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = cpuUsage();
    for (let i = 0; i < ITERATIONS; i++) fn();
    const used = cpuUsage(start);
    samples.push((used.user + used.system) / ITERATIONS);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(ROUNDS / 2)]!;
}

const rows: Array<[string, number]> = [
  ['JSON: scan only', cpuMicros(() => scanJsonText(text, DEFAULT_FRAME_LIMITS))],
  ['JSON: decode, unbounded', cpuMicros(() => jsonCodec.decode(text))],
  ['JSON: decode, bounded', cpuMicros(() => jsonCodec.decode(text, DEFAULT_FRAME_LIMITS))],
  ['msgpack: scan only', cpuMicros(() => scanMsgpack(bytes, DEFAULT_FRAME_LIMITS))],
  ['msgpack: decode, unbounded', cpuMicros(() => msgpackCodec.decode(bytes))],
  ['msgpack: decode, bounded', cpuMicros(() => msgpackCodec.decode(bytes, DEFAULT_FRAME_LIMITS))],
  ['schema parse', cpuMicros(() => parseTerminalMessage(value))],
  ['schema parse + pass-through bounds', cpuMicros(() => parseTerminalMessage(value, DEFAULT_PASSTHROUGH_LIMITS))],
];
console.log(`10-line ORDER_SNAPSHOT: ${text.length} B JSON, ${bytes.length} B msgpack; CPU µs per frame (median of ${ROUNDS})`);
for (const [name, us] of rows) console.log(`${name.padEnd(38)} ${us.toFixed(2).padStart(8)}`);
