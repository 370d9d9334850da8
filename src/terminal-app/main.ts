/**
 * The terminal page's composition root (bundled to src/public/terminal/app.js): reads the URL,
 * loads the catalog, creates the SDK transport in hub mode, wires controller and view, and
 * registers the service worker that keeps the page usable offline. The only file that touches
 * window, storage and timers directly.
 */
import { createTransport, localStorageOutboxStore, OUTBOX_STORAGE_KEY, uuidV4 } from '../client/index.js';
import type { SyncTransport } from '../client/types.js';
import { CATALOG_STORAGE_KEY, EMPTY_CATALOG, parseCatalog, type Catalog, type CatalogSource } from './catalog.js';
import { TerminalController } from './controller.js';
import { hubAllowed, readParams, withTable } from './params.js';
import { renderApp, type ViewActions } from './view.js';

const DEVICE_STORAGE_KEY = 'pos_terminal_device';
const TOKEN_STORAGE_KEY = 'pos_terminal_token';
const CATALOG_TIMEOUT_MS = 4_000;

declare global {
  interface Window {
    /** For people debugging in DevTools and for the e2e tests' timing figures. */
    posTerminal?: { controller: TerminalController; transport: SyncTransport };
  }
}

function storage(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    const s = window[kind];
    s.getItem('probe');
    return s;
  } catch {
    return null;
  }
}

/** One id per tab (sessionStorage survives a reload, not a second tab): two tabs are two terminals. */
function deviceIdFor(explicit: string | null): string {
  if (explicit !== null) return explicit;
  const session = storage('sessionStorage');
  const known = session?.getItem(DEVICE_STORAGE_KEY);
  if (known) return known;
  const id = `tab-${uuidV4(Math.random).slice(0, 8)}`;
  session?.setItem(DEVICE_STORAGE_KEY, id);
  return id;
}

/**
 * The token from `#token=`, kept for this tab only (sessionStorage) and then removed from the address
 * bar, so it is neither in history nor on screen; a reload uses the stored one. Empty: dev auth.
 */
