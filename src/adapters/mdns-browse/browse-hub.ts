/**
 * Hub discovery over mDNS for Node (and Tauri-like shells): browse `_pos-hub._tcp` and answer the
 * first hub's ws:// URL, or null after a timeout. Browsers cannot do this (no multicast from a page);
 * the SDK takes this function as `deps.discoverHub` and falls back to nu_hub_fallback_ip / same origin.
 * A hub advertising TLS (TXT scheme=wss, wss_port) is answered as wss://; with `pins`, only a hub whose
 * TXT key_pin is pinned qualifies — a hint to skip an impostor's advert, the connection checks the key.
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
