/**
 * What the page learns from its URL. Served by the hub, the hub's WebSocket is the page's own
 * origin; `?hub=ws://host:port` points it elsewhere, but only to the page's own origin or one the hub
 * allows (HUB_ALLOWED_ORIGINS, served at /api/page-config), so a crafted link cannot send the
 * terminal's token and outbox to a stranger. `?catalog=` names the catalog URL, `?table=` opens a
 * table, `?device=` sets the device id, and the token comes from the fragment (`#token=`), which
 * never reaches a server log or a Referer header; `?token=` is ignored.
 */

export interface PageParams {
  /** `?hub=`; null: the page's own origin (the hub serves the page). */
  readonly hubUrl: string | null;
  readonly catalogUrl: string;
  readonly tableId: number | null;
  /** `#token=`; null when the fragment has none (the tab's stored token, else dev auth's empty token). */
  readonly token: string | null;
  /** The URL carried `?token=`, which is ignored (it stays in history and in server logs). */
  readonly queryTokenIgnored: boolean;
  /** Null: the page keeps one per tab (sessionStorage), so two tabs are two terminals. */
  readonly deviceId: string | null;
  readonly encoding: 'json' | 'msgpack';
  readonly serviceWorker: boolean;
}

export interface LocationLike {
  readonly origin: string;
  readonly search: string;
  readonly hash: string;
}

export function readParams(location: LocationLike): PageParams {
  const q = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const table = Number(q.get('table'));
  const device = q.get('device');
  return {
    hubUrl: q.get('hub') || null,
    catalogUrl: new URL(q.get('catalog') ?? '/api/catalog', location.origin).toString(),
    tableId: Number.isInteger(table) && table > 0 ? table : null,
    token: fragment.get('token'),
    queryTokenIgnored: q.has('token'),
    deviceId: device !== null && device.length > 0 ? device.slice(0, 128) : null,
    encoding: q.get('encoding') === 'msgpack' ? 'msgpack' : 'json',
    serviceWorker: q.get('sw') !== '0',
  };
}

/** The origin (http/https form) a hub WebSocket URL belongs to, or null when it is not one. */
export function hubOrigin(hubUrl: string): string | null {
  try {
    const url = new URL(hubUrl);
    const scheme = url.protocol === 'ws:' || url.protocol === 'http:' ? 'http:' : url.protocol === 'wss:' || url.protocol === 'https:' ? 'https:' : null;
    return scheme === null ? null : `${scheme}//${url.host}`.toLowerCase();
  } catch {
    return null;
  }
}

/** `?hub=` may name the page's own origin or one the serving hub lists in HUB_ALLOWED_ORIGINS. */
export function hubAllowed(hubUrl: string, pageOrigin: string, allowedOrigins: readonly string[]): boolean {
  const origin = hubOrigin(hubUrl);
  if (origin === null) return false;
  return origin === pageOrigin.toLowerCase() || allowedOrigins.some((o) => o.toLowerCase() === origin);
}

/** The same URL with `table` set or removed, for history.replaceState. */
export function withTable(search: string, tableId: number | null): string {
  const q = new URLSearchParams(search);
  if (tableId === null) q.delete('table');
  else q.set('table', String(tableId));
  const text = q.toString();
  return text.length > 0 ? `?${text}` : '';
}
