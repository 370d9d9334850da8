/**
 * Advertises the hub as `_pos-hub._tcp` over mDNS (bonjour-service 1.3.0, whose named export `Bonjour`
 * 1.4.0 dropped) so terminals with a blank hub URL find it on the LAN. mDNS is a convenience: every
 * failure — no multicast, port 5353 taken, a name clash — is logged and never stops the hub.
 * What resolvers (avahi, python-zeroconf, Apple's mDNSResponder) need and bonjour-service does not do
 * by itself: the SRV target and A records under `<host>.local`, no AAAA for an IPv4-only listener, and
 * an answer to one-shot legacy unicast queries (RFC 6762 §6.7).
 */
import type { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { Bonjour, type Service, type ServiceConfig } from 'bonjour-service';
import { hubTxtRecord } from './txt-record.js';

/** The subset of a pino logger this adapter writes to. */
export interface MdnsLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** multicast-dns socket options; production leaves them unset (all interfaces). Tests pin loopback. */
export interface MdnsSocketOptions {
  readonly interface?: string;
  readonly bind?: string;
  readonly ttl?: number;
  readonly port?: number;
}

export interface MdnsOptions {
  readonly port: number;
  readonly name: string;
  /** Without the underscore and protocol: 'pos-hub' advertises `_pos-hub._tcp`. */
  readonly type: string;
  readonly log: MdnsLog;
  /** Default: hubTxtRecord for `/` with both encodings (txt-record.ts); RFC 6763 wants it non-empty. */
  readonly txt?: Readonly<Record<string, string>>;
  /** AAAA records too: only when the hub listens on IPv6 (HUB_HOST `::`). Default false. */
  readonly ipv6?: boolean;
  /** The SRV target and A/AAAA owner name; default `<os hostname>.local`. */
  readonly host?: string;
  readonly socket?: MdnsSocketOptions;
  /** The TLS listener: advertised in TXT so terminals prefer wss:// and can check the pin early. */
  readonly tls?: MdnsTlsAdvert;
}

export interface MdnsTlsAdvert {
  readonly port: number;
  /** SHA-256 of the certificate DER, hex. */
  readonly certSha256: string;
  /** base64 SHA-256 of the key's SPKI: what terminals pin (nu_hub_key_pin). */
  readonly keyPin: string;
}

/**
 * TXT keys for TLS (issue 13): `scheme` the preferred one, `wss_port`, `cert_sha256`, `key_pin`.
 * Only hints: anyone can advertise them, so the SDK still checks the pin on the connection itself.
 */
export function tlsTxt(tls: MdnsTlsAdvert | undefined): Record<string, string> {
  if (!tls) return { scheme: 'ws' };
  return { scheme: 'wss', wss_port: String(tls.port), cert_sha256: tls.certSha256, key_pin: tls.keyPin };
}

export interface MdnsAdvert {
  /**
   * Merges `txt` into the advert's TXT and announces the new record at once (RFC 6762 §8.4), so a browser
   * learns a new role or epoch without waiting for its cache to expire. Never throws.
   */
  update(txt: Readonly<Record<string, string>>): void;
  /** Withdraws the advert (goodbye packets) and closes the socket; never rejects. */
  stop(): Promise<void>;
}

/** bonjour-service's server: its record registry (what queries are answered from) and its socket. */
interface BonjourServer {
  readonly mdns: MulticastDns;
  register(records: readonly MdnsRecord[]): void;
  unregister(records: readonly MdnsRecord[]): void;
}

function errorFields(error: unknown): { err: string; code?: string } {
  const err = error instanceof Error ? error.message : String(error);
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  return code === undefined ? { err } : { err, code };
}

/** bonjour-service keeps its multicast socket private; its 'error' events would crash the process unheard. */
function multicastSocketOf(bonjour: Bonjour): EventEmitter | undefined {
  const server = (bonjour as unknown as { server?: { mdns?: EventEmitter } }).server;
  return server?.mdns;
}

const STOP_TIMEOUT_MS = 2000;
const MDNS_PORT = 5353;
/** RFC 6762 §6.7: answers to a legacy unicast query carry a TTL of at most 10 s. */
const LEGACY_TTL_S = 10;

/** `pi-kitchen.lan` → `pi-kitchen.local`: mDNS host names live in .local, one label before it. */
export function localHostName(name = hostname()): string {
  const label = name.split('.')[0] || 'pos-hub';
  return `${label}.local`;
}

interface MdnsQuestion {
  readonly name: string;
  readonly type: string;
}
interface MdnsRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl?: number;
  readonly data: unknown;
}
interface MulticastDns extends EventEmitter {
  /** Without `rinfo`: to the multicast group on the socket's own port. */
  respond(res: object, rinfo?: { port: number; address: string }, cb?: (error?: Error | null) => void): void;
}

const sameName = (a: string, b: string): boolean =>
  a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();

