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

export interface SeenAdvert {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly addresses: readonly string[];
  readonly txt: Readonly<Record<string, string>>;
}

/**
 * Browses `_<type>._tcp` for up to `timeoutMs` and answers the first advert `matches` accepts, or null:
 * doctor looks for the hub's own advert (its port, this host's `.local` name) the way a terminal would.
 */
export async function findAdvert(options: {
  type: string;
  matches: (advert: SeenAdvert) => boolean;
  timeoutMs: number;
}): Promise<SeenAdvert | null> {
  const { Bonjour } = await import('bonjour-service');
  return new Promise((resolve) => {
    let bonjour: InstanceType<typeof Bonjour>;
    try {
      bonjour = new Bonjour({}, () => undefined);
    } catch {
      resolve(null);
      return;
    }
    let settled = false;
    const browser = bonjour.find({ type: options.type });
    const finish = (advert: SeenAdvert | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        browser.stop();
        bonjour.destroy();
      } catch {
        // A socket that failed to bind throws on destroy; the answer is already decided.
      }
      resolve(advert);
    };
    const timer = setTimeout(() => finish(null), options.timeoutMs);
    browser.on(
      'up',
      (service: { name: string; host: string; port: number; addresses?: string[]; txt?: Record<string, unknown> }) => {
        const txt: Record<string, string> = {};
        for (const [key, value] of Object.entries(service.txt ?? {})) txt[key] = String(value);
        const advert: SeenAdvert = {
          name: service.name,
          host: service.host,
          port: service.port,
          addresses: service.addresses ?? [],
          txt,
        };
        if (options.matches(advert)) finish(advert);
      },
    );
  });
}
