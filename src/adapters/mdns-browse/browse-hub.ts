/**
 * Hub discovery over mDNS for Node (and Tauri-like shells): browse `_pos-hub._tcp` and answer the
 * first hub's ws:// URL, or null after a timeout. Browsers cannot do this (no multicast from a page);
 * the SDK takes this function as `deps.discoverHub` and falls back to nu_hub_fallback_ip / same origin.
 */
import { Bonjour, type Service } from 'bonjour-service';

export interface BrowseOptions {
  readonly timeoutMs?: number;
  /** multicast-dns socket options (tests pin loopback). */
  readonly socket?: { readonly interface?: string; readonly bind?: string; readonly ttl?: number; readonly port?: number };
  /** Service type without underscore and protocol. */
  readonly type?: string;
}

function urlOf(service: Service): string | null {
  const addresses = service.addresses ?? [];
  const v4 = addresses.find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
  const host = v4 ?? addresses[0] ?? service.host;
  if (!host || !service.port) return null;
  return `ws://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${service.port}`;
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
      const url = urlOf(service);
      if (url) finish(url);
    });
  });
}
