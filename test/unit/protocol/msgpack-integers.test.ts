/**
 * msgpack integers: a safe integer beyond 32 bits goes out as a msgpack int64 (0xd3), not float64
 * (0xcb); fractions stay floats; a message without such a number is encoded untouched. Map keys follow
 * the README's rule: a number key becomes its text, a binary key is refused with a sentence.
 */
import { describe, expect, it } from 'vitest';
import { msgpackCodec, widenLargeIntegers } from '../../../src/protocol/index.js';

function bytes(frame: string | Uint8Array): Uint8Array {
  if (typeof frame === 'string') throw new Error('msgpack frames are binary');
  return frame;
}

describe('msgpack integers', () => {
  it('writes epoch-millisecond times as int64 and reads them back as numbers', () => {
    const serverTime = 1_795_451_408_786;
    const frame = bytes(msgpackCodec.encode({ type: 'HEARTBEAT_ACK', serverTime }));
    const at = frame.length - 9;
    expect(frame[at]).toBe(0xd3);
    expect(msgpackCodec.decode(frame)).toEqual({ ok: true, value: { type: 'HEARTBEAT_ACK', serverTime } });
  });

  it('widens nested and negative large integers and leaves fractions and small integers alone', () => {
    const message = { a: [1, 2 ** 40, -(2 ** 33), 1.5, 2 ** 53 + 2], b: { c: 7, d: 2 ** 32 } };
    expect(widenLargeIntegers(message)).toEqual({
      a: [1, 2n ** 40n, -(2n ** 33n), 1.5, 2 ** 53 + 2],
      b: { c: 7, d: 2n ** 32n },
    });
    expect(message.a[1]).toBe(2 ** 40);
    const small = { type: 'X', lines: [{ qty: 2, price: 1.5 }] };
    expect(widenLargeIntegers(small)).toBe(small);
  });

  it('turns an integer map key into its text and refuses a binary key with a sentence', () => {
    // {1: 2, "type": "HEARTBEAT"} and {b"k": 1, "type": "HEARTBEAT"} as python3-msgpack writes them.
    const intKey = Uint8Array.from(Buffer.from('820102a474797065a9484541525442454154', 'hex'));
    expect(msgpackCodec.decode(intKey)).toEqual({ ok: true, value: { 1: 2, type: 'HEARTBEAT' } });
    const binKey = Uint8Array.from(Buffer.from('82c4016b01a474797065a9484541525442454154', 'hex'));
    expect(msgpackCodec.decode(binKey)).toEqual({
      ok: false,
      error: { code: 'BAD_FRAME', message: 'map keys must be strings (a binary, array or map key was sent)' },
    });
  });
});