/**
 * One-shot resolvers (`dig -p 5353 @224.0.0.251`, nss-mdns's minimal mode, some embedded stacks) ask
 * from a port other than 5353 and wait for a unicast reply carrying their query id and question.
 * bonjour-service only multicasts, so those answers never arrive; this answers them from the service's
 * own records.
 */
function answerLegacyQueries(socket: MulticastDns, service: Service, mdnsPort: number): void {
  socket.on('query', (query: { id?: number; questions?: MdnsQuestion[] }, rinfo: { port: number; address: string }) => {
    if (rinfo.port === mdnsPort || !Array.isArray(query.questions)) return;
    const records = service.records() as MdnsRecord[];
    const answers = query.questions.flatMap((q) =>
      records.filter((r) => sameName(r.name, q.name) && (q.type === 'ANY' || r.type === q.type)),
    );
    if (answers.length === 0) return;
    const srvTargets = answers.filter((r) => r.type === 'SRV').map((r) => (r.data as { target: string }).target);
    const additionals = records.filter(
      (r) =>
        !answers.includes(r) && (r.type === 'A' || r.type === 'AAAA') && srvTargets.some((t) => sameName(t, r.name)),
    );
    const capped = (r: MdnsRecord): MdnsRecord => ({ ...r, ttl: Math.min(r.ttl ?? LEGACY_TTL_S, LEGACY_TTL_S) });
    socket.respond(
      {
        id: query.id ?? 0,
        questions: query.questions,
        answers: answers.map(capped),
        additionals: additionals.map(capped),
      },
      { port: rinfo.port, address: rinfo.address },
    );
  });
}

export function startMdns(options: MdnsOptions): MdnsAdvert {
  const { log } = options;
  const where = { name: options.name, type: `_${options.type}._tcp`, port: options.port };
  let bonjour: Bonjour;
  let service: Service;
  try {
    // Typed as ServiceConfig by bonjour-service, but handed to multicast-dns as its socket options.
    bonjour = new Bonjour({ ...options.socket } as Partial<ServiceConfig>, (error: unknown) =>
      log.warn({ ...where, ...errorFields(error) }, 'mdns_error'),
    );
    const socket = multicastSocketOf(bonjour);
    socket?.on('error', (error: unknown) => log.warn({ ...where, ...errorFields(error) }, 'mdns_unavailable'));
    socket?.on('warning', (error: unknown) => log.warn({ ...where, ...errorFields(error) }, 'mdns_warning'));
    service = bonjour.publish({
      name: options.name,
      type: options.type,
      port: options.port,
      host: options.host ?? localHostName(),
      txt: { ...(options.txt ?? hubTxtRecord({ path: '/', encodings: ['json', 'msgpack'] })), ...tlsTxt(options.tls) },
      disableIPv6: options.ipv6 !== true,
    });
    if (socket) answerLegacyQueries(socket as MulticastDns, service, options.socket?.port ?? MDNS_PORT);
    service.on('up', () => log.info(where, 'mdns_advertised'));
    service.on('error', (error: unknown) => log.warn({ ...where, ...errorFields(error) }, 'mdns_publish_failed'));
  } catch (error) {
    log.warn({ ...where, ...errorFields(error) }, 'mdns_unavailable');
    return { update: () => undefined, stop: async () => undefined };
  }

  let stopping: Promise<void> | undefined;
  return {
    update(txt) {
      if (stopping) return;
      try {
        service.txt = { ...(service.txt as Record<string, string>), ...txt };
        const server = (bonjour as unknown as { server?: BonjourServer }).server;
        const record = (service.records() as MdnsRecord[]).find((r) => r.type === 'TXT');
        if (!server || !record) return;
        // Queries are answered from the server's registry: swap the old TXT for the new one there.
        server.unregister([record]);
        server.register([record]);
        // Unsolicited, the whole set with the TXT's cache-flush bit: resolvers replace the TXT they hold, and
        // browsers that only build services from PTR answers (bonjour-service's) see the change too.
        const others = (service.records() as MdnsRecord[]).filter((r) => r.type !== 'TXT');
        if (service.published) server.mdns.respond({ answers: [...others, { ...record, flush: true }] });
        log.info({ ...where, txt }, 'mdns_txt_updated');
      } catch (error) {
        log.warn({ ...where, ...errorFields(error) }, 'mdns_update_failed');
      }
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        // Shutdown must not hang on a dead socket: give the goodbye packets a bounded time.
        const timer = setTimeout(finish, STOP_TIMEOUT_MS);
        function finish(): void {
          clearTimeout(timer);
          resolve();
        }
        try {
          bonjour.unpublishAll(() => {
            try {
              bonjour.destroy(() => {
                log.info(where, 'mdns_withdrawn');
                finish();
              });
            } catch (error) {
              log.warn({ ...where, ...errorFields(error) }, 'mdns_stop_failed');
              finish();
            }
          });
        } catch (error) {
          log.warn({ ...where, ...errorFields(error) }, 'mdns_stop_failed');
          finish();
        }
      });
      return stopping;
    },
  };
}
