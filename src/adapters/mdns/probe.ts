/**
 * `pos-hub doctor`'s mDNS check: can this host join the mDNS multicast group on UDP 5353? The same
 * socket setup multicast-dns performs, without advertising anything.
 */
import { createSocket } from 'node:dgram';

export const MDNS_GROUP = '224.0.0.251';
export const MDNS_PORT = 5353;

export type MdnsProbe = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export function probeMdns(options: { port?: number; interface?: string } = {}): Promise<MdnsProbe> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    const done = (result: MdnsProbe): void => {
      try {
        socket.close();
      } catch {
        // Closing a socket that never bound throws; the probe's answer is already decided.
      }
      resolve(result);
    };
    socket.once('error', (error) => done({ ok: false, reason: error.message }));
    socket.bind(options.port ?? MDNS_PORT, () => {
      try {
        socket.addMembership(MDNS_GROUP, options.interface);
        done({ ok: true });
      } catch (error) {
        done({
          ok: false,
          reason: `cannot join ${MDNS_GROUP}: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    });
  });
}
