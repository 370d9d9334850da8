/**
 * Where is the hub? The reference leaves the order open (reference-system.md §18); ours:
 *   1. an explicit override (the dev's NEXT_PUBLIC_HUB_URL equivalent),
 *   2. nu_hub_url when set,
 *   3. mDNS `_pos-hub._tcp` when nu_hub_url is blank and the platform can browse (Node/Tauri; a browser cannot),
 *   4. nu_hub_fallback_ip (port 8766 unless given),
 *   5. when nu_hub_url is blank, the page's own origin (a terminal page served by the hub).
 * The transport tries them in turn; a failure moves to the next, a full round of failures re-reads the list.
 */
import { toWebSocketUrl } from './hub-socket.js';

/** The bootstrap fields that choose and find the transport (Odoo sends `false` for empty char fields). */
export interface HubBootstrapFields {
  readonly nu_hub_enabled?: boolean | null;
  readonly nu_hub_url?: string | false | null;
  readonly nu_hub_fallback_ip?: string | false | null;
}

export interface DiscoveryDeps {
  readonly override?: string | null;
  readonly discoverHub?: (() => Promise<string | null>) | undefined;
  readonly pageOrigin?: string | null;
}

export const DEFAULT_HUB_PORT = 8766;

function text(value: string | false | null | undefined): string {
  return typeof value === 'string' ? value.trim() : '';
}

export function hubCandidates(config: HubBootstrapFields, deps: DiscoveryDeps): () => Promise<readonly string[]> {
  return async () => {
    const urls: string[] = [];
    const push = (value: string | null | undefined): void => {
      if (!value) return;
      const url = toWebSocketUrl(value, DEFAULT_HUB_PORT);
      if (!urls.includes(url)) urls.push(url);
    };
    push(deps.override ?? null);
    const primary = text(config.nu_hub_url);
    push(primary);
    if (primary === '' && deps.discoverHub) {
      try {
        push(await deps.discoverHub());
      } catch {
        // mDNS unavailable or nothing answered: the fallbacks below still apply.
      }
    }
    push(text(config.nu_hub_fallback_ip));
    if (primary === '' && deps.pageOrigin && /^https?:\/\//i.test(deps.pageOrigin)) push(deps.pageOrigin);
    return urls;
  };
}
