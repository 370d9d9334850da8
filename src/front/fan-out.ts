/**
 * Outbound frames to terminals: the writer's committed deliveries, single replies, and broadcasts. A broadcast
 * is encoded once per encoding (or arrives encoded by the writer: EncodedBroadcast) and published to the
 * ready sockets' uWS topic (uWS fans it out in C++). A message that cannot be encoded is left out and
 * counted; a terminal too slow to drain is closed (4003).
 */
import type { Logger } from '../adapters/log/logger.js';
import type { Clock } from '../ports/clock.js';
import type { HubMetrics } from '../ports/metrics.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import type { Encoding } from '../protocol/constants.js';
import { codecFor } from '../protocol/codec.js';
import { toHubError } from '../protocol/errors.js';
import type { HubMessage } from '../protocol/hub-messages.js';
import { broadcastTopic, type TerminalConn, type TerminalRegistry } from './terminal-registry.js';
import type { Outbound } from '../threads/actor-io.js';
import type { DeliveredOut, EncodedBroadcast, FrontDelivery } from '../threads/contract.js';

export interface FanOutDeps {
  readonly registry: TerminalRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  /** HUB_MAX_BACKPRESSURE: bytes queued to one socket before it is closed. */
  readonly maxBackpressure: number;
  /** Sees every message addressed to one terminal (its grants feed the per-terminal caps). */
  readonly observe: (terminalId: string, msg: HubMessage) => void;
  /**
   * Runs `callback` once this event-loop turn is over (default setImmediate: no extra wake-up). By then uWS
   * has written the turn's publishes to the sockets (at the end of the turn), so a later read sees them.
   */
  readonly afterTurn?: (callback: () => void) => void;
}

/** Frames written per (encoding, message type) over one commit's fan-out: the frames-out metric, counted once. */
type Tally = Map<Encoding, Map<string, number>>;

/** Every encoding a terminal may speak: a broadcast is encoded once for each that has a subscriber. */
const ENCODINGS: readonly Encoding[] = ['json', 'msgpack'];

/**
 * Bytes uWS may queue to a socket that no publish or send of ours accounts for: its pings, pongs and close
 * frames (a few bytes each), and a WebSocket header per frame is counted with the frame itself.
 */
const UNACCOUNTED_BYTES = 64 * 1024;
const FRAME_HEADER_BYTES = 14;

/** An upper bound of a frame's bytes on the wire: a UTF-16 code unit takes at most 3 UTF-8 bytes. */
const frameBytes = (frame: string | Uint8Array): number =>
  (typeof frame === 'string' ? frame.length * 3 : frame.byteLength) + FRAME_HEADER_BYTES;

export class FanOut {
  /**
   * Whether a socket can be over HUB_MAX_BACKPRESSURE without reading every socket after every publish
   * (O(terminals) native calls per write). Every byte queued to a terminal socket comes from our sends
   * (each checks its own socket and raises `seenMax`) or our publishes (counted in `published`), so no
   * socket holds more than the highest amount read by the last scan or a send since, plus every byte
   * published since that scan could not see. uWS has written a publish to its sockets by the end of the
   * loop turn it was made in (checked on this build: 8 MB published to a stalled reader read 3.98 MB
   * buffered at once, 4.05 MB in this turn's setImmediate and the same in the next turn), so a scan sees what
   * earlier turns published and `reflected` stops at its turn's start. Unknown at first: the first publish scans.
   */
  private seenMax = Number.POSITIVE_INFINITY;
  private published = 0;
  private reflected = 0;
  /** `published` before this loop turn's first publish; null once the turn has ended. */
  private turnStart: number | null = null;

  constructor(private readonly deps: FanOutDeps) {}

