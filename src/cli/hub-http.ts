/**
 * How the CLI reaches a running hub over HTTP: the base URL (--url, else HUB_URL, else 127.0.0.1 on
 * HUB_HTTP_PORT) and a fetch with a timeout whose failures read as sentences, not stack traces.
 */
import { UsageError } from './io.js';

const DEFAULT_PORT = '8766';
const TIMEOUT_MS = 5000;

export function hubUrl(explicit: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const raw = explicit ?? env.HUB_URL ?? `http://127.0.0.1:${env.HUB_HTTP_PORT?.trim() || DEFAULT_PORT}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(raw)} is not a URL (e.g. http://127.0.0.1:8766)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url must be http:// or https://, got ${raw}`);
  return url.href.replace(/\/+$/, '');
}

export type HubResponse =
  | { readonly ok: true; readonly status: number; readonly body: unknown; readonly text: string }
  | { readonly ok: false; readonly reason: string };

/** Never throws: an unreachable hub, a timeout or a non-JSON body come back as `ok: false` with a reason. */
export async function requestHub(
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string> } = {},
): Promise<HubResponse> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const name = (error as Error).name;
    if (name === 'TimeoutError') return { ok: false, reason: `no answer within ${TIMEOUT_MS / 1000} s` };
    return { ok: false, reason: cause?.code ?? cause?.message ?? (error as Error).message };
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  return { ok: true, status: response.status, body, text };
}

/** `{error:{code,message}}` or `{code,message}`, whichever shape the hub answered with. */
export function errorOf(body: unknown): { code?: string; message?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const record = body as Record<string, unknown>;
  const inner =
    typeof record.error === 'object' && record.error !== null ? (record.error as Record<string, unknown>) : record;
  return {
    ...(typeof inner.code === 'string' ? { code: inner.code } : {}),
    ...(typeof inner.message === 'string' ? { message: inner.message } : {}),
  };
}
