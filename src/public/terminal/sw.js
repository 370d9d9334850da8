/*
 * Service worker for the terminal page: keeps /terminal/ usable offline once loaded.
 * Network first (a tablet always gets the newest page when the hub answers), the cached copy when
 * it does not. Only the page's own files are handled; the WebSocket and /api/* pass through.
 */
const CACHE = 'pos-hub-terminal-v1';
const SHELL = ['./', './index.html', './app.js', './styles.css'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .catch(() => undefined)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          // The query (?table=1) does not change the page: cache under the bare path.
          const key = url.pathname.endsWith('/') ? scope.pathname : url.pathname;
          caches.open(CACHE).then((cache) => cache.put(key, copy)).catch(() => undefined);
        }
        return response;
      })
      .catch(() =>
        caches
          .match(url.pathname.endsWith('/') ? scope.pathname : url.pathname, { ignoreSearch: true })
          .then((hit) => hit || caches.match('./', { ignoreSearch: true }))
          .then((hit) => hit || new Response('Offline and not cached yet.', { status: 503, headers: { 'Content-Type': 'text/plain' } })),
      ),
  );
});
