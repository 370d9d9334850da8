/**
 * Outbound frames to terminals: the writer's committed deliveries fanned out to their sockets (encoded once
 * per encoding, written under one cork per socket per commit), single replies, and broadcasts. A message
 * that cannot be encoded is left out and counted; a terminal too slow to drain is closed (4003) to resync.
 */
import type { Logger } from '../adapters/log/logger.js';
import type { Clock } from '../ports/clock.js';
import type { HubMetrics } from '../ports/metrics.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import type { Encoding } from '../protocol/constants.js';
import { toHubError } from '../protocol/errors.js';
import type { HubMessage } from '../protocol/hub-messages.js';
import type { TerminalConn, TerminalRegistry } from './terminal-registry.js';
import type { Outbound } from '../threads/actor-io.js';
import type { Delivery } from '../threads/contract.js';

export interface FanOutDeps {
  readonly registry: TerminalRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  /** HUB_MAX_BACKPRESSURE: bytes queued to one socket before it is closed. */
  readonly maxBackpressure: number;
  /** Sees every message addressed to one terminal (its grants feed the per-terminal caps). */
  readonly observe: (terminalId: string, msg: HubMessage) => void;
}

/** Frames for one socket, in order, with their message types for the frames-out metric. */
interface Queued {
  readonly frames: (string | Uint8Array)[];
  readonly types: string[];
}
type Outbox = Map<TerminalConn, Queued>;
/** Frames written per (encoding, message type) over one commit's fan-out: the frames-out metric, counted once. */
type Tally = Map<Encoding, Map<string, number>>;

/** One encoder for the whole front: a shared frame is turned into bytes once, not by uWS once per socket. */
const utf8 = new TextEncoder();

export class FanOut {
  constructor(private readonly deps: FanOutDeps) {}

  /**
   * One group commit's messages, gathered per socket and written under one cork each: one syscall per
   * terminal per commit instead of one per message (the bench's top cost).
   */
  deliver(deliveries: readonly Delivery[]): void {
    const batch: Outbox = new Map();
    for (const delivery of deliveries) this.gather(delivery, batch);
    const tally: Tally = new Map();
    for (const [conn, queued] of batch) this.writeMany(conn, queued, tally);
    for (const [encoding, perType] of tally)
      for (const [type, count] of perType) this.deps.metrics.frameOut(type, encoding, count);
  }

  /** False when the message could not be encoded (it was logged and left out). */
  sendTo(conn: TerminalConn, msg: HubMessage): boolean {
    const frame = this.encode(conn, msg);
    if (frame === null) return false;
    this.writeMany(conn, { frames: [frame], types: [msg.type] });
    return true;
  }

  /** `msg` encoded for this socket's encoding; null when it cannot be (logged and counted, as for any send). */
  encodeFor(conn: TerminalConn, msg: HubMessage): string | Uint8Array | null {
    return this.encode(conn, msg);
  }

  /** A frame already encoded for this socket's encoding (one SYNC_INIT shared by a reconnect storm). */
  sendEncoded(conn: TerminalConn, frame: string | Uint8Array, type: HubMessage['type']): void {
    this.writeMany(conn, { frames: [frame], types: [type] });
  }

  /** One message to every ready terminal, outside any commit (HUB_STATUS). */
  broadcast(msg: HubMessage): void {
    this.targets({ to: 'all', msg }, (conn) => this.sendTo(conn, msg));
  }

  private gather(delivery: Delivery, batch: Outbox): void {
    const now = this.deps.clock.now();
    for (const out of delivery.out) {
      if (out.to === 'terminal') this.deps.observe(out.terminalId, out.msg);
      const encoded = new Map<Encoding, string | Uint8Array | null>();
      this.targets(out, (conn) => {
        let frame = encoded.get(conn.state.encoding);
        if (frame === undefined) {
          // Encoded once per encoding; a failure (null) is remembered too, so it is logged once, not per socket.
          frame = this.encode(conn, out.msg);
          // A text frame for many sockets goes as UTF-8 bytes: uWS would otherwise convert the string per socket.
          if (typeof frame === 'string' && out.to !== 'terminal') frame = utf8.encode(frame);
          encoded.set(conn.state.encoding, frame);
        }
        if (frame === null) return;
        let queued = batch.get(conn);
        if (queued === undefined) {
          queued = { frames: [], types: [] };
          batch.set(conn, queued);
        }
        queued.frames.push(frame);
        queued.types.push(out.msg.type);
      });
      if (delivery.receivedAt !== undefined) {
        const seconds = Math.max(0, now - delivery.receivedAt) / 1000;
        if (out.msg.type === 'ORDER_ACK') this.deps.metrics.ackLatency(seconds);
        else if (out.msg.type === 'ORDER_UPDATED') this.deps.metrics.broadcastLatency(seconds);
      }
    }
  }

  /** The sockets an outbound message is for: its terminal (syncing too: replies to its own requests), or the ready others. */
  private targets(out: Outbound, send: (conn: TerminalConn) => void): void {
    const { byTerminal } = this.deps.registry;
    switch (out.to) {
      case 'terminal': {
        const conn = byTerminal.get(out.terminalId);
        if (conn && (conn.state.phase === 'ready' || conn.state.phase === 'syncing')) send(conn);
        return;
      }
      case 'others':
        for (const [terminalId, conn] of byTerminal)
          if (terminalId !== out.except && conn.state.phase === 'ready') send(conn);
        return;
      case 'all':
        for (const conn of byTerminal.values()) if (conn.state.phase === 'ready') send(conn);
        return;
      default: {
        const unreachable: never = out;
        throw new Error(`unknown outbound ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * Every outbound encode goes through here: a message that cannot be encoded (it should not exist: inbound
   * and stored values are bounded) is logged, counted and left out, never allowed to throw in the front.
   */
  private encode(conn: TerminalConn, msg: HubMessage): string | Uint8Array | null {
    try {
      return conn.state.codec.encode(msg);
    } catch (error) {
      this.deps.metrics.quarantined('message');
      this.deps.log.error(
        { err: toHubError(error), type: msg.type, terminalId: conn.state.terminalId },
        'outbound message could not be encoded; left out',
      );
      return null;
    }
  }

  /** Send, and close the terminal (4003) rather than let it silently miss a message. With a tally, frames are counted there. */
  private writeMany(conn: TerminalConn, queued: Queued, tally?: Tally): void {
    if (conn.closed) return;
    const result = conn.sendMany(queued.frames, conn.state.codec.binary);
    const { encoding } = conn.state;
    if (tally === undefined) for (const type of queued.types) this.deps.metrics.frameOut(type, encoding, 1);
    else {
      let perType = tally.get(encoding);
      if (perType === undefined) {
        perType = new Map();
        tally.set(encoding, perType);
      }
      for (const type of queued.types) perType.set(type, (perType.get(type) ?? 0) + 1);
    }
    if (result === 'dropped' || conn.bufferedAmount() > this.deps.maxBackpressure) {
      this.deps.metrics.backpressureClose();
      this.deps.log.warn(
        { terminalId: conn.state.terminalId, buffered: conn.bufferedAmount() },
        'closing slow terminal',
      );
      conn.end(CLOSE_CODES.BACKPRESSURE.code, 'send buffer full; reconnect to resync');
    }
  }
}
