/**
 * Where is the hub? The reference leaves the order open (reference-system.md §18); ours:
 *   1. an explicit override (the dev's NEXT_PUBLIC_HUB_URL equivalent),
 *   2. nu_hub_url when set,
 *   3. mDNS `_pos-hub._tcp` when nu_hub_url is blank and the platform can browse (Node/Tauri; a browser cannot),
 *   4. nu_hub_fallback_ip (port 8766 unless given),
 *   5. when nu_hub_url is blank, the page's own origin (a terminal page served by the hub).
 * The transport tries them in turn; a failure moves to the next, a full round of failures re-reads the list.
 * With a key pin (nu_hub_key_pin) every candidate is wss:// (bare hosts get the TLS port 8767) and
 * mDNS answers only for hubs advertising that key; the pin itself is checked on the connection.
 */
import { toWebSocketUrl } from './hub-socket.js';

/** The bootstrap fields that choose and find the transport (Odoo sends `false` for empty char fields). */
export interface HubBootstrapFields {
  readonly nu_hub_enabled?: boolean | null;
  readonly nu_hub_url?: string | false | null;
  readonly nu_hub_fallback_ip?: string | false | null;
  /** base64 SHA-256 of the hub key's SPKI (`sha256/…`), comma-separated for a rotation; see docs/tls.md. */
  readonly nu_hub_key_pin?: string | false | null;
}

/** A hub as an mDNS advert describes it (TXT role=, epoch=; issue 18). */
export interface HubAdvert {
  readonly url: string;
  readonly id?: string;
  readonly role?: 'leader' | 'follower' | 'standalone';
  readonly epoch?: number;
}

/** What discovery yields: a URL, or an advert with what the hub says of itself (the hub book keeps it). */
export type HubCandidate = string | HubAdvert;

/** deps.discoverHub's answer: one URL (browseHub), one advert, or every advert heard (browseHubs). */
export type DiscoveryAnswer = string | HubAdvert | readonly HubAdvert[] | null;

export interface DiscoveryDeps {
  readonly override?: string | null;
  readonly discoverHub?: ((want?: { readonly pins: readonly string[] }) => Promise<DiscoveryAnswer>) | undefined;
  readonly pageOrigin?: string | null;
  /** Parsed nu_hub_key_pin; non-empty means TLS only. */
  readonly pins?: readonly string[];
}

export const DEFAULT_HUB_PORT = 8766;
export const DEFAULT_HUB_TLS_PORT = 8767;

/** Bare host[:port] becomes wss://host:8767; http(s) and ws(s) URLs keep their scheme (a ws:// one is then refused). */
function toSecureWebSocketUrl(value: string): string {
  const trimmed = value.trim();
  if (/^(wss?|https?):\/\//i.test(trimmed)) return toWebSocketUrl(trimmed);
  return toWebSocketUrl(trimmed, DEFAULT_HUB_TLS_PORT).replace(/^ws:/, 'wss:');
}

function text(value: string | false | null | undefined): string {
  return typeof value === 'string' ? value.trim() : '';
}

export function hubCandidates(config: HubBootstrapFields, deps: DiscoveryDeps): () => Promise<readonly HubCandidate[]> {
  return async () => {
    const urls: HubCandidate[] = [];
    const pins = deps.pins ?? [];
    const push = (value: HubCandidate | null | undefined): void => {
      if (!value) return;
      const raw = typeof value === 'string' ? value : value.url;
      if (!raw) return;
      const url = pins.length > 0 ? toSecureWebSocketUrl(raw) : toWebSocketUrl(raw, DEFAULT_HUB_PORT);
      if (urls.some((u) => (typeof u === 'string' ? u : u.url) === url)) return;
      urls.push(typeof value === 'string' ? url : { ...value, url });
    };
    push(deps.override ?? null);
    const primary = text(config.nu_hub_url);
    push(primary);
    if (primary === '' && deps.discoverHub) {
      try {
        const answer = await (pins.length > 0 ? deps.discoverHub({ pins }) : deps.discoverHub());
        if (Array.isArray(answer)) for (const advert of answer as readonly HubAdvert[]) push(advert);
        else push(answer as string | HubAdvert | null);
      } catch {
        // mDNS unavailable or nothing answered: the fallbacks below still apply.
      }
    }
    push(text(config.nu_hub_fallback_ip));
    if (primary === '' && deps.pageOrigin && /^https?:\/\//i.test(deps.pageOrigin)) push(deps.pageOrigin);
    return urls;
  };
}
