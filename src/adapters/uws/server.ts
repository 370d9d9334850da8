/**
 * The only module that imports uWebSockets.js (with connection.ts, one socket's side of it): one App
 * serving HTTP routes and WebSocket paths on one port. It copies upgrade headers synchronously (uWS request objects die after the callback), honours
 * send()'s backpressure result, and reports whether the native binary or the JS fallback was loaded.
 * With `tls`, the same routes are also served by a uWS SSLApp (wss://, https://) on a second listener:
 * TLS ends in uWS itself, so the client's real address stays the socket's remote address.
 */
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { HubError } from '../../protocol/errors.js';
import uWS from 'uWebSockets.js';
import { UwsConnection, type Listener, type SocketData } from './connection.js';

export interface UpgradeInfo {
  readonly url: string;
  readonly query: string;
  readonly protocols: readonly string[];
  readonly remoteAddress: string;
  /** `origin` and `host`, lower-cased names, '' when absent (Origin/Host checks in the front). */
  readonly origin: string;
  readonly host: string;
}

export type SendResult = 'ok' | 'buffered' | 'dropped';

export interface WsConnection<S> {
  state: S;
  send(data: string | Uint8Array, binary: boolean): SendResult;
  /**
   * Several frames under one cork: one write to the socket instead of one per frame. Stops at the
   * first frame uWS drops (the caller then closes the terminal); otherwise 'buffered' if any was.
   */
  sendMany(frames: readonly (string | Uint8Array)[], binary: boolean): SendResult;
  bufferedAmount(): number;
  /** Graceful close with a code; safe to call twice. uWS drops the socket's topics with it. */
  end(code: number, reason: string): void;
  readonly closed: boolean;
  /** Join a broadcast topic (uWS pub/sub); left automatically when the socket closes. */
  subscribe(topic: string): void;
  /** Leave a broadcast topic; a no-op when not subscribed. */
  unsubscribe(topic: string): void;
  /** Sockets subscribed to `topic` on every listener (plain and TLS), this one included if it is. */
  subscribers(topic: string): number;
  /**
   * One frame to every subscriber of `topic` on every listener, fanned out by uWS in C++ (in order with each
   * subscriber's direct sends). With `skipSelf` this socket is left out. Returns how many sockets it was for.
   */
  publish(topic: string, data: string | Uint8Array, binary: boolean, skipSelf: boolean): number;
}

export interface WsRoute<S> {
  /**
   * Decide the per-socket state and optional chosen subprotocol; return null to refuse (HTTP 400), or
   * `{ refuse }` to refuse with a 400 whose body says why (a client offering nothing we speak).
   */
  upgrade(info: UpgradeInfo): { state: S; protocol?: string } | { refuse: string } | null;
  open(conn: WsConnection<S>): void;
  message(conn: WsConnection<S>, data: ArrayBuffer, isBinary: boolean): void;
  drain?(conn: WsConnection<S>): void;
  close(conn: WsConnection<S>, code: number): void;
}

export interface HttpRequestInfo {
  readonly method: string;
  readonly url: string;
  /** The query string without its `?` ('' when none), read synchronously as uWS requires. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The peer's address (admin-token attempt limits are per address). */
  readonly remoteAddress: string;
}

export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export type HttpHandler = (req: HttpRequestInfo) => Promise<HttpReply> | HttpReply;

export interface UwsServerOptions {
  readonly maxPayload: number;
  readonly maxBackpressure: number;
  // Each route has its own per-socket state type; the adapter only carries it from upgrade to close.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly ws: Readonly<Record<string, WsRoute<any>>>;
  readonly http: ReadonlyArray<{ method: 'get' | 'post'; path: string; handler: HttpHandler }>;
  readonly onError: (error: unknown, where: string) => void;
  /** PEM files for the TLS listener (checked beforehand by adapters/tls/identity.ts). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export interface UwsServer {
  listen(host: string, port: number): Promise<number>;
  /** The TLS listener; only when created with `tls`. */
  listenTls(host: string, port: number): Promise<number>;
  /** Stop accepting; open sockets stay until closed. */
  stopListening(): void;
  readonly native: boolean;
}

const STATUS_TEXT: Record<number, string> = { 200: '200 OK', 301: '301 Moved Permanently', 304: '304 Not Modified', 400: '400 Bad Request', 401: '401 Unauthorized', 403: '403 Forbidden', 421: '421 Misdirected Request', 429: '429 Too Many Requests', 404: '404 Not Found', 413: '413 Payload Too Large', 500: '500 Internal Server Error', 503: '503 Service Unavailable' };
const MAX_HTTP_BODY = 1024 * 1024;