  /**
   * One group commit's messages in the order of each outbound list: a reply is sent to its socket, a
   * broadcast is published once per encoding to the ready sockets' topic and fanned out by uWS in C++
   * (uWS keeps each socket's direct sends and topic messages in call order). Slow sockets are closed after.
   */
  deliver(deliveries: readonly FrontDelivery[]): void {
    const tally: Tally = new Map();
    const now = this.deps.clock.now();
    let published = false;
    for (const delivery of deliveries) {
      for (const out of delivery.out) {
        published = this.route(out, tally) || published;
        if (delivery.receivedAt !== undefined) {
          const seconds = Math.max(0, now - delivery.receivedAt) / 1000;
          const type = out.to === 'broadcast' ? out.type : out.msg.type;
          if (type === 'ORDER_ACK') this.deps.metrics.ackLatency(seconds);
          else if (type === 'ORDER_UPDATED') this.deps.metrics.broadcastLatency(seconds);
        }
      }
    }
    // A direct write checks its own socket; only a publish can have filled sockets it did not name.
    if (published) this.closeSlowIfAny();
    this.count(tally);
  }

  /** False when the message could not be encoded (it was logged and left out). */
  sendTo(conn: TerminalConn, msg: HubMessage): boolean {
    const frame = this.encode(conn.state.encoding, msg, conn.state.terminalId);
    if (frame === null) return false;
    if (this.write(conn, frame)) this.deps.metrics.frameOut(msg.type, conn.state.encoding, 1);
    return true;
  }

  /** `msg` encoded for this socket's encoding; null when it cannot be (logged and counted, as for any send). */
  encodeFor(conn: TerminalConn, msg: HubMessage): string | Uint8Array | null {
    return this.encode(conn.state.encoding, msg, conn.state.terminalId);
  }

  /** A frame already encoded for this socket's encoding (one SYNC_INIT shared by a reconnect storm). */
  sendEncoded(conn: TerminalConn, frame: string | Uint8Array, type: HubMessage['type']): void {
    if (this.write(conn, frame)) this.deps.metrics.frameOut(type, conn.state.encoding, 1);
  }

  /** One message to every ready terminal, outside any commit (HUB_STATUS). */
  broadcast(msg: HubMessage): void {
    const tally: Tally = new Map();
    if (this.publish({ to: 'all', msg }, tally)) this.closeSlowIfAny();
    this.count(tally);
  }

