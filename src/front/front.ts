/**
 * The front thread's runtime: terminal sessions (AUTH, sync or resume, heartbeats), decoding and
 * validation of every frame, routing to the shard that owns the table, and fan-out of committed
 * messages from the writer with backpressure honoured. It never runs actors and never touches SQLite.
 */
import type { Logger } from '../adapters/log/logger.js';
import type { WsConnection } from '../adapters/uws/server.js';
import type { Config } from '../config.js';
import { ownerOf, type AuthResult, type TerminalIdentity, type TokenValidator } from '../ports/auth.js';
import type { Clock, TimerHandle } from '../ports/clock.js';
import type { HubMetrics } from '../ports/metrics.js';
import { codecFor, frameKindError, type Codec } from '../protocol/codec.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import { PROTOCOL_VERSION, type Encoding } from '../protocol/constants.js';
import { toHubError, type ErrorCode } from '../protocol/errors.js';
import type { HubMessage } from '../protocol/hub-messages.js';
import { parseTerminalMessage, refOf } from '../protocol/parse.js';
import type { TerminalMessage, TerminalMessageOf } from '../protocol/terminal-messages.js';
import { orderKey, shardOf, tableKey } from '../../workers/shard-key.js';
import type {
  ActorKey,
  Delivery,
  FrontToShard,
  FrontToWriter,
  Outbound,
  Relay,
  ShardMessage,
  SyncResult,
  WriterStats,
  WriterToFront,
  DeviceClaim,
} from '../../workers/protocol.js';
import { businessDay } from '../domain/business-day.js';
import { attributeFinalize } from './attribution.js';
import { countAbuse, type Session } from './session.js';
import { inboundLimits, type InboundLimits } from './inbound-limits.js';
import { AddressLimits } from './limits/address-limits.js';
import { TerminalLimits, type Verdict } from './limits/terminal-limits.js';

/** What the front needs of a worker: batched posts and id-matched requests. */
export interface Channel<In> {
  post(message: In): void;
  request<R>(make: (reqId: number) => In): Promise<R>;
}

export interface FrontDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  readonly tokenValidator: TokenValidator;
  readonly shards: readonly Channel<FrontToShard>[];
  readonly writer: Channel<FrontToWriter>;
  /** Called whenever something the dashboard shows may have changed. */
  readonly onChange: () => void;
}

const EMPTY_STATS: WriterStats = {
  seq: 0,
  orders: 0,
  activeLeases: 0,
  activeLocks: 0,
  pendingForward: 0,
  totalForwarded: 0,
  deadLetters: 0,
  lastOdooSync: null,
  odooReachable: false,
  lastOdooError: null,
};

type Conn = WsConnection<Session>;

/** Records named in one RECORDS_QUARANTINED; `count` still says how many there are. */
const MAX_QUARANTINE_REPORT = 100;

/** The signed-in user as a Principal/op field: mutation ids are scoped to (owner, device) (docs/security.md). */
function ownerField(owner: string | null): { owner?: string } {
  return owner === null ? {} : { owner };
}

/** An AUTH refused because the device id is another user's. */
interface DeviceRefusal {
  readonly ok: false;
  readonly code: 'DEVICE_OWNED';
  readonly reason: string;
}

/** Frames for one socket, in order, with their message types for the frames-out metric. */
interface Queued {
  readonly frames: (string | Uint8Array)[];
  readonly types: string[];
}
type Outbox = Map<Conn, Queued>;

export class Front {
  private nextSessionId = 1;
  readonly conns = new Set<Conn>();
  /** Authenticated connections by terminalId (= deviceId). */
  readonly byTerminal = new Map<string, Conn>();
  /** posReference → the actor that owns the order, fixed at first sight. */
  private readonly routes = new Map<string, ActorKey>();
  stats: WriterStats = EMPTY_STATS;
  private accepting = true;
  private recheckTimer: TimerHandle | null = null;
  private readonly limits: InboundLimits;
  /** Rate limits and caps (src/front/limits): per terminal once signed in, per address before. */
  readonly terminalLimits: TerminalLimits;
  private readonly addressLimits: AddressLimits;

  constructor(private readonly deps: FrontDeps) {
    this.limits = inboundLimits(deps.config);
    this.terminalLimits = new TerminalLimits(deps.config);
    this.addressLimits = new AddressLimits(deps.config);
  }

