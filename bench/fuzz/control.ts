/**
 * The control terminal of a fuzz run: a well-behaved cashier holding one lease and writing snapshots at
 * a steady rate, timing each write from send to its ORDER_ACK. Its latency before and during the fuzz
 * is the harness's measure of whether hostile sockets slow honest terminals down.
 */
import WebSocket from 'ws';
import { Histogram } from '../lib/histogram.js';

export interface Control {
  /** Start recording into a fresh histogram (one per phase). */
  measure(): Histogram;
  readonly acks: () => number;
  /** Replies other than acks and broadcasts (refusals, conflicts), by type and code: why a write was not acked. */
  readonly refusals: () => Record<string, number>;
  close(): Promise<void>;
}

function snapshot(posReference: string, version: number): Record<string, unknown> {
  return {
    posReference,
    tableId: null,
    state: 'editing',
    kitchenStatus: 'open',
    sessionId: 1,
    userId: 1,
    lines: [
      {
        uid: `l${version}`,
        productId: 1,
        qty: 1,
        priceUnit: 2.5,
        discount: 0,
        taxIds: [],
        priceSubtotal: 2.5,
        priceSubtotalIncl: 2.5,
      },
    ],
    payments: [],
    amountTotal: 2.5,
    amountTax: 0,
    amountPaid: 0,
    amountReturn: 0,
    createdAt: '2026-01-01T10:00:00.000Z',
  };
}

/** Sign in, take a lease, then write every `intervalMs` and time each ack. */
export async function startControl(port: number, intervalMs: number): Promise<Control> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  const posReference = `CONTROL-${Date.now()}`;
  let version = 0;
  let acks = 0;
  let histogram = new Histogram();
  const sentAt = new Map<string, number>();
  const refusals = new Map<string, number>();
  let ready: () => void = () => undefined;
  const granted = new Promise<void>((resolve) => {
    ready = resolve;
  });
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString('utf8')) as {
      type: string;
      mutationId?: string;
      version?: number;
      code?: string;
      hubVersion?: number;
    };
    if (
      msg.type === 'ERROR' ||
      msg.type === 'CONFLICT' ||
      msg.type === 'LEASE_DENIED' ||
      msg.type === 'LEASE_REVOKED'
    ) {
      // A refused write is answered too: it no longer blocks the next one (a write unanswered for 30 s
      // counts as a 30 s ack rather than silently vanishing).
      if (msg.mutationId !== undefined) sentAt.delete(msg.mutationId);
      const key = `${msg.type}${msg.code === undefined ? '' : `:${msg.code}`}`;
      refusals.set(key, (refusals.get(key) ?? 0) + 1);
      if (msg.type === 'CONFLICT' && typeof msg.hubVersion === 'number') version = msg.hubVersion;
    }
    // Frames before AUTH_OK are refused unread (the pre-auth gate): ask for the lease once signed in.
    if (msg.type === 'AUTH_OK') ws.send(JSON.stringify({ type: 'LEASE_ACQUIRE', posReference, baseVersion: 0 }));
    if (msg.type === 'LEASE_GRANTED') ready();
    if (msg.type === 'ORDER_ACK' && msg.mutationId !== undefined) {
      const at = sentAt.get(msg.mutationId);
      sentAt.delete(msg.mutationId);
      if (at !== undefined) histogram.record((performance.now() - at) * 1000);
      if (typeof msg.version === 'number') version = msg.version;
      acks += 1;
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'AUTH', token: 'dev:cashier:control', deviceId: 'fuzz-control' }));
  let giveUp: NodeJS.Timeout | undefined;
  await Promise.race([
    granted,
    new Promise<never>((_, reject) => {
      giveUp = setTimeout(() => reject(new Error('control terminal: no LEASE_GRANTED within 20 s of AUTH')), 20_000);
    }),
  ]).finally(() => clearTimeout(giveUp));
  let n = 0;
  const timer = setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN) return;
    // One write in flight, as a terminal's outbox does: the next one needs the version this one gets.
    if (sentAt.size > 0) {
      for (const [id, at] of sentAt)
        if (performance.now() - at > 30_000) {
          histogram.record(30_000_000);
          sentAt.delete(id);
        }
      return;
    }
    const mutationId = `m${++n}`;
    sentAt.set(mutationId, performance.now());
    ws.send(
      JSON.stringify({
        type: 'ORDER_SNAPSHOT',
        posReference,
        baseVersion: version,
        snapshot: snapshot(posReference, n),
        mutationId,
      }),
    );
    if (n % 20 === 0) ws.send(JSON.stringify({ type: 'LEASE_HEARTBEAT', posReference }));
  }, intervalMs);
  return {
    measure() {
      histogram = new Histogram();
      return histogram;
    },
    acks: () => acks,
    refusals: () => Object.fromEntries(refusals),
    async close() {
      clearInterval(timer);
      if (ws.readyState === WebSocket.OPEN) {
        ws.close(1000);
        await new Promise((resolve) => ws.once('close', resolve));
      }
    },
  };
}
