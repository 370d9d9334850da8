/**
 * The Node SDK's pinned socket (TransportDeps.pinnedWebSocket): a `ws` WebSocket that checks the hub's
 * real TLS certificate — the SHA-256 of its key (SPKI) must be a pinned one — when the handshake is
 * done and before the socket opens, so no frame (and no token) reaches a hub that fails. A venue
 * certificate need not be in Node's CA store: the pin is the stronger check, so chain errors are ignored.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import type { WebSocketCtor } from '../../client/deps.js';
import { HubError } from '../../protocol/errors.js';

/** base64 SHA-256 of the peer certificate's SubjectPublicKeyInfo, or null when there is none. */
export function peerKeyPin(socket: TLSSocket): string | null {
  const peer = socket.getPeerCertificate();
  if (!peer || !peer.raw) return null;
  const spki = new X509Certificate(peer.raw).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

export function pinnedWebSocket(pins: readonly string[], onRefused: (error: HubError) => void): WebSocketCtor {
  return class PinnedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      const secure = /^wss:/i.test(url);
      super(url, protocols, secure ? { rejectUnauthorized: false } : {});
      const refuse = (why: string): void => {
        onRefused(new HubError('HUB_IDENTITY_MISMATCH', `${url}: ${why}; nothing was sent to it`));
        this.terminate();
      };
      if (!secure) {
        // Aborted before the TCP connection is even made.
        refuse('a pinned hub (nu_hub_key_pin) is only reached over wss://');
        return;
      }
      // `ws` checks readyState right after 'upgrade': terminating here means 'open' never fires.
      this.once('upgrade', (response: IncomingMessage) => {
        const pin = peerKeyPin(response.socket as TLSSocket);
        if (pin === null || !pins.includes(pin)) refuse(`the hub's certificate key sha256/${pin ?? 'none'} is not the pinned one`);
      });
    }
  } as unknown as WebSocketCtor;
}