  loadRoutes(entries: ReadonlyArray<readonly [string, ActorKey]>): void {
    this.routes.clear();
    for (const [posReference, key] of entries) this.routes.set(posReference, key);
  }

  get readyCount(): number {
    let n = 0;
    for (const conn of this.byTerminal.values()) if (conn.state.phase === 'ready' || conn.state.phase === 'syncing') n++;
    return n;
  }

  stopAccepting(): void {
    this.accepting = false;
  }

  startAccepting(): void {
    this.accepting = true;
  }

  // ---- connection lifecycle ----------------------------------------------------------------

  newSession(encoding: Encoding, address = ''): Session {
    const now = this.deps.clock.now();
    return {
      id: this.nextSessionId++,
      codec: codecFor(encoding),
      encoding,
      phase: 'awaiting_auth',
      terminalId: null,
      role: null,
      userName: '',
      token: '',
      owner: null,
      odooUserId: null,
      connectedAt: now,
      lastSeen: now,
      authTimer: null,
      address,
      countedUnauthenticated: false,
      abuse: { count: 0, windowStart: now },
    };
  }

  onOpen(conn: Conn): void {
    if (!this.accepting) {
      conn.end(CLOSE_CODES.GOING_AWAY.code, 'hub is shutting down');
      return;
    }
    if (!this.addressLimits.open(conn.state.address)) {
      const limit = this.deps.config.HUB_MAX_UNAUTH_PER_ADDRESS;
      this.deps.metrics.frameError('TOO_MANY_CONNECTIONS');
      this.sendTo(conn, { type: 'ERROR', code: 'TOO_MANY_CONNECTIONS', message: `this address already has ${limit} sockets that have not signed in` });
      conn.state.phase = 'closed';
      conn.end(CLOSE_CODES.RATE_LIMITED.code, 'too many unauthenticated sockets from this address');
      return;
    }
    conn.state.countedUnauthenticated = true;
    this.conns.add(conn);
    conn.state.authTimer = this.deps.clock.setTimeout(() => {
      // Only a terminal that has not sent AUTH: one whose token is being checked sent it in time, and the
      // check is bounded by ODOO_TIMEOUT_MS (the bench's reconnect storm closed such terminals under load).
      if (conn.state.phase === 'awaiting_auth') {
        this.sendTo(conn, { type: 'ERROR', code: 'AUTH_TIMEOUT', message: `no AUTH within ${this.deps.config.HUB_AUTH_TIMEOUT_MS} ms` });
        conn.end(CLOSE_CODES.AUTH_TIMEOUT.code, 'auth timeout');
      }
    }, this.deps.config.HUB_AUTH_TIMEOUT_MS);
  }

  onClose(conn: Conn): void {
    const session = conn.state;
    const wasAuthenticated = session.phase === 'ready' || session.phase === 'syncing';
    session.phase = 'closed';
    if (session.authTimer !== null) this.deps.clock.clearTimeout(session.authTimer);
    this.settleAddress(session);
    this.conns.delete(conn);
    const terminalId = session.terminalId;
    if (terminalId !== null && this.byTerminal.get(terminalId) === conn) {
      this.byTerminal.delete(terminalId);
      // While shutting down the writer has stopped; the last re-check recorded the device as in use.
      if (session.owner !== null && this.accepting) this.deviceSeen([{ deviceId: terminalId, owner: session.owner }]);
      if (wasAuthenticated) for (const shard of this.deps.shards) shard.post({ kind: 'disconnected', terminalId });
      this.deps.metrics.connectedTerminals(this.readyCount);
      this.deps.onChange();
    }
  }

  onDrain(conn: Conn): void {
    void conn;
  }

  // ---- inbound frames ------------------------------------------------------------------------

