/**
 * Static files under src/public (the terminal page, the SDK bundle) for the hub's HTTP router.
 * The router hands us the URL path and sends what we return; we own content types, directory
 * index pages, path-traversal refusal and cache headers. Files are read once and re-read only when
 * their mtime or size changes, so a rebuilt bundle is served without restarting the hub.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';

export interface StaticResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

export interface StaticFiles {
  /**
   * The response for a GET of `urlPath` (query and fragment ignored), or null when no file answers
   * (the router then tries its other routes or says 404). `ifNoneMatch` is the request's header.
   */
  lookup(urlPath: string, ifNoneMatch?: string): StaticResponse | null;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Pages and the service worker must be revalidated every time, or a tablet keeps a stale app. */
const NO_CACHE_NAMES = new Set(['sw.js']);

interface CachedFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly body: Buffer;
  readonly etag: string;
}

export function createStaticFiles(rootDir: string): StaticFiles {
  const root = realpathOrNull(resolve(rootDir)) ?? resolve(rootDir);
  const cache = new Map<string, CachedFile>();

  function read(file: string, stats: Stats): CachedFile {
    const hit = cache.get(file);
    if (hit !== undefined && hit.mtimeMs === stats.mtimeMs && hit.size === stats.size) return hit;
    const body = readFileSync(file);
    const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 27)}"`;
    const entry: CachedFile = { mtimeMs: stats.mtimeMs, size: stats.size, body, etag };
    cache.set(file, entry);
    return entry;
  }

  return {
    lookup(urlPath, ifNoneMatch) {
      const raw = urlPath.split(/[?#]/, 1)[0] ?? '';
      const pathname = decodedPath(raw);
      if (pathname === null) return null;
      const segments = pathname.split('/').filter((s) => s.length > 0);
      // Dot segments (., .., .env, .git) never name a public file; refusing them also stops traversal.
      if (segments.some((s) => s.startsWith('.') || s.includes('\\') || s.includes('\0'))) return null;
      const candidate = resolve(join(root, ...segments));
      if (!inside(root, candidate)) return null;
      const stats = statOrNull(candidate);
      if (stats === null) return null;
      let file = candidate;
      let fileStats = stats;
      if (stats.isDirectory()) {
        // Relative asset URLs in index.html only resolve under the directory with its trailing slash.
        // Built from the normalized segments, never the raw path: `//terminal` must not become the
        // protocol-relative (off-site) `//terminal/`.
        if (!pathname.endsWith('/')) return redirect(`/${segments.map(encodeURIComponent).join('/')}${segments.length > 0 ? '/' : ''}${queryOf(urlPath)}`);
        file = join(candidate, 'index.html');
        const indexStats = statOrNull(file);
        if (indexStats === null || !indexStats.isFile()) return null;
        fileStats = indexStats;
      } else if (!stats.isFile()) {
        return null;
      }
      // A symlink may point outside the root; the real path decides.
      const real = realpathOrNull(file);
      if (real === null || !inside(root, real)) return null;
      const { body, etag } = read(real, fileStats);
      const ext = extname(real).toLowerCase();
      const contentType = CONTENT_TYPES[ext] ?? 'application/octet-stream';
      const noCache = ext === '.html' || NO_CACHE_NAMES.has(segments[segments.length - 1] ?? '');
      const headers: Record<string, string> = {
        'Cache-Control': noCache ? 'no-cache' : 'public, max-age=60',
        ETag: etag,
        'X-Content-Type-Options': 'nosniff',
      };
      if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === `W/${etag}`)) {
        return { status: 304, contentType, body: Buffer.alloc(0), headers };
      }
      return { status: 200, contentType, body, headers };
    },
  };
}

/** The decoded path part of a request target, or null when it is malformed. */
function decodedPath(raw: string): string | null {
  if (!raw.startsWith('/')) return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

function queryOf(urlPath: string): string {
  const at = urlPath.indexOf('?');
  return at === -1 ? '' : urlPath.slice(at).split('#', 1)[0] ?? '';
}

function redirect(location: string): StaticResponse {
  return {
    status: 301,
    contentType: 'text/plain; charset=utf-8',
    body: Buffer.from(`Moved to ${location}\n`),
    headers: { Location: location, 'Cache-Control': 'no-cache' },
  };
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}