  /** True when it published (uWS queued bytes to sockets no write checked). */
  private route(out: DeliveredOut, tally: Tally): boolean {
    switch (out.to) {
      case 'terminal': {
        this.deps.observe(out.terminalId, out.msg);
        // Its terminal, syncing too: replies to its own requests.
        const conn = this.deps.registry.byTerminal.get(out.terminalId);
        if (conn === undefined || (conn.state.phase !== 'ready' && conn.state.phase !== 'syncing')) return false;
        const frame = this.encode(conn.state.encoding, out.msg, out.terminalId);
        if (frame !== null && this.write(conn, frame)) tallyOne(tally, conn.state.encoding, out.msg.type, 1);
        return false;
      }
      case 'others':
      case 'all':
        return this.publish(out, tally);
      case 'broadcast':
        return this.publishEncoded(out, tally);
      default: {
        const unreachable: never = out;
        throw new Error(`unknown outbound ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * A broadcast to the ready sockets: published from the excepted terminal's own socket when it is connected
   * (uWS's ws.publish skips the publisher), otherwise from any open socket to the whole topic.
   */
  private publish(out: Extract<Outbound, { to: 'others' | 'all' }>, tally: Tally): boolean {
    const except = out.to === 'others' ? out.except : null;
    return this.publishFrames(except, out.msg.type, tally, (encoding) => this.encode(encoding, out.msg, null));
  }

  /** The writer's JSON text as it is; msgpack is built from it only when a msgpack socket listens. */
  private publishEncoded(out: EncodedBroadcast, tally: Tally): boolean {
    return this.publishFrames(out.except, out.type, tally, (encoding) => {
      if (encoding === 'json') return out.json;
      let msg: HubMessage;
      try {
        msg = JSON.parse(out.json) as HubMessage;
      } catch (error) {
        return this.unencodable(error, out.type, null);
      }
      return this.encode(encoding, msg, null);
    });
  }

  private publishFrames(
    exceptId: string | null,
    type: HubMessage['type'],
    tally: Tally,
    frameFor: (encoding: Encoding) => string | Uint8Array | null,
  ): boolean {
    const except = exceptId === null ? undefined : this.deps.registry.byTerminal.get(exceptId);
    const skipSelf = except !== undefined && !except.closed;
    const publisher = skipSelf ? except : this.anyOpen();
    if (publisher === undefined) return false; // no open socket: no subscriber either
    let reachedAny = false;
    for (const encoding of ENCODINGS) {
      const topic = broadcastTopic(encoding);
      if (publisher.subscribers(topic) === 0) continue;
      const frame = frameFor(encoding);
      if (frame === null) continue;
      const reached = publisher.publish(topic, frame, codecFor(encoding).binary, skipSelf);
      if (reached > 0) {
        this.countPublished(frameBytes(frame));
        tallyOne(tally, encoding, type, reached);
        reachedAny = true;
      }
    }
    return reachedAny;
  }

  /** Any socket that can publish (uWS publishes through an app; a socket is the adapter's handle on it). */
  private anyOpen(): TerminalConn | undefined {
    for (const conn of this.deps.registry.byTerminal.values()) if (!conn.closed) return conn;
    return undefined;
  }

  /** A publish of `bytes` to each subscriber; the turn's start is remembered until the turn has ended. */
  private countPublished(bytes: number): void {
    if (this.turnStart === null) {
      this.turnStart = this.published;
      (this.deps.afterTurn ?? setImmediate)(() => {
        this.turnStart = null;
      });
    }
    this.published += bytes;
  }

  /** Reads the sockets only when the bound says one of them may be over HUB_MAX_BACKPRESSURE. */
  private closeSlowIfAny(): void {
    if (this.seenMax + (this.published - this.reflected) + UNACCOUNTED_BYTES <= this.deps.maxBackpressure) return;
    this.closeSlow();
  }

  /**
   * A socket over HUB_MAX_BACKPRESSURE after a fan-out is closed (4003) so it resyncs: uWS's own cap sits
   * well above it, so nothing was skipped for it before the close frame.
   */
  private closeSlow(): void {
    let max = 0;
    for (const conn of this.deps.registry.byTerminal.values()) {
      if (conn.closed) continue;
      const buffered = conn.bufferedAmount();
      if (buffered > this.deps.maxBackpressure) this.closeSlowOne(conn);
      else if (buffered > max) max = buffered;
    }
    this.seenMax = max;
    this.reflected = this.turnStart ?? this.published;
  }

  private count(tally: Tally): void {
    for (const [encoding, perType] of tally)
      for (const [type, count] of perType) this.deps.metrics.frameOut(type, encoding, count);
  }

  /**
   * Every outbound encode goes through here: a message that cannot be encoded (it should not exist: inbound
   * and stored values are bounded) is logged, counted and left out, never allowed to throw in the front.
   */
  private encode(encoding: Encoding, msg: HubMessage, terminalId: string | null): string | Uint8Array | null {
    try {
      return codecFor(encoding).encode(msg);
    } catch (error) {
      return this.unencodable(error, msg.type, terminalId);
    }
  }

  private unencodable(error: unknown, type: string, terminalId: string | null): null {
    this.deps.metrics.quarantined('message');
    this.deps.log.error({ err: toHubError(error), type, terminalId }, 'outbound message could not be encoded; left out');
    return null;
  }

  /** Send to one socket, and close it (4003) rather than let it silently miss a message. False when not sent. */
  private write(conn: TerminalConn, frame: string | Uint8Array): boolean {
    if (conn.closed) return false;
    const result = conn.send(frame, conn.state.codec.binary);
    const buffered = conn.bufferedAmount();
    if (result === 'dropped' || buffered > this.deps.maxBackpressure) this.closeSlowOne(conn);
    else if (buffered > this.seenMax) this.seenMax = buffered;
    return result !== 'dropped';
  }

  private closeSlowOne(conn: TerminalConn): void {
    this.deps.metrics.backpressureClose();
    this.deps.log.warn({ terminalId: conn.state.terminalId, buffered: conn.bufferedAmount() }, 'closing slow terminal');
    conn.end(CLOSE_CODES.BACKPRESSURE.code, 'send buffer full; reconnect to resync');
  }
}

function tallyOne(tally: Tally, encoding: Encoding, type: string, count: number): void {
  let perType = tally.get(encoding);
  if (perType === undefined) {
    perType = new Map();
    tally.set(encoding, perType);
  }
  perType.set(type, (perType.get(type) ?? 0) + count);
}
