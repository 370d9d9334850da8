/**
 * A WebSocket constructor that opens the real socket only after a check of the hub passed (the
 * identity proof of hub-identity.ts). To the transport it is an ordinary socket that is still
 * connecting; a refused hub ends as an abnormal close (1006), so the transport tries the next hub.
 */
import type { HubError } from '../protocol/errors.js';
import type { WebSocketCtor, WebSocketLike } from './deps.js';

const CONNECTING = 0;
const CLOSED = 3;
const ABNORMAL = 1006;

export function verifiedWebSocket(Inner: WebSocketCtor, check: (url: string) => Promise<void>, onRefused: (error: HubError) => void): WebSocketCtor {
  return class VerifiedWebSocket implements WebSocketLike {
    private binaryTypeValue = 'blob';
    private inner: WebSocketLike | null = null;
    private ended = false;
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;

    constructor(url: string, protocols?: string | string[]) {
      check(url).then(
        () => {
          if (this.ended) return;
          const inner = protocols === undefined ? new Inner(url) : new Inner(url, protocols);
          inner.binaryType = this.binaryTypeValue;
          inner.onopen = (event) => this.onopen?.(event);
          inner.onmessage = (event) => this.onmessage?.(event);
          inner.onclose = (event) => this.end(event.code, event.reason);
          inner.onerror = (event) => this.onerror?.(event);
          this.inner = inner;
        },
        (error: HubError) => {
          if (this.ended) return;
          onRefused(error);
          this.end(ABNORMAL, error.message);
        },
      );
    }

    get binaryType(): string {
      return this.inner?.binaryType ?? this.binaryTypeValue;
    }

    set binaryType(value: string) {
      this.binaryTypeValue = value;
      if (this.inner) this.inner.binaryType = value;
    }

    get readyState(): number {
      if (this.ended) return CLOSED;
      return this.inner?.readyState ?? CONNECTING;
    }

    get protocol(): string {
      return this.inner?.protocol ?? '';
    }

    send(data: string | Uint8Array | ArrayBuffer): void {
      if (!this.inner) throw new Error('the hub is not verified yet');
      this.inner.send(data);
    }

    close(code?: number, reason?: string): void {
      if (this.inner) {
        this.inner.close(code, reason);
        return;
      }
      // Closed while the check runs: the check's outcome is ignored and nothing is ever opened.
      this.end(code ?? ABNORMAL, reason ?? '');
    }

    private end(code: number, reason: string): void {
      if (this.ended) return;
      this.ended = true;
      this.onclose?.({ code, reason });
    }
  };
}