/**
 * The native addon takes `listen(host, port, options, cb)` and LIBUS_LISTEN_EXCLUSIVE_PORT = 1 (no
 * SO_REUSEPORT); the package's typings list neither. Checked on this build: two processes listening
 * with the default both get the port, with this option the second gets `false`.
 */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;
type ListenCallback = (socket: uWS.us_listen_socket | false) => void;
function listenExclusive(app: uWS.TemplatedApp, host: string, port: number, cb: ListenCallback): void {
  (app.listen as unknown as (host: string, port: number, options: number, cb: ListenCallback) => void).call(app, host, port, LIBUS_LISTEN_EXCLUSIVE_PORT, cb);
}

/** uWS only says "false": bind once more with node:net to learn the errno for the operator's one line. */
function whyNotListening(host: string, port: number): Promise<{ errno: string | null; text: string }> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const errno = error.code ?? null;
      resolve({ errno, text: errno === 'EADDRINUSE' ? 'the port is in use (another pos-hub?)' : `${errno ?? 'error'}: ${error.message}` });
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve({ errno: null, text: 'the port is in use (held with SO_REUSEPORT by another process)' })));
  });
}

/** True when the uws_*.node addon is loaded, false when the package fell back to its JS shim. */
export function isNativeUws(): boolean {
  const require = createRequire(import.meta.url);
  return Object.keys(require.cache).some((path) => /uws_[^/\\]+\.node$/.test(path));
}

/** The uWS limit: comfortably above HUB_MAX_PAYLOAD, bounded so a single frame cannot exhaust memory. */
function hardPayloadCap(maxPayload: number): number {
  return Math.min(Math.max(maxPayload * 2, maxPayload + 64 * 1024), 128 * 1024 * 1024);
}

type RouteTable = Pick<uWS.TemplatedApp, 'ws' | 'get' | 'post' | 'any'>;

/** One registration for the plain App and, with TLS, the SSLApp: both serve exactly the same routes. */
function fanOut(apps: readonly [uWS.TemplatedApp, ...uWS.TemplatedApp[]]): RouteTable {
  const first = apps[0];
  return {
    ws: (pattern, behavior) => {
      for (const a of apps) a.ws(pattern, behavior);
      return first;
    },
    get: (pattern, handler) => {
      for (const a of apps) a.get(pattern, handler);
      return first;
    },
    post: (pattern, handler) => {
      for (const a of apps) a.post(pattern, handler);
      return first;
    },
    any: (pattern, handler) => {
      for (const a of apps) a.any(pattern, handler);
      return first;
    },
  };
}

function listenOn(app: uWS.TemplatedApp, host: string, port: number, onSocket: (socket: uWS.us_listen_socket) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    // uWS sets SO_REUSEPORT unless told otherwise: a second hub would share the port and the kernel
    // would split terminals between two hubs and two databases. Exclusive, a taken port fails here.
    listenExclusive(app, host, port, (socket) => {
      if (!socket) {
        void whyNotListening(host, port).then((why) =>
          reject(new HubError('PORT_IN_USE', `cannot listen on ${host}:${port}: ${why.text}`, { details: { host, port, errno: why.errno } })),
        );
        return;
      }
      onSocket(socket);
      resolve(uWS.us_socket_local_port(socket as unknown as uWS.us_socket));
    });
  });
}

