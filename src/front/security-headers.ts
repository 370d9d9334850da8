/**
 * The headers every HTTP reply carries: no MIME sniffing, no referrer (a terminal URL may carry a
 * table or hub name), no framing (clickjacking the reset button), and a Content-Security-Policy that
 * lets pages run only the hub's own scripts and talk only to the hub and HUB_ALLOWED_ORIGINS.
 */
import { createHash } from 'node:crypto';
import type { HttpReply } from '../adapters/uws/server.js';

/** sha256 source expressions for every inline <script> of a page (the dashboard is one self-contained page). */
function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script>([\s\S]*?)<\/script>/g)) {
    hashes.push(`'sha256-${createHash('sha256').update(match[1] ?? '', 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/** The page CSP: own scripts (plus hashed inline ones), connections to self and the allowed origins. */
export function contentSecurityPolicy(html: string, allowedOrigins: readonly string[]): string {
  const sockets = allowedOrigins.map((o) => o.replace(/^http/, 'ws'));
  return [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes(html).join(' ')}`.trim(),
    // Inline style attributes are harmless enough and the pages use a few.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ${[...allowedOrigins, ...sockets].join(' ')}`.trim(),
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const isHtml = (reply: HttpReply): boolean => reply.contentType.startsWith('text/html');

/** The reply with the security headers added (its own cache headers kept, no-store when it had none). */
export function withSecurityHeaders(reply: HttpReply, allowedOrigins: readonly string[]): HttpReply {
  const headers: Record<string, string> = { ...(reply.headers ?? { 'cache-control': 'no-store' }) };
  for (const name of Object.keys(headers)) {
    // Static files spell theirs capitalised; one spelling each, so none is sent twice.
    const lower = name.toLowerCase();
    if (lower !== name) {
      headers[lower] = headers[name] ?? '';
      delete headers[name];
    }
  }
  headers['x-content-type-options'] = 'nosniff';
  headers['referrer-policy'] = 'no-referrer';
  headers['x-frame-options'] = 'DENY';
  if (isHtml(reply)) {
    const body = typeof reply.body === 'string' ? reply.body : Buffer.from(reply.body).toString('utf8');
    headers['content-security-policy'] = contentSecurityPolicy(body, allowedOrigins);
  } else {
    headers['content-security-policy'] = "default-src 'none'; frame-ancestors 'none'";
  }
  return { ...reply, headers };
}
