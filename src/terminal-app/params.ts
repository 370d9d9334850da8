/**
 * What the page learns from its URL. Served by the hub, the hub's WebSocket is the page's own
 * origin; `?hub=ws://host:port` points it elsewhere (tests, a page served by another server),
 * `?catalog=` names the catalog URL, `?table=` opens a table, `?token=`/`?device=` set identity.
 */

export interface PageParams {
  /** `?hub=`; null: the page's own origin (the hub serves the page). */
  readonly hubUrl: string | null;
  readonly catalogUrl: string;
  readonly tableId: number | null;
  /** Empty: the hub's dev auth (HUB_DEV_AUTH=true) signs the terminal in as its own user. */
  readonly token: string;
  /** Null: the page keeps one per tab (sessionStorage), so two tabs are two terminals. */
  readonly deviceId: string | null;
  readonly encoding: 'json' | 'msgpack';
  readonly serviceWorker: boolean;
}

export interface LocationLike {
  readonly origin: string;
  readonly search: string;
}

export function readParams(location: LocationLike): PageParams {
  const q = new URLSearchParams(location.search);
  const table = Number(q.get('table'));
  const device = q.get('device');
  return {
    hubUrl: q.get('hub') || null,
    catalogUrl: new URL(q.get('catalog') ?? '/api/catalog', location.origin).toString(),
    tableId: Number.isInteger(table) && table > 0 ? table : null,
    token: q.get('token') ?? '',
    deviceId: device !== null && device.length > 0 ? device.slice(0, 128) : null,
    encoding: q.get('encoding') === 'msgpack' ? 'msgpack' : 'json',
    serviceWorker: q.get('sw') !== '0',
  };
}

/** The same URL with `table` set or removed, for history.replaceState. */
export function withTable(search: string, tableId: number | null): string {
  const q = new URLSearchParams(search);
  if (tableId === null) q.delete('table');
  else q.set('table', String(tableId));
  const text = q.toString();
  return text.length > 0 ? `?${text}` : '';
}