export function createUwsServer(options: UwsServerOptions): UwsServer {
  const plainApp = uWS.App();
  const tlsApp = options.tls ? uWS.SSLApp({ cert_file_name: options.tls.certFile, key_file_name: options.tls.keyFile }) : null;
  const app = fanOut(tlsApp ? [plainApp, tlsApp] : [plainApp]);
  let listenSocket: uWS.us_listen_socket | null = null;
  let tlsListenSocket: uWS.us_listen_socket | null = null;
  const apps = tlsApp ? [plainApp, tlsApp] : [plainApp];
  // Each listener has its own topic tree: a socket's behavior knows its own app, to publish on the others.
  const behavior = (listener: Listener, route: WsRoute<unknown>): uWS.WebSocketBehavior<SocketData> => ({
      // uWS drops an oversize frame's connection without a close frame (1006). Its hard cap sits above
      // ours so the front can close frames over HUB_MAX_PAYLOAD with a proper 1009.
      maxPayloadLength: hardPayloadCap(options.maxPayload),
      // Above our limit too: uWS drops sends past its own cap, close frames included, so the front closes
      // at HUB_MAX_BACKPRESSURE while there is still room for the 4003 close frame.
      maxBackpressure: options.maxBackpressure * 2 + 1024 * 1024,
      // The front checks HUB_MAX_BACKPRESSURE after each fan-out; should a publish still reach uWS's own cap,
      // uWS closes the socket (1006, the terminal resyncs) instead of silently skipping the message for it.
      closeOnBackpressureLimit: 1,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const key = req.getHeader('sec-websocket-key');
        const protocolHeader = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        const info: UpgradeInfo = {
          url: req.getUrl(),
          query: req.getQuery() ?? '',
          protocols: protocolHeader.split(',').map((p) => p.trim()).filter(Boolean),
          remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(),
          origin: req.getHeader('origin'),
          host: req.getHeader('host'),
        };
        let decided: { state: unknown; protocol?: string } | { refuse: string } | null;
        try {
          decided = route.upgrade(info);
        } catch (error) {
          options.onError(error, 'upgrade');
          decided = null;
        }
        if (decided === null) {
          res.writeStatus('400 Bad Request').end('refused');
          return;
        }
        if ('refuse' in decided) {
          res.writeStatus('400 Bad Request').writeHeader('content-type', 'text/plain; charset=utf-8').end(decided.refuse);
          return;
        }
        const conn = new UwsConnection(decided.state, listener);
        res.upgrade<SocketData>({ conn }, key, decided.protocol ?? '', extensions, context);
      },
      open: (ws) => {
        const conn = ws.getUserData().conn;
        conn.ws = ws;
        try {
          route.open(conn);
        } catch (error) {
          options.onError(error, 'open');
        }
      },
      message: (ws, message, isBinary) => {
        if (message.byteLength > options.maxPayload) {
          ws.getUserData().conn.end(1009, 'frame exceeds HUB_MAX_PAYLOAD');
          return;
        }
        try {
          route.message(ws.getUserData().conn, message, isBinary);
        } catch (error) {
          options.onError(error, 'message');
        }
      },
      drain: (ws) => {
        try {
          route.drain?.(ws.getUserData().conn);
        } catch (error) {
          options.onError(error, 'drain');
        }
      },
      close: (ws, code) => {
        const conn = ws.getUserData().conn;
        conn.detach();
        try {
          route.close(conn, code);
        } catch (error) {
          options.onError(error, 'close');
        }
      },
  });
  for (const [path, route] of Object.entries(options.ws)) for (const a of apps) a.ws<SocketData>(path, behavior({ apps, own: a }, route));

  for (const route of options.http) {
    const register = route.method === 'get' ? app.get.bind(app) : app.post.bind(app);
    register(route.path, (res, req) => {
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const headers: Record<string, string> = {};
      req.forEach((k, v) => {
        headers[k] = v;
      });
      const base = { method: req.getMethod().toUpperCase(), url: req.getUrl(), query: req.getQuery() ?? '', remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString() };
      const respond = (reply: HttpReply): void => {
        if (aborted) return;
        res.cork(() => {
          res.writeStatus(STATUS_TEXT[reply.status] ?? `${reply.status} Status`).writeHeader('content-type', reply.contentType);
          const headers = reply.headers ?? { 'cache-control': 'no-store' };
          for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
          res.end(reply.body);
        });
      };
      const run = (body: string): void => {
        Promise.resolve()
          .then(() => route.handler({ ...base, headers, body }))
          .then(respond, (error: unknown) => {
            options.onError(error, `http ${base.url}`);
            respond({ status: 500, contentType: 'text/plain; charset=utf-8', body: 'internal error' });
          });
      };
      if (route.method === 'get') {
        run('');
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.onData((chunk, isLast) => {
        size += chunk.byteLength;
        if (size > MAX_HTTP_BODY) {
          if (!aborted && isLast) respond({ status: 413, contentType: 'text/plain; charset=utf-8', body: 'body too large' });
          return;
        }
        chunks.push(Buffer.from(chunk.slice(0)));
        if (isLast) run(Buffer.concat(chunks).toString('utf8'));
      });
    });
  }

  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').writeHeader('content-type', 'text/plain; charset=utf-8').end('not found');
  });

  return {
    native: isNativeUws(),
    listen(host, port) {
      return listenOn(plainApp, host, port, (socket) => {
        listenSocket = socket;
      });
    },
    listenTls(host, port) {
      if (!tlsApp) return Promise.reject(new Error('this server was created without tls'));
      return listenOn(tlsApp, host, port, (socket) => {
        tlsListenSocket = socket;
      });
    },
    stopListening() {
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      if (tlsListenSocket) uWS.us_listen_socket_close(tlsListenSocket);
      listenSocket = null;
      tlsListenSocket = null;
    },
  };
}
