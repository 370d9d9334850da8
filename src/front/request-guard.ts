/**
 * Host and Origin checks for every HTTP request and WebSocket upgrade. The LAN is shared with guests:
 * a page from another origin must not drive the hub through a visitor's browser, and a rebinding DNS
 * name (evil.example → 192.168.1.10) must not make the hub answer as if it were its own site.
 */
import { hostname as osHostname, networkInterfaces } from 'node:os';

export interface RequestGuard {
  /** The Host header names this hub (its port is not compared: a TLS front may use another). */
  hostAllowed(host: string): boolean;
  /**
   * No Origin (native terminals, curl, Prometheus) passes: only browsers send one, and they cannot
   * omit it. A browser origin passes when it is the hub's own (same host:port as the request's Host)
   * or is listed in HUB_ALLOWED_ORIGINS.
   */
  originAllowed(origin: string, host: string): boolean;
  /** HUB_ALLOWED_ORIGINS, for the terminal page's `?hub=` check and the pages' CSP. */
  readonly extraOrigins: readonly string[];
}

export interface RequestGuardOptions {
  readonly allowedOrigins: readonly string[];
  readonly allowedHosts: readonly string[];
  /** The machine's own names and addresses; the default reads them from the OS once. */
  readonly machineNames?: readonly string[];
}

/** The machine's host name, its .local mDNS name and every interface address. */
export function machineNames(): string[] {
  const names = ['localhost', '127.0.0.1', '::1'];
  const host = osHostname().toLowerCase();
  if (host !== '') names.push(host, host.endsWith('.local') ? host : `${host.split('.')[0] ?? host}.local`);
  for (const list of Object.values(networkInterfaces())) for (const nic of list ?? []) names.push(nic.address.toLowerCase());
  return names;
}

/**
 * Host and Origin are ASCII on the wire (browsers send IDNs as punycode). uWS hands header values over
 * as one char per byte and trims bytes >= 0x80 at either end (it takes them for whitespace), so a value
 * with such bytes is not the value that was sent: refuse it with one defined answer (400) rather than
 * judge a cut or re-encoded name. Bytes trimmed at the ends are invisible here; what remains must still
 * be an allowed name, which the sender could have sent plainly (docs/security.md).
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Why these Host/Origin values are refused before any check, or null when they are plain ASCII. */
export function headerFault(host: string, origin: string): string | null {
  if (!PRINTABLE_ASCII.test(host)) return 'the Host header must be printable ASCII (send an IDN as punycode)';
  if (!PRINTABLE_ASCII.test(origin)) return 'the Origin header must be printable ASCII (send an IDN as punycode)';
  return null;
}

/** `host[:port]` or `[v6]:port` → the bare lower-cased host name. */
export function hostPart(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(1, end);
  }
  const colon = h.indexOf(':');
  // More than one colon without brackets is a bare IPv6 address (no port).
  return colon !== -1 && h.indexOf(':', colon + 1) === -1 ? h.slice(0, colon) : h;
}

export function createRequestGuard(options: RequestGuardOptions): RequestGuard {
  const hosts = new Set([...(options.machineNames ?? machineNames()), ...options.allowedHosts].map((h) => h.toLowerCase()));
  const extra = new Set(options.allowedOrigins.map((o) => o.toLowerCase()));
  const hostAllowed = (host: string): boolean => {
    if (!PRINTABLE_ASCII.test(host)) return false;
    const name = hostPart(host);
    // `localhost` subdomains resolve to loopback by RFC 6761; allowing them costs nothing.
    return name !== '' && (hosts.has(name) || name.endsWith('.localhost'));
  };
  return {
    hostAllowed,
    originAllowed(origin, host) {
      if (origin === '') return true;
      if (!PRINTABLE_ASCII.test(origin)) return false;
      const o = origin.toLowerCase();
      if (extra.has(o)) return true;
      let parsed: URL;
      try {
        parsed = new URL(o);
      } catch {
        return false;
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
      // Same origin: the page was loaded from this very Host (whose name is itself checked).
      return parsed.host === host.trim().toLowerCase() && hostAllowed(host);
    },
    extraOrigins: [...extra],
  };
}
