/**
 * Every message type, both directions, round-trips through both codecs unchanged (fast-check), and
 * random bytes or random JSON never make a codec or parser throw: they give a typed protocol error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HUB_MESSAGE_TYPES,
  TERMINAL_MESSAGE_TYPES,
  codecFor,
  jsonCodec,
  msgpackCodec,
  parseHubMessage,
  parseTerminalMessage,
  type Codec,
} from '../../../src/protocol/index.js';
import { hubMessageArbs, terminalMessageArbs } from '../../fixtures/protocol-arbitraries.js';

const codecs: Codec[] = [jsonCodec, msgpackCodec];
const RUNS = 40;

describe.each(codecs)('$encoding codec', (codec) => {
  it.each(TERMINAL_MESSAGE_TYPES)('round-trips terminal message %s', (type) => {
    fc.assert(
      fc.property(terminalMessageArbs[type], (message) => {
        const frame = codec.encode(message);
        expect(typeof frame === 'string').toBe(!codec.binary);
        const decoded = codec.decode(frame);
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        const parsed = parseTerminalMessage(decoded.value);
        expect(parsed).toEqual({ ok: true, value: message });
      }),
      { numRuns: RUNS },
    );
  });

  it.each(HUB_MESSAGE_TYPES)('round-trips hub message %s', (type) => {
    fc.assert(
      fc.property(hubMessageArbs[type], (message) => {
        const decoded = codec.decode(codec.encode(message));
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        expect(parseHubMessage(decoded.value)).toEqual({ ok: true, value: message });
      }),
      { numRuns: RUNS },
    );
  });

  it('turns random bytes into a typed error or a parse result, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const decoded = codec.decode(bytes);
        if (!decoded.ok) {
          expect(['BAD_JSON', 'BAD_FRAME']).toContain(decoded.error.code);
          return;
        }
        const parsed = parseTerminalMessage(decoded.value);
        if (!parsed.ok) expect(['INVALID_MESSAGE', 'UNKNOWN_TYPE']).toContain(parsed.error.code);
      }),
      { numRuns: 500 },
    );
  });
});

describe('malformed frames', () => {
  it('random JSON values parse to a typed error, never an exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const decoded = jsonCodec.decode(JSON.stringify(value));
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        const parsed = parseTerminalMessage(decoded.value);
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) expect(['INVALID_MESSAGE', 'UNKNOWN_TYPE']).toContain(parsed.error.code);
      }),
      { numRuns: 500 },
    );
  });

  it('random objects carrying a known type are validated, never thrown on', () => {
    const known = fc.constantFrom(...TERMINAL_MESSAGE_TYPES);
    fc.assert(
      fc.property(known, fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 }), (type, rest) => {
        const parsed = parseTerminalMessage({ ...rest, type });
        if (!parsed.ok) {
          expect(parsed.error.code).toBe('INVALID_MESSAGE');
          expect(parsed.error.type).toBe(type);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('rejects text that is not JSON with BAD_JSON', () => {
    for (const text of ['', '{', '{"type":', 'AUTH', '[1,2', '{"a":1}}', 'null null']) {
      const decoded = jsonCodec.decode(text);
      expect(decoded.ok, text).toBe(false);
      if (!decoded.ok) expect(decoded.error.code).toBe('BAD_JSON');
    }
  });

  it('rejects binary JSON frames that are not UTF-8 with BAD_JSON', () => {
    const decoded = jsonCodec.decode(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expect(decoded).toMatchObject({ ok: false, error: { code: 'BAD_JSON' } });
  });

  it('accepts JSON sent as a binary frame when it is valid UTF-8', () => {
    const decoded = jsonCodec.decode(new TextEncoder().encode('{"type":"HEARTBEAT"}').buffer);
    expect(decoded).toEqual({ ok: true, value: { type: 'HEARTBEAT' } });
  });

  it('rejects a text frame on a msgpack connection with BAD_FRAME', () => {
    expect(msgpackCodec.decode('{"type":"HEARTBEAT"}')).toMatchObject({ ok: false, error: { code: 'BAD_FRAME' } });
  });

  it('rejects truncated and reserved msgpack with BAD_FRAME', () => {
    const whole = msgpackCodec.encode({ type: 'LEASE_HEARTBEAT', posReference: 'NU/CFG1/S1/1-abcd' }) as Uint8Array;
    const trailing = new Uint8Array([...whole, 0x01]);
    for (const bytes of [whole.subarray(0, whole.length - 3), trailing, new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff])]) {
      expect(msgpackCodec.decode(bytes)).toMatchObject({ ok: false, error: { code: 'BAD_FRAME' } });
    }
  });

  it('refuses the reserved 0xc1 byte at the latest when parsing', () => {
    const decoded = msgpackCodec.decode(new Uint8Array([0xc1]));
    const refused = !decoded.ok || !parseTerminalMessage(decoded.value).ok;
    expect(refused).toBe(true);
  });

  it('codecFor picks the codec by encoding name', () => {
    expect(codecFor('json')).toBe(jsonCodec);
    expect(codecFor('msgpack')).toBe(msgpackCodec);
  });
});
