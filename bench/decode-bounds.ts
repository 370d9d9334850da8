/**
 * What bounded decoding costs per frame (issue 12): the pre-scan, the prototype-key walk and the
 * pass-through check on a normal 10-line ORDER_SNAPSHOT, against the unbounded decode and the schema parse
 * they sit beside. CPU time per frame (steadier than wall time on a shared box), median of 7 rounds.
 * Run: node --import tsx bench/decode-bounds.ts
 */
import {
  DEFAULT_FRAME_LIMITS,
  DEFAULT_PASSTHROUGH_LIMITS,
  jsonCodec,
  msgpackCodec,
  parseTerminalMessage,
  scanJsonText,
  scanMsgpack,
} from '../src/protocol/index.js';
import { cpuMicros } from './lib/cpu-micros.js';
import { SAMPLE_REF, sampleLines, sampleSnapshot } from './lib/sample-order.js';

const lines = sampleLines;
const message = {
  type: 'ORDER_SNAPSHOT',
  posReference: SAMPLE_REF,
  baseVersion: 3,
  mutationId: 'm-0001',
  snapshot: {
    ...sampleSnapshot,
    amountTotal: lines.reduce((s, l) => s + l.priceSubtotalIncl, 0),
    amountTax: lines.reduce((s, l) => s + l.priceSubtotalIncl - l.priceSubtotal, 0),
  },
};
const text = JSON.stringify(message);
const bytes = msgpackCodec.encode(message) as Uint8Array;
const value = JSON.parse(text) as unknown;

// A refused frame would be measured as a cheap early exit: every bounded path must accept this one.
for (const result of [jsonCodec.decode(text, DEFAULT_FRAME_LIMITS), msgpackCodec.decode(bytes, DEFAULT_FRAME_LIMITS), parseTerminalMessage(value, DEFAULT_PASSTHROUGH_LIMITS)]) {
  if (!result.ok) throw new Error(`the sample frame was refused: ${result.error.code}`);
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
console.log(`10-line ORDER_SNAPSHOT: ${text.length} B JSON, ${bytes.length} B msgpack; CPU µs per frame (median of 7)`);
for (const [name, us] of rows) console.log(`${name.padEnd(38)} ${us.toFixed(2).padStart(8)}`);
