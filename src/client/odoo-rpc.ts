/**
 * A minimal Odoo 12 JSON-RPC client for direct mode (shared/reference/odoo12-wire-contract.md):
 * POST {jsonrpc, method:'call', params} with the terminal's session in X-Openerp-Session-Id, and the
 * error envelope mapped to stable codes — code 100 → ODOO_SESSION_EXPIRED, other JSON-RPC errors →
 * ODOO_REJECTED, HTTP/transport failures and timeouts → ODOO_UNREACHABLE (the retryable kind).
 */
import { HubError } from '../protocol/errors.js';
import type { ClientClock, FetchLike } from './deps.js';

export interface OdooRpcOptions {
  readonly baseUrl: string;
  readonly sessionId: string;
  readonly fetch: FetchLike;
  readonly clock: ClientClock;
  /** The stock POS client waits 7.5 s per order. */
  readonly timeoutMs?: number;
}

interface RpcError {
  code?: number;
  message?: string;
  data?: { name?: string; message?: string; arguments?: unknown[]; exception_type?: string };
}

export class OdooRpc {
  private nextId = 1;

  constructor(private readonly options: OdooRpcOptions) {}

  async call(path: string, params: Record<string, unknown>): Promise<unknown> {
    const timeoutMs = this.options.timeoutMs ?? 7_500;
    const Abort = (globalThis as { AbortController?: typeof AbortController }).AbortController;
    const controller = Abort ? new Abort() : null;
    let timedOut = false;
    const timer = this.options.clock.setTimeout(() => {
      timedOut = true;
      controller?.abort();
    }, timeoutMs);
    const id = this.nextId++;
    try {
      let response: Awaited<ReturnType<FetchLike>>;
      try {
        response = await this.options.fetch(`${this.options.baseUrl.replace(/\/+$/, '')}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Openerp-Session-Id': this.options.sessionId },
          body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params, id }),
          ...(controller ? { signal: controller.signal } : {}),
        });
      } catch (error) {
        throw new HubError('ODOO_UNREACHABLE', timedOut ? `Odoo did not answer ${path} within ${timeoutMs} ms` : `Odoo unreachable: ${error instanceof Error ? error.message : String(error)}`, {
          retryable: true,
          cause: error,
        });
      }
      if (!response.ok) throw new HubError('ODOO_UNREACHABLE', `Odoo answered HTTP ${response.status} on ${path}`, { retryable: true });
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        throw new HubError('ODOO_PROTOCOL', `Odoo answered ${path} with something that is not JSON`, { retryable: true, cause: error });
      }
      if (typeof body !== 'object' || body === null || (body as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
        throw new HubError('ODOO_PROTOCOL', `Odoo answered ${path} without a JSON-RPC 2.0 envelope`, { retryable: true });
      }
      const envelope = body as { result?: unknown; error?: RpcError };
      if (envelope.error) throw toOdooError(envelope.error);
      return envelope.result ?? null;
    } finally {
      this.options.clock.clearTimeout(timer);
    }
  }

  callKw(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<unknown> {
    return this.call(`/web/dataset/call_kw/${model}/${method}`, { model, method, args, kwargs });
  }
}

function toOdooError(error: RpcError): HubError {
  const text = typeof error.data?.arguments?.[0] === 'string' ? error.data.arguments[0] : (error.data?.message ?? error.message ?? 'Odoo error');
  if (error.code === 100) return new HubError('ODOO_SESSION_EXPIRED', `Odoo session expired: ${text}`, { details: error.data });
  // Serialization failures and other server-side internal errors may pass on a retry.
  const retryable = error.data?.exception_type === 'internal_error' && /TransactionRollback|SerializationFailure|OperationalError/.test(error.data.name ?? '');
  return new HubError(retryable ? 'ODOO_UNREACHABLE' : 'ODOO_REJECTED', `Odoo refused: ${text}`, { retryable, details: error.data });
}
