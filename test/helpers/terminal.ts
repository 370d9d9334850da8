/**
 * A small scripted terminal for tests: a `ws` client that records every hub message, sends JSON or
 * msgpack, and awaits the next unconsumed message matching a predicate (through test/helpers/wait.ts:
 * bounded, woken by each message, never a sleep).
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { msgpackCodec } from '../../src/protocol/codec.js';
import { MSGPACK_SUBPROTOCOL } from '../../src/protocol/constants.js';
import type { OrderSnapshot } from '../../src/protocol/snapshot.js';
import { fromEmitter, until, type EventSource } from './wait.js';

export type Msg = Record<string, unknown> & { type: string };

export interface TerminalOptions {
  deviceId: string;
  /** '' (dev hub user, manager) by default; `dev:cashier:ann` for a cashier. */
  token?: string;
  lastSeq?: number;
  encoding?: 'json' | 'msgpack';
  /** How msgpack is negotiated: the subprotocol (default) or `?encoding=msgpack`. */
  negotiate?: 'subprotocol' | 'query';
}

/** A scripted terminal's peer is a hub on this machine: 10 s without the awaited message is a failure. */
const WAIT_LIMIT_MS = 10_000;

export class TestTerminal {
  readonly messages: Msg[] = [];
  private readonly consumed = new Set<number>();
  private firstUnconsumed = 0;
  private readonly events = new EventEmitter();
  /** Fires on every message received and on close (the source `until` re-checks on). */
  readonly changes: EventSource = fromEmitter(this.events, 'change');
  readonly closed: Promise<{ code: number; reason: string }>;
  closeInfo: { code: number; reason: string } | null = null;

  private constructor(
    readonly ws: WebSocket,
    readonly options: TerminalOptions,
  ) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let msg: Msg;
      if (isBinary) {
        const decoded = msgpackCodec.decode(new Uint8Array(buf));
        msg = decoded.ok ? (decoded.value as Msg) : { type: '__UNDECODABLE__' };
      } else {
        msg = JSON.parse(buf.toString('utf8')) as Msg;
      }
      this.messages.push(msg);
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  private wake(): void {
    this.events.emit('change');
  }

  /** Open the socket (no AUTH yet). */
  static async open(wsUrl: string, options: TerminalOptions): Promise<TestTerminal> {
    const msgpack = options.encoding === 'msgpack';
    const viaQuery = msgpack && options.negotiate === 'query';
    const url = viaQuery ? `${wsUrl}/?encoding=msgpack` : wsUrl;
    const ws = msgpack && !viaQuery ? new WebSocket(url, [MSGPACK_SUBPROTOCOL]) : new WebSocket(url);
    const terminal = new TestTerminal(ws, options);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return terminal;
  }

  /** Open, AUTH, and wait for AUTH_OK and then SYNC_INIT or SYNC_RESUME. */
  static async connect(wsUrl: string, options: TerminalOptions): Promise<TestTerminal> {
    const terminal = await TestTerminal.open(wsUrl, options);
    await terminal.authenticate();
    return terminal;
  }

  async authenticate(): Promise<{ authOk: Msg; sync: Msg }> {
    const { token = '', deviceId, lastSeq } = this.options;
    this.send(lastSeq === undefined ? { type: 'AUTH', token, deviceId } : { type: 'AUTH', token, deviceId, lastSeq });
    const authOk = await this.awaitMessage((m) => m.type === 'AUTH_OK' || m.type === 'AUTH_FAIL');
    if (authOk.type !== 'AUTH_OK') throw new Error(`AUTH refused: ${JSON.stringify(authOk)}`);
    const sync = await this.awaitMessage((m) => m.type === 'SYNC_INIT' || m.type === 'SYNC_RESUME');
    return { authOk, sync };
  }

  send(message: unknown): void {
    if (this.options.encoding === 'msgpack') this.ws.send(msgpackCodec.encode(message));
    else this.ws.send(JSON.stringify(message));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** The first message not yet consumed that matches; waits for it if needed. Each message is checked once per call. */
  async awaitMessage(predicate: (m: Msg) => boolean, what = 'a matching message'): Promise<Msg> {
    while (this.consumed.has(this.firstUnconsumed)) this.firstUnconsumed++;
    let next = this.firstUnconsumed;
    let found: Msg | null = null;
    const scan = (): boolean => {
      for (; next < this.messages.length; next++) {
        const m = this.messages[next]!;
        if (!this.consumed.has(next) && predicate(m)) {
          this.consumed.add(next);
          found = m;
          return true;
        }
      }
      if (this.closeInfo) throw new Error(`socket closed (${this.closeInfo.code}) while waiting for ${what}; got ${JSON.stringify(this.messages.slice(-5))}`);
      return false;
    };
    try {
      await until(scan, what, this.changes, WAIT_LIMIT_MS);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('timed out')) error.message += `; last messages: ${JSON.stringify(this.messages.slice(-5))}`;
      throw error;
    }
    return found!;
  }

  awaitType(type: string, extra: (m: Msg) => boolean = () => true): Promise<Msg> {
    return this.awaitMessage((m) => m.type === type && extra(m), type);
  }

  /** Highest seq seen on any message. */
  get lastSeq(): number {
    let max = 0;
    for (const m of this.messages) if (typeof m.seq === 'number' && m.seq > max) max = m.seq;
    return max;
  }

  async close(): Promise<void> {
    if (this.closeInfo) return;
    this.ws.close(1000);
    await this.closed;
  }

  /** Drop the TCP connection without a close frame (a crashed terminal). */
  async drop(): Promise<void> {
    if (this.closeInfo) return;
    this.ws.terminate();
    await this.closed;
  }
}

/** A minimal valid order snapshot (an empty editing order), shared by the hub's unit and integration tests. */
export function snapshot(posReference: string, tableId: number | null, extra: Record<string, unknown> = {}): OrderSnapshot {
  return {
    posReference,
    tableId,
    state: 'editing',
    kitchenStatus: 'open',
    sessionId: 1,
    userId: 1,
    lines: [],
    payments: [],
    amountTotal: 0,
    amountTax: 0,
    amountPaid: 0,
    amountReturn: 0,
    createdAt: '2026-01-01T10:00:00.000Z',
    ...extra,
  };
}

/** A snapshot with n simple lines (for a visible change between versions). */
export function snapshotWithLines(posReference: string, tableId: number | null, n: number): Record<string, unknown> {
  const lines = Array.from({ length: n }, (_, i) => ({
    uid: `l${i + 1}`,
    productId: 1,
    qty: 1,
    priceUnit: 2,
    discount: 0,
    taxIds: [],
    priceSubtotal: 2,
    priceSubtotalIncl: 2,
  }));
  return snapshot(posReference, tableId, { lines, amountTotal: 2 * n });
}
