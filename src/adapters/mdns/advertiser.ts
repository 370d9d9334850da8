/**
 * Advertises the hub as `_pos-hub._tcp` over mDNS (bonjour-service 1.3.0, whose named export `Bonjour`
 * 1.4.0 dropped) so terminals with a blank hub URL find it on the LAN. mDNS is a convenience: every
 * failure — no multicast, port 5353 taken, a name clash — is logged and never stops the hub.
 */
import type { EventEmitter } from 'node:events';
import { Bonjour, type Service, type ServiceConfig } from 'bonjour-service';

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
  readonly txt?: Readonly<Record<string, string>>;
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
  /** Withdraws the advert (goodbye packets) and closes the socket; never rejects. */
  stop(): Promise<void>;
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
    service = bonjour.publish({ name: options.name, type: options.type, port: options.port, txt: { ...options.txt, ...tlsTxt(options.tls) } });
    service.on('up', () => log.info(where, 'mdns_advertised'));
    service.on('error', (error: unknown) => log.warn({ ...where, ...errorFields(error) }, 'mdns_publish_failed'));
  } catch (error) {
    log.warn({ ...where, ...errorFields(error) }, 'mdns_unavailable');
    return { stop: async () => undefined };
  }

  let stopping: Promise<void> | undefined;
  return {
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
