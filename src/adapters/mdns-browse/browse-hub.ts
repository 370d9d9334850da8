/**
 * Hub discovery over mDNS for Node (and Tauri-like shells): browse `_pos-hub._tcp` and answer the
 * first hub's ws:// URL, or null after a timeout. Browsers cannot do this (no multicast from a page);
 * the SDK takes this function as `deps.discoverHub` and falls back to nu_hub_fallback_ip / same origin.
 * A hub advertising TLS (TXT scheme=wss, wss_port) is answered as wss://; with `pins`, only a hub whose
 * TXT key_pin is pinned qualifies — a hint to skip an impostor's advert, the connection checks the key.
 * browseHubs() answers every hub heard in the window with its TXT role and epoch (issue 18), so the SDK
 * remembers the leader and the follower of a venue, not just the first that answered.
 */
import { Bonjour, type Service } from 'bonjour-service';

export interface BrowseOptions {
  readonly timeoutMs?: number;
  /** multicast-dns socket options (tests pin loopback). */
  readonly socket?: { readonly interface?: string; readonly bind?: string; readonly ttl?: number; readonly port?: number };
  /** Service type without underscore and protocol. */
  readonly type?: string;
  /** Pinned key hashes (nu_hub_key_pin, bare base64): only matching wss adverts are answered. */
  readonly pins?: readonly string[];
}

function txtOf(service: Service): Record<string, string> {
  const txt = (service as { txt?: unknown }).txt;
  if (typeof txt !== 'object' || txt === null) return {};
  return Object.fromEntries(Object.entries(txt).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v)]));
}

function urlOf(service: Service, pins: readonly string[]): string | null {
  const addresses = service.addresses ?? [];
  const v4 = addresses.find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
  const host = v4 ?? addresses[0] ?? service.host;
  if (!host || !service.port) return null;
  const txt = txtOf(service);
  const wssPort = /^\d{1,5}$/.test(txt.wss_port ?? '') ? Number(txt.wss_port) : null;
  if (pins.length > 0 && (wssPort === null || !pins.includes(txt.key_pin ?? ''))) return null;
  const where = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return wssPort !== null && txt.scheme === 'wss' ? `wss://${where}:${wssPort}` : `ws://${where}:${service.port}`;
}

/** One hub as its advert describes it (structurally the SDK's HubAdvert, src/client/discovery.ts). */
export interface HubAdvert {
  readonly url: string;
  readonly id?: string;
  readonly role?: 'leader' | 'follower' | 'standalone';
  readonly epoch?: number;
}

function advertOf(service: Service, url: string): HubAdvert {
  const txt = txtOf(service);
  const role = txt.role === 'leader' || txt.role === 'follower' || txt.role === 'standalone' ? txt.role : undefined;
  const epoch = /^\d{1,15}$/.test(txt.epoch ?? '') ? Number(txt.epoch) : undefined;
  const id = typeof txt.id === 'string' && txt.id.length > 0 && txt.id.length <= 128 ? txt.id : undefined;
  return { url, ...(id === undefined ? {} : { id }), ...(role === undefined ? {} : { role }), ...(epoch === undefined ? {} : { epoch }) };
}

const ROLE_ORDER = { leader: 0, standalone: 1, follower: 2 } as const;

/** At most this many adverts are kept from one browse (a LAN full of impostors cannot grow the list). */
const MAX_ADVERTS = 16;

/**
 * Every `_pos-hub._tcp` hub heard within `timeoutMs`, or within `settleMs` after the first answer
 * (default 500 ms): leaders first, then the highest epoch. Empty when nothing answered.
 */
export function browseHubs(options: BrowseOptions & { readonly settleMs?: number } = {}): Promise<HubAdvert[]> {
  return new Promise((resolve) => {
    let bonjour: Bonjour;
    try {
      bonjour = new Bonjour({ ...options.socket }, () => undefined);
    } catch {
      resolve([]);
      return;
    }
    const adverts: HubAdvert[] = [];
    let done = false;
    let settle: ReturnType<typeof setTimeout> | null = null;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (settle !== null) clearTimeout(settle);
      try {
        browser.stop();
        bonjour.destroy();
      } catch {
        // A socket that failed to bind throws on destroy; the answer is already decided.
      }
      adverts.sort((a, b) => (a.role ? ROLE_ORDER[a.role] : 1) - (b.role ? ROLE_ORDER[b.role] : 1) || (b.epoch ?? 0) - (a.epoch ?? 0));
      resolve(adverts);
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 3_000);
    const browser = bonjour.find({ type: options.type ?? 'pos-hub' });
    browser.on('up', (service: Service) => {
      const url = urlOf(service, options.pins ?? []);
      if (!url || adverts.length >= MAX_ADVERTS || adverts.some((a) => a.url === url)) return;
      adverts.push(advertOf(service, url));
      settle ??= setTimeout(finish, options.settleMs ?? 500);
    });
  });
}

export function browseHub(options: BrowseOptions = {}): Promise<string | null> {
  return new Promise((resolve) => {
    let bonjour: Bonjour;
    try {
      bonjour = new Bonjour({ ...options.socket }, () => undefined);
    } catch {
      resolve(null);
      return;
    }
    let done = false;
    const finish = (url: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        browser.stop();
        bonjour.destroy();
      } catch {
        // A socket that failed to bind throws on destroy; the answer is already decided.
      }
      resolve(url);
    };
    const timer = setTimeout(() => finish(null), options.timeoutMs ?? 3_000);
    const browser = bonjour.find({ type: options.type ?? 'pos-hub' });
    browser.on('up', (service: Service) => {
      const url = urlOf(service, options.pins ?? []);
      if (url) finish(url);
    });
  });
}