  onMessage(conn: Conn, data: ArrayBuffer, isBinary: boolean): void {
    const session = conn.state;
    if (session.phase === 'closed') return;
    const now = this.deps.clock.now();
    session.lastSeen = now;
    const preAuth = session.phase === 'awaiting_auth' || session.phase === 'authenticating';
    // Before AUTH_OK only the length is looked at: a stranger's big frame is never decoded.
    if (preAuth && data.byteLength > this.limits.preAuthMaxBytes) {
      this.refuse(conn, 'PREAUTH_FRAME_TOO_LARGE', `before AUTH_OK a frame may take ${this.limits.preAuthMaxBytes} bytes; send AUTH first`, undefined, now);
      return;
    }
    const wrongKind = frameKindError(session.codec, isBinary);
    if (wrongKind !== null) {
      this.refuse(conn, wrongKind.code, wrongKind.message, undefined, now);
      return;
    }
    const decoded = session.codec.decode(data, this.limits.frame);
    if (!decoded.ok) {
      this.refuse(conn, decoded.error.code, decoded.error.message, undefined, now);
      return;
    }
    if (preAuth && (decoded.value as { type?: unknown } | null)?.type !== 'AUTH') {
      this.refuse(conn, 'NOT_AUTHENTICATED', 'send AUTH first', refOf(decoded.value), now);
      return;
    }
    const parsed = parseTerminalMessage(decoded.value, this.limits.passThrough);
    if (!parsed.ok) {
      this.refuse(conn, parsed.error.code, parsed.error.message, refOf(decoded.value), now);
      return;
    }
    const msg = parsed.value;
    this.deps.metrics.frameIn(msg.type, session.encoding);
    if (session.phase === 'awaiting_auth' || session.phase === 'authenticating') {
      if (msg.type !== 'AUTH') {
        this.refuse(conn, 'NOT_AUTHENTICATED', 'send AUTH first', refOf(msg), now);
        return;
      }
      if (session.phase === 'authenticating') {
        this.refuse(conn, 'ALREADY_AUTHENTICATED', 'AUTH already in progress', refOf(msg), now);
        return;
      }
      const wait = this.addressLimits.takeAuth(session.address, now);
      if (wait > 0) {
        this.deps.metrics.frameError('RATE_LIMITED');
        this.sendTo(conn, { type: 'ERROR', code: 'RATE_LIMITED', message: `too many AUTH attempts from this address; retry in ${wait} ms`, retryAfterMs: wait });
        session.phase = 'closed';
        conn.end(CLOSE_CODES.RATE_LIMITED.code, 'too many AUTH attempts');
        return;
      }
      this.authenticate(conn, msg.token, msg.deviceId, msg.lastSeq);
      return;
    }
    this.dispatch(conn, msg, now, data.byteLength);
  }

  private refuse(conn: Conn, code: ErrorCode, message: string, ref: ReturnType<typeof refOf>, now: number): void {
    this.deps.metrics.frameError(code);
    const error = { type: 'ERROR', code, message, ...(ref === undefined ? {} : { ref }) } as HubMessage;
    this.sendTo(conn, error);
    if (countAbuse(conn.state, now)) conn.end(CLOSE_CODES.PROTOCOL_ABUSE.code, 'too many invalid frames');
  }

  /** A frame over a rate limit or cap: ERROR with retryAfterMs; a terminal that keeps going is closed (4007). */
  private refuseLimited(conn: Conn, terminalId: string, verdict: Exclude<Verdict, { ok: true }>, ref: ReturnType<typeof refOf>, now: number): void {
    this.deps.metrics.frameError(verdict.code);
    const error = {
      type: 'ERROR',
      code: verdict.code,
      message: verdict.message,
      ...(ref === undefined ? {} : { ref }),
      ...(verdict.retryAfterMs === undefined ? {} : { retryAfterMs: verdict.retryAfterMs }),
    } as HubMessage;
    this.sendTo(conn, error);
    if (this.terminalLimits.refused(terminalId, now)) conn.end(CLOSE_CODES.RATE_LIMITED.code, 'rate limits ignored');
  }

  /** The socket signed in or closed: it no longer counts against its address's unauthenticated share. */
  private settleAddress(session: Session): void {
    if (!session.countedUnauthenticated) return;
    session.countedUnauthenticated = false;
    this.addressLimits.settled(session.address);
  }

