/**
 * Encoding negotiation as the README's "Encodings" section states it: the first known offered
 * subprotocol wins, only unknown ones are refused with a reason, `?encoding=` is case-insensitive and an
 * unknown value is refused; frames of the wrong kind are BAD_FRAME on either connection.
 */
import { describe, expect, it } from 'vitest';
import { frameKindError, jsonCodec, msgpackCodec, negotiateEncoding } from '../../../src/protocol/index.js';

describe('negotiateEncoding', () => {
  it('takes the first subprotocol it speaks, in the client order', () => {
    expect(negotiateEncoding(['x', 'pos-hub.msgpack.v1', 'pos-hub.json.v1'], '')).toEqual({
      ok: true,
      encoding: 'msgpack',
      protocol: 'pos-hub.msgpack.v1',
    });
    expect(negotiateEncoding(['pos-hub.json.v1', 'pos-hub.msgpack.v1'], 'encoding=msgpack')).toEqual({
      ok: true,
      encoding: 'json',
      protocol: 'pos-hub.json.v1',
    });
  });

  it('refuses an offer of only unknown subprotocols, naming what it speaks', () => {
    expect(negotiateEncoding(['chat'], '')).toEqual({
      ok: false,
      reason: 'unsupported subprotocol chat; offer pos-hub.json.v1 or pos-hub.msgpack.v1, or none',
    });
  });

  it('reads ?encoding= case-insensitively and refuses unknown values; JSON without either', () => {
    expect(negotiateEncoding([], 'encoding=MSGPACK')).toEqual({ ok: true, encoding: 'msgpack' });
    expect(negotiateEncoding([], 'encoding=Json')).toEqual({ ok: true, encoding: 'json' });
    expect(negotiateEncoding([], '')).toEqual({ ok: true, encoding: 'json' });
    expect(negotiateEncoding([], 'encoding=cbor')).toEqual({
      ok: false,
      reason: 'unsupported encoding "cbor"; use ?encoding=json or ?encoding=msgpack',
    });
  });
});

describe('frameKindError', () => {
  it('accepts the negotiated kind and refuses the other with BAD_FRAME', () => {
    expect(frameKindError(jsonCodec, false)).toBeNull();
    expect(frameKindError(msgpackCodec, true)).toBeNull();
    expect(frameKindError(jsonCodec, true)?.code).toBe('BAD_FRAME');
    expect(frameKindError(msgpackCodec, false)?.code).toBe('BAD_FRAME');
  });
});
