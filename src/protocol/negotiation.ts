/**
 * How a terminal's WebSocket upgrade picks its encoding, in one pure function the hub and its tests share.
 * Strict clients (Python websockets, Go, browsers) abort a 101 that does not echo a subprotocol they
 * offered, so offering only unknown subprotocols, or an unknown `?encoding=`, is refused with a reason.
 */
import { JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL, type Encoding } from './constants.js';

export type Negotiated =
  | { readonly ok: true; readonly encoding: Encoding; readonly protocol?: string }
  | { readonly ok: false; readonly reason: string };

const SUBPROTOCOLS: ReadonlyMap<string, Encoding> = new Map([
  [JSON_SUBPROTOCOL, 'json'],
  [MSGPACK_SUBPROTOCOL, 'msgpack'],
]);

/**
 * The first offered subprotocol we speak decides (the client lists them in its order of preference);
 * without any offered, `?encoding=json|msgpack` (case-insensitive) decides; without either, JSON.
 */
export function negotiateEncoding(offered: readonly string[], query: string): Negotiated {
  if (offered.length > 0) {
    for (const protocol of offered) {
      const encoding = SUBPROTOCOLS.get(protocol);
      if (encoding !== undefined) return { ok: true, encoding, protocol };
    }
    return {
      ok: false,
      reason: `unsupported subprotocol ${offered.slice(0, 4).join(', ').slice(0, 200)}; offer ${JSON_SUBPROTOCOL} or ${MSGPACK_SUBPROTOCOL}, or none`,
    };
  }
  const asked = new URLSearchParams(query).get('encoding');
  if (asked === null) return { ok: true, encoding: 'json' };
  switch (asked.toLowerCase()) {
    case 'json':
      return { ok: true, encoding: 'json' };
    case 'msgpack':
      return { ok: true, encoding: 'msgpack' };
    default:
      return {
        ok: false,
        reason: `unsupported encoding "${asked.slice(0, 40)}"; use ?encoding=json or ?encoding=msgpack`,
      };
  }
}