  private dispatch(conn: Conn, msg: TerminalMessage, now: number, frameBytes: number): void {
    const session = conn.state;
    const terminalId = session.terminalId;
    const role = session.role;
    if (terminalId === null || role === null) return;
    const verdict = msg.type === 'AUTH' ? null : this.terminalLimits.check(terminalId, msg, now);
    if (verdict !== null && !verdict.ok) {
      this.refuseLimited(conn, terminalId, verdict, refOf(msg), now);
      return;
    }
    switch (msg.type) {
      case 'AUTH':
        this.refuse(conn, 'ALREADY_AUTHENTICATED', 'this connection is already authenticated', refOf(msg), now);
        return;
      case 'HEARTBEAT':
        this.sendTo(conn, { type: 'HEARTBEAT_ACK', serverTime: now });
        return;
      case 'TICKET_NUMBER_REQUEST':
        this.deps.writer.post({
          kind: 'units',
          units: [
            {
              ops: [
                {
                  op: 'ticket',
                  terminalId,
                  ...ownerField(session.owner),
                  orderType: msg.orderType,
                  businessDay: businessDay(now),
                  ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }),
                },
              ],
              out: [],
              origin: { terminalId, ref: { ...refOf(msg), type: msg.type } },
            },
          ],
        });
        return;
      case 'FLOOR_PLAN_UPDATE': {
        // Every terminal stores and redraws a floor plan: only a manager may change it, within a size.
        if (role !== 'manager') {
          this.refuse(conn, 'FORBIDDEN', 'only a manager may change the floor plan', refOf(msg), now);
          return;
        }
        if (frameBytes > this.limits.floorPlanMaxBytes) {
          this.refuse(conn, 'FLOOR_PLAN_TOO_LARGE', `a floor plan update may take ${this.limits.floorPlanMaxBytes} bytes`, refOf(msg), now);
          return;
        }
        const plan = { floorId: msg.floorId, tables: msg.tables, ...(msg.layoutMode === undefined ? {} : { layoutMode: msg.layoutMode }) };
        const changed: HubMessage = { type: 'FLOOR_PLAN_CHANGED', ...plan, sourceTerminal: terminalId };
        this.deps.writer.post({
          kind: 'units',
          units: [
            {
              ops: [
                { op: 'floor_plan_put', plan },
                { op: 'event', type: 'FLOOR_PLAN_CHANGED', posReference: null, payload: changed, sourceTerminal: null },
              ],
              out: [{ to: 'all', msg: changed, stamp: true }],
              origin: { terminalId, ref: { ...refOf(msg), type: msg.type } },
            },
          ],
        });
        return;
      }
      case 'ORDER_FINALIZE': {
        // The Odoo order's user is the signed-in user, whatever userId the snapshot claims.
        const attributed = attributeFinalize(msg, session.odooUserId);
        if (attributed !== msg) {
          this.deps.log.warn({ terminalId, posReference: msg.posReference, claimed: msg.snapshot.userId, user: session.odooUserId }, 'ORDER_FINALIZE named another user; attributed to the signed-in user');
        }
        const key = this.routeOf(attributed);
        const shard = this.deps.shards[shardOf(key, this.deps.shards.length)];
        shard?.post({ kind: 'terminal', key, from: { terminalId, role, name: session.userName, ...ownerField(session.owner) }, msg: attributed, receivedAt: now });
        return;
      }
      case 'LEASE_ACQUIRE':
      case 'LEASE_RELEASE':
      case 'LEASE_HEARTBEAT':
      case 'ORDER_SNAPSHOT':
      case 'TABLE_UPDATE':
      case 'TABLE_LOCK_ACQUIRE':
      case 'TABLE_LOCK_RELEASE':
      case 'TABLE_LOCK_HEARTBEAT':
      case 'TABLE_LOCK_FORCE_ACQUIRE': {
        const key = this.routeOf(msg);
        const shard = this.deps.shards[shardOf(key, this.deps.shards.length)];
        shard?.post({ kind: 'terminal', key, from: { terminalId, role, name: session.userName, ...ownerField(session.owner) }, msg, receivedAt: now });
        return;
      }
      case 'ORDER_TRANSFER': {
        // To the source's actor, which needs the destination's key to run the transfer protocol.
        const key = this.routeOf(msg);
        const toKey = this.transferDestination(msg, key);
        const shard = this.deps.shards[shardOf(key, this.deps.shards.length)];
        shard?.post({ kind: 'transfer', key, toKey, from: { terminalId, role, name: session.userName, ...ownerField(session.owner) }, msg, receivedAt: now });
        return;
      }
      default: {
        const unreachable: never = msg;
        throw new Error(`unhandled terminal message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** The order's home actor: fixed the first time the order is seen (by its table, else by itself). */
  private routeOf(msg: ShardMessage): ActorKey {
    const home = (posReference: string, tableId: number | null | undefined, remember: boolean): ActorKey => {
      const known = this.routes.get(posReference);
      if (known !== undefined) return known;
      const key = tableId ? tableKey(tableId) : orderKey(posReference);
      if (remember) this.routes.set(posReference, key);
      return key;
    };
    switch (msg.type) {
      case 'LEASE_ACQUIRE':
        return home(msg.posReference, msg.tableId, true);
      case 'LEASE_RELEASE':
        return home(msg.posReference, msg.finalSnapshot?.tableId, false);
      case 'LEASE_HEARTBEAT':
        return home(msg.posReference, null, false);
      case 'ORDER_SNAPSHOT':
      case 'ORDER_FINALIZE':
        return home(msg.posReference, msg.snapshot.tableId, true);
      case 'ORDER_TRANSFER':
        return home(msg.fromPosReference, null, false);
      case 'TABLE_UPDATE':
      case 'TABLE_LOCK_ACQUIRE':
      case 'TABLE_LOCK_RELEASE':
      case 'TABLE_LOCK_HEARTBEAT':
      case 'TABLE_LOCK_FORCE_ACQUIRE':
        return tableKey(msg.tableId);
      default: {
        const unreachable: never = msg;
        throw new Error(`unroutable ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * Where a transfer's destination lives: its known home; else a new order at `toTableId`'s table, or at
   * the source's table (a split check stays where it was), or on its own. Remembered, so the new order's
   * later frames (heartbeat, release) reach the actor that will hold it.
   */
  private transferDestination(msg: TerminalMessageOf<'ORDER_TRANSFER'>, fromKey: ActorKey): ActorKey {
    const known = this.routes.get(msg.toPosReference);
    if (known !== undefined) return known;
    const key = msg.toTableId ? tableKey(msg.toTableId) : fromKey.startsWith('t:') ? fromKey : orderKey(msg.toPosReference);
    this.routes.set(msg.toPosReference, key);
    return key;
  }

  /** Transfer steps from one shard's actor to another's: shards never talk directly, the front routes by key. */
  relay(relays: readonly Relay[]): void {
    for (const r of relays) this.deps.shards[shardOf(r.to, this.deps.shards.length)]?.post({ kind: 'relay', key: r.to, event: r.event });
  }

  private authenticate(conn: Conn, token: string, deviceId: string, lastSeq: number | undefined): void {
    const session = conn.state;
    session.phase = 'authenticating';
    this.deps.tokenValidator
      .validate(token, deviceId)
      .then(async (result) => {
        if (session.phase !== 'authenticating' || !result.ok) return result;
        // The device id is bound to its first user: another user is refused and never displaces it.
        const owner = ownerOf(result.identity);
        const claim = this.liveOwnerOf(deviceId, owner) ?? (await this.claimDevice(deviceId, owner));
        return claim.ok ? result : claim;
      })
      .then(
        (result) => {
          if (session.phase !== 'authenticating') return;
          if (!result.ok) {
            this.sendTo(conn, { type: 'AUTH_FAIL', reason: result.reason, code: result.code });
            session.phase = 'closed';
            conn.end(CLOSE_CODES.AUTH_FAILED.code, 'auth failed');
            return;
          }
          this.admit(conn, token, deviceId, lastSeq, result.identity);
        },
        (error: unknown) => {
          this.deps.log.error({ err: toHubError(error) }, 'token validator or device claim threw');
          this.sendTo(conn, { type: 'AUTH_FAIL', reason: 'token validation failed', code: 'AUTH_UNAVAILABLE' });
          conn.end(CLOSE_CODES.AUTH_FAILED.code, 'auth failed');
        },
      );
  }

  /** A refusal when the device's live socket belongs to another user, else null (ask the writer). */
  private liveOwnerOf(deviceId: string, owner: string): DeviceRefusal | null {
    const live = this.byTerminal.get(deviceId);
    if (live === undefined || live.state.owner === null || live.state.owner === owner) return null;
    this.deps.log.warn({ deviceId }, 'AUTH for a device signed in by another user refused');
    return { ok: false, code: 'DEVICE_OWNED', reason: `device ${deviceId} is in use by another user; pick another device id or ask a manager to release it` };
  }

  private async claimDevice(deviceId: string, owner: string): Promise<DeviceRefusal | { ok: true }> {
    const claim = await this.deps.writer.request<DeviceClaim>((reqId) => ({
      kind: 'request',
      reqId,
      req: { type: 'device_claim', deviceId, owner, now: this.deps.clock.now(), idleReleaseMs: this.deps.config.HUB_DEVICE_IDLE_RELEASE_HOURS * 3_600_000 },
    }));
    if (claim.ok) {
      if (claim.previousOwner !== null) this.deps.log.warn({ deviceId }, 'idle device id claimed by another user');
      return { ok: true };
    }
    this.deps.log.warn({ deviceId }, 'AUTH for a device bound to another user refused');
    return { ok: false, code: 'DEVICE_OWNED', reason: `device ${deviceId} belongs to another user; pick another device id or ask a manager to release it` };
  }

  private deviceSeen(devices: Array<{ deviceId: string; owner: string }>): void {
    if (devices.length === 0) return;
    this.deps.writer.request<number>((reqId) => ({ kind: 'request', reqId, req: { type: 'device_seen', devices, now: this.deps.clock.now() } })).catch((error: unknown) => {
      this.deps.log.warn({ err: toHubError(error), devices: devices.length }, 'could not record devices in use');
    });
  }

  private admit(conn: Conn, token: string, deviceId: string, lastSeq: number | undefined, identity: TerminalIdentity): void {
    const session = conn.state;
    if (!this.accepting) {
      conn.end(CLOSE_CODES.GOING_AWAY.code, 'hub is shutting down');
      return;
    }
    if (session.authTimer !== null) this.deps.clock.clearTimeout(session.authTimer);
    session.authTimer = null;
    const terminalId = deviceId;
    const previous = this.byTerminal.get(terminalId);
    session.terminalId = terminalId;
    session.role = identity.role;
    session.userName = identity.name;
    session.token = token;
    session.owner = ownerOf(identity);
    session.odooUserId = identity.dev === true ? null : identity.userId;
    session.phase = 'syncing';
    this.settleAddress(session);
    this.byTerminal.set(terminalId, conn);
    if (previous && previous !== conn) {
      previous.state.phase = 'closed';
      previous.end(CLOSE_CODES.REPLACED.code, 'replaced by a newer connection');
      this.conns.delete(previous);
    }
    this.sendTo(conn, {
      type: 'AUTH_OK',
      terminalId,
      role: identity.role,
      encoding: session.encoding,
      seq: this.stats.seq,
      serverTime: this.deps.clock.now(),
      protocolVersion: PROTOCOL_VERSION,
    });
    for (const shard of this.deps.shards) shard.post({ kind: 'connected', terminalId });
    this.deps.metrics.connectedTerminals(this.readyCount);
    this.deps.onChange();
    this.deps.writer
      .request<SyncResult>((reqId) => ({ kind: 'request', reqId, req: lastSeq === undefined ? { type: 'sync', terminalId } : { type: 'sync', terminalId, lastSeq } }))
      .then(
        (sync) => this.finishSync(conn, sync),
        (error: unknown) => {
          this.deps.log.error({ err: toHubError(error), terminalId }, 'sync failed');
          conn.end(CLOSE_CODES.INTERNAL.code, 'sync failed');
        },
      );
  }

  // ---- revocation --------------------------------------------------------------------------

  /** Re-check every open terminal's token each HUB_AUTH_RECHECK_MS (docs/security.md, revocation). */
  startRevalidation(): void {
    this.stopRevalidation();
    this.recheckTimer = this.deps.clock.setTimeout(() => {
      this.recheckTimer = null;
      void this.revalidateAll().finally(() => {
        if (this.accepting) this.startRevalidation();
      });
    }, this.deps.config.HUB_AUTH_RECHECK_MS);
  }

  stopRevalidation(): void {
    if (this.recheckTimer !== null) this.deps.clock.clearTimeout(this.recheckTimer);
    this.recheckTimer = null;
  }

  /**
   * Ask the validator about every authenticated socket (one question per token). A session Odoo calls
   * dead closes its sockets with 4001; Odoo unreachable keeps them (the LAN keeps working offline).
   */
  async revalidateAll(): Promise<void> {
    const byToken = new Map<string, Conn[]>();
    const inUse: Array<{ deviceId: string; owner: string }> = [];
    for (const [deviceId, conn] of this.byTerminal) {
      if (conn.state.phase !== 'ready' && conn.state.phase !== 'syncing') continue;
      if (conn.state.owner !== null) inUse.push({ deviceId, owner: conn.state.owner });
      const list = byToken.get(conn.state.token) ?? [];
      list.push(conn);
      byToken.set(conn.state.token, list);
    }
    // A device connected for longer than HUB_DEVICE_IDLE_RELEASE_HOURS is in use, not idle.
    this.deviceSeen(inUse);
    const validator = this.deps.tokenValidator;
    await Promise.all(
      [...byToken].map(async ([token, conns]) => {
        const first = conns[0];
        if (first === undefined) return;
        let result: AuthResult;
        try {
          result = await (validator.revalidate ?? validator.validate).call(validator, token, first.state.terminalId ?? '');
        } catch (error) {
          this.deps.log.warn({ err: toHubError(error) }, 'token re-check threw; keeping the sockets');
          return;
        }
        if (result.ok || result.code !== 'AUTH_FAILED') return;
        for (const conn of conns) {
          if (conn.closed || conn.state.token !== token) continue;
          this.deps.log.info({ terminalId: conn.state.terminalId }, 'session revoked in Odoo; closing the terminal');
          this.sendTo(conn, { type: 'AUTH_FAIL', reason: result.reason, code: result.code });
          conn.end(CLOSE_CODES.AUTH_FAILED.code, 'session revoked');
        }
      }),
    );
  }

  private finishSync(conn: Conn, sync: SyncResult): void {
    if (conn.state.phase !== 'syncing') return;
    switch (sync.mode) {
      case 'init':
        if (!this.sendTo(conn, { type: 'SYNC_INIT', orders: sync.orders, tables: sync.tables, floorPlans: sync.floorPlans, seq: sync.seq })) {
          conn.end(CLOSE_CODES.INTERNAL.code, 'sync failed');
          return;
        }
        this.deps.metrics.resync('full');
        break;
      case 'resume':
        this.sendTo(conn, { type: 'SYNC_RESUME', fromSeq: sync.fromSeq, toSeq: sync.toSeq, count: sync.events.length });
        for (const event of sync.events) this.sendTo(conn, event);
        this.deps.metrics.resync('resume');
        break;
      default: {
        const unreachable: never = sync;
        throw new Error(`unknown sync ${JSON.stringify(unreachable)}`);
      }
    }
    if (conn.state.phase === 'syncing') conn.state.phase = 'ready';
    // Managers hear about records the hub left out, so someone looks at them (README "Security").
    if (conn.state.role === 'manager' && sync.quarantined.length > 0) {
      this.sendTo(conn, { type: 'RECORDS_QUARANTINED', count: sync.quarantined.length, records: sync.quarantined.slice(0, MAX_QUARANTINE_REPORT).map((r) => ({ ...r })) });
    }
  }

  // ---- outbound ----------------------------------------------------------------------------

  onWriterMessage(message: WriterToFront): void {
    switch (message.kind) {
      case 'deliver': {
        this.stats = message.stats;
        // A group commit's messages are gathered per socket and written under one cork each: one
        // syscall per terminal per commit instead of one per message (the bench's top cost).
        const batch: Outbox = new Map();
        for (const delivery of message.deliveries) this.deliver(delivery, batch);
        for (const [conn, queued] of batch) this.writeMany(conn, queued);
        this.deps.onChange();
        return;
      }
      case 'stats':
        this.stats = message.stats;
        this.deps.onChange();
        return;
      case 'reply':
        return;
      case 'forget':
        // Closed orders pruned from SQLite: their routes would otherwise outlive them forever.
        for (const posReference of message.posReferences) this.routes.delete(posReference);
        return;
      case 'fatal':
        this.deps.log.fatal({ error: message.error }, 'writer reported a fatal error');
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`unknown writer message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private deliver(delivery: Delivery, batch: Outbox): void {
    const now = this.deps.clock.now();
    for (const out of delivery.out) {
      if (out.to === 'terminal') this.terminalLimits.observe(out.terminalId, out.msg);
      const encoded = new Map<Encoding, string | Uint8Array | null>();
      const sendEncoded = (conn: Conn): void => {
        let frame = encoded.get(conn.state.encoding);
        if (frame === undefined) {
          // Encoded once per encoding; a failure (null) is remembered too, so it is logged once, not per socket.
          frame = this.encode(conn, out.msg);
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
      };
      this.fanOut(out, sendEncoded);
      if (delivery.receivedAt !== undefined) {
        const seconds = Math.max(0, now - delivery.receivedAt) / 1000;
        if (out.msg.type === 'ORDER_ACK') this.deps.metrics.ackLatency(seconds);
        else if (out.msg.type === 'ORDER_UPDATED') this.deps.metrics.broadcastLatency(seconds);
      }
    }
  }

  private fanOut(out: Outbound, send: (conn: Conn) => void): void {
    switch (out.to) {
      case 'terminal': {
        const conn = this.byTerminal.get(out.terminalId);
        if (conn && (conn.state.phase === 'ready' || conn.state.phase === 'syncing')) send(conn);
        return;
      }
      case 'others':
        for (const [terminalId, conn] of this.byTerminal) if (terminalId !== out.except && conn.state.phase === 'ready') send(conn);
        return;
      case 'all':
        for (const conn of this.byTerminal.values()) if (conn.state.phase === 'ready') send(conn);
        return;
      default: {
        const unreachable: never = out;
        throw new Error(`unknown outbound ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** False when the message could not be encoded (it was logged and left out). */
  sendTo(conn: Conn, msg: HubMessage): boolean {
    const frame = this.encode(conn, msg);
    if (frame === null) return false;
    this.write(conn, frame, msg.type);
    return true;
  }

  /**
   * Every outbound encode goes through here: a message that cannot be encoded (it should not exist: inbound
   * and stored values are bounded) is logged, counted and left out, never allowed to throw in the front.
   */
  private encode(conn: Conn, msg: HubMessage): string | Uint8Array | null {
    try {
      return conn.state.codec.encode(msg);
    } catch (error) {
      this.deps.metrics.quarantined('message');
      this.deps.log.error({ err: toHubError(error), type: msg.type, terminalId: conn.state.terminalId }, 'outbound message could not be encoded; left out');
      return null;
    }
  }

  /** Send, and close the terminal (4003) rather than let it silently miss a message. */
  private write(conn: Conn, frame: string | Uint8Array, type: string): void {
    this.writeMany(conn, { frames: [frame], types: [type] });
  }

  private writeMany(conn: Conn, queued: Queued): void {
    if (conn.closed) return;
    const result = conn.sendMany(queued.frames, conn.state.codec.binary);
    const perType = new Map<string, number>();
    for (const type of queued.types) perType.set(type, (perType.get(type) ?? 0) + 1);
    for (const [type, count] of perType) this.deps.metrics.frameOut(type, conn.state.encoding, count);
    if (result === 'dropped' || conn.bufferedAmount() > this.deps.config.HUB_MAX_BACKPRESSURE) {
      this.deps.metrics.backpressureClose();
      this.deps.log.warn({ terminalId: conn.state.terminalId, buffered: conn.bufferedAmount() }, 'closing slow terminal');
      conn.end(CLOSE_CODES.BACKPRESSURE.code, 'send buffer full; reconnect to resync');
    }
  }

  /** HUB_STATUS to every ready terminal. */
  broadcastStatus(): void {
    const msg: HubMessage = {
      type: 'HUB_STATUS',
      connectedTerminals: this.readyCount,
      odooReachable: this.stats.odooReachable,
      pendingForward: this.stats.pendingForward,
      serverTime: this.deps.clock.now(),
      seq: this.stats.seq,
    };
    this.fanOut({ to: 'all', msg }, (conn) => this.sendTo(conn, msg));
  }

  /** Close every terminal socket with one code (reset: 4005, shutdown: 1001). */
  closeAll(code: number, reason: string): void {
    for (const conn of [...this.conns]) {
      this.onClose(conn);
      conn.end(code, reason);
    }
  }

  /** Close a device's socket (its binding was released by the admin): it signs in again as anyone. */
  closeDevice(deviceId: string, reason: string): void {
    const conn = this.byTerminal.get(deviceId);
    if (conn === undefined) return;
    this.onClose(conn);
    conn.end(CLOSE_CODES.AUTH_FAILED.code, reason);
  }

  clearRoutes(): void {
    this.routes.clear();
  }

  /** Codec lookup for tests and tools. */
  static codec(encoding: Encoding): Codec {
    return codecFor(encoding);
  }
}