function tokenFor(fromFragment: string | null): string {
  const session = storage('sessionStorage');
  if (fromFragment !== null) {
    session?.setItem(TOKEN_STORAGE_KEY, fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
    return fromFragment;
  }
  return session?.getItem(TOKEN_STORAGE_KEY) ?? '';
}

/** HUB_ALLOWED_ORIGINS of the hub that served this page; none when it cannot say (another server, offline). */
async function allowedHubOrigins(): Promise<string[]> {
  try {
    const response = await fetch('/api/page-config', { cache: 'no-store' });
    if (!response.ok) return [];
    const body = (await response.json()) as { allowedOrigins?: unknown };
    return Array.isArray(body.allowedOrigins) ? body.allowedOrigins.filter((o): o is string => typeof o === 'string') : [];
  } catch {
    return [];
  }
}

function cachedCatalog(): Catalog | null {
  const text = storage('localStorage')?.getItem(CATALOG_STORAGE_KEY);
  if (!text) return null;
  try {
    return parseCatalog(JSON.parse(text));
  } catch {
    return null;
  }
}

/** First retry of a catalog fetch that failed, and the longest wait between retries. */
const CATALOG_RETRY_MS = 5_000;
const CATALOG_RETRY_MAX_MS = 60_000;

async function fetchCatalog(url: string): Promise<Catalog | null> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), CATALOG_TIMEOUT_MS);
  try {
    const response = await fetch(url, { signal: abort.signal, cache: 'no-store' });
    if (!response.ok) return null;
    const json: unknown = await response.json();
    const catalog = parseCatalog(json);
    if (catalog !== null) storage('localStorage')?.setItem(CATALOG_STORAGE_KEY, JSON.stringify(json));
    return catalog;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

function registerServiceWorker(): void {
  const local = location.hostname === 'localhost' || location.hostname === '127.0.0.1';
  if (!('serviceWorker' in navigator) || !(window.isSecureContext || local)) return;
  navigator.serviceWorker.register('sw.js').catch(() => undefined);
}

async function start(): Promise<void> {
  const params = readParams(location);
  if (params.queryTokenIgnored) console.warn('pos-hub terminal: ?token= is ignored (it would stay in history and server logs); open the page with #token=<session id> instead');
  const token = tokenFor(params.token);
  // A crafted link must not send this terminal's token and outbox to a stranger's server.
  const hubRefused = params.hubUrl !== null && !hubAllowed(params.hubUrl, location.origin, await allowedHubOrigins());
  const root = document.getElementById('app');
  if (root === null) throw new Error('index.html has no #app element');

  const cached = cachedCatalog();
  const initial: { catalog: Catalog; source: CatalogSource } = cached !== null ? { catalog: cached, source: 'cache' } : { catalog: EMPTY_CATALOG, source: 'none' };

  const deviceId = deviceIdFor(params.deviceId);
  const local = storage('localStorage');
  const transport = createTransport(
    {
      nu_hub_enabled: true,
      nu_hub_url: '',
      hubUrlOverride: params.hubUrl,
      deviceId,
      token,
      encoding: params.encoding,
      config_id: initial.catalog.configId,
      session_id: initial.catalog.sessionId,
      sendChangesToKitchen: initial.catalog.sendChangesToKitchen,
    },
    {
      // Per terminal: two tabs of one browser must not flush each other's queue.
      ...(local === null ? {} : { outboxStore: localStorageOutboxStore(local, `${OUTBOX_STORAGE_KEY}:${deviceId}`) }),
      // With ?hub= the page's own origin is not a hub (tests, a page served elsewhere).
      pageOrigin: params.hubUrl === null ? location.origin : null,
    },
  );
  const controller = new TerminalController(
    { transport, now: () => Date.now(), random: Math.random, newId: () => uuidV4(Math.random) },
    initial.catalog,
    initial.source,
  );
  window.posTerminal = { controller, transport };

  const actions: ViewActions = {
    openTable: (id) => {
      history.replaceState(null, '', withTable(location.search, id) || location.pathname);
      void controller.openTable(id);
    },
    leaveTable: () => {
      history.replaceState(null, '', withTable(location.search, null) || location.pathname);
      controller.leaveTable();
    },
    openOrder: (pos) => void controller.openOrder(pos),
    newOrder: () => void controller.newOrder(),
    retryLease: () => void controller.retryLease(),
    addProduct: (id) => void controller.addProduct(id),
    changeQty: (uid, delta) => controller.changeQty(uid, delta),
    removeLine: (uid) => controller.removeLine(uid),
    changeGuests: (delta) => controller.changeGuests(delta),
    setStaff: (name) => controller.setStaff(name),
    sendToKitchen: () => controller.sendToKitchen(),
    pay: () => controller.pay(),
    finalize: () => void controller.finalize(),
    resolveConflict: (choice) => controller.resolveConflict(choice),
    dismissNotice: () => controller.dismissNotice(),
  };

  // Many state changes can land in one turn (SYNC_INIT, a flush): draw once per frame.
  let scheduled = false;
  const draw = (): void => {
    scheduled = false;
    root.replaceChildren(renderApp(controller.state, actions));
  };
  controller.subscribe(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(draw);
  });
  draw();

  // Leaving the page is the seed's "navigate away": give the lease and the lock back.
  window.addEventListener('pagehide', () => controller.leaveTable());

  // The page carries no catalog of its own: until the hub answers (it reads Odoo), ask again, 5 s, 10 s, … a minute apart at most.
  const loadCatalog = (retryMs: number): void => {
    void fetchCatalog(params.catalogUrl).then((fresh) => {
      if (fresh !== null) controller.setCatalog(fresh, 'hub');
      else setTimeout(() => loadCatalog(Math.min(retryMs * 2, CATALOG_RETRY_MAX_MS)), retryMs);
    });
  };
  loadCatalog(CATALOG_RETRY_MS);
  if (params.serviceWorker) registerServiceWorker();

  if (hubRefused) {
    // Nothing is opened or queued: the page stays on the floor plan with the reason.
    controller.showNotice(`Not connecting: ${params.hubUrl ?? ''} is not this page's hub nor one it allows (HUB_ALLOWED_ORIGINS)`, 'HUB_NOT_ALLOWED');
    return;
  }
  void transport.connect().catch((error: unknown) => {
    controller.showNotice(`Sign-in refused by the hub: ${error instanceof Error ? error.message : String(error)}`, 'AUTH_FAIL');
  });
  if (params.tableId !== null) await controller.openTable(params.tableId);
}

void start();
