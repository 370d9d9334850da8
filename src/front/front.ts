/**
 * The front thread's terminal socket handler, a facade over its rooms: the connection lifecycle and inbound
 * frames (decode, validate, limits) live here; sign-in (sign-in.ts), re-checks (revalidation.ts), routing
 * (route-book.ts) and fan-out (fan-out.ts) are their own. It never runs actors and never touches SQLite.
 * ~450 lines once formatted: the socket lifecycle and the inbound gate share one session state, so they stay together.
 */
import type { Logger } from '../adapters/log/logger.js';
import type { Config } from '../config.js';
import type { TokenValidator } from '../ports/auth.js';
import type { Clock } from '../ports/clock.js';
import { stageTimer, type HubMetrics, type StageMark, type StageTimer } from '../ports/metrics.js';
import type { ClusterView, HubIdentityView } from '../ports/cluster.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import type { Encoding } from '../protocol/constants.js';
import type { ErrorCode } from '../protocol/errors.js';
import type { HubMessage } from '../protocol/hub-messages.js';
import { refOf } from '../protocol/parse.js';
import type { TerminalMessage } from '../protocol/terminal-messages.js';
import type { Caller } from '../threads/rpc.js';
import { DeviceClaims } from './device-claims.js';
import { notLeaderError, writes } from './follower-gate.js';
import { FanOut } from './fan-out.js';
import { inboundLimits, type InboundLimits } from './inbound-limits.js';
import { AddressLimits } from './limits/address-limits.js';
import { TerminalLimits, type Verdict } from './limits/terminal-limits.js';
import { Revalidation } from './revalidation.js';
import { readFrame } from './read-frame.js';
import { RouteBook } from './route-book.js';
import { countAbuse, type Session } from './session.js';
import { SignIn } from './sign-in.js';
import { TerminalRegistry, signedIn, type TerminalConn, type TerminalsView } from './terminal-registry.js';
import { WorkRouting } from './work-routing.js';
import type { Relay } from '../threads/actor-io.js';
import type { FrontNotice, FrontToShard, FrontToWriter, WriterStats } from '../threads/contract.js';
import type { ActorKey } from '../threads/keys.js';


export interface FrontDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  readonly tokenValidator: TokenValidator;
  readonly shards: readonly Caller<FrontToShard>[];
  readonly writer: Caller<FrontToWriter>;
  /** Called whenever something the dashboard shows may have changed. */
  readonly onChange: () => void;
  /** Per-stage latency (decode, to_front, fan_out); defaults to one recording into `metrics`. Tests inject a clock. */
  readonly stages?: StageTimer;
  /** `hub: {id, role, epoch}` in AUTH_OK and HUB_STATUS (issue 18). */
  readonly hub?: () => HubIdentityView;
  /** The role this hub holds (src/hub/leadership.ts): a follower answers writes NOT_LEADER (follower-gate.ts). */
  readonly cluster?: () => ClusterView;
  /** The writer's commit was fenced by a newer takeover: the hub follows at once. */
  readonly onFenced?: (fenced: { readonly epoch: number; readonly current: number }) => void;
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

/** Frame types a terminal may still send while the hub shuts down: they start no work. */
const ALLOWED_WHILE_STOPPING: ReadonlySet<TerminalMessage['type']> = new Set(['HEARTBEAT']);

export class Front {
  private readonly registry = new TerminalRegistry();
  private readonly routes = new RouteBook();
  private readonly fanOut: FanOut;
  private readonly signIn: SignIn;
  private readonly revalidation: Revalidation;
  private readonly work: WorkRouting;
  private readonly claims: DeviceClaims;
  private stats: WriterStats = EMPTY_STATS;
  private accepting = true;
  private readonly limits: InboundLimits;
  /** Rate limits and caps (src/front/limits): per terminal once signed in, per address before. */
  private readonly terminalLimits: TerminalLimits;
  private readonly addressLimits: AddressLimits;
  private readonly stages: StageTimer;

  constructor(private readonly deps: FrontDeps) {
    const { config, clock, log, metrics, tokenValidator, writer } = deps;
    this.stages = deps.stages ?? stageTimer(metrics);
    this.limits = inboundLimits(config);
    this.terminalLimits = new TerminalLimits(config);
    this.addressLimits = new AddressLimits(config);
    const registry = this.registry;
    this.fanOut = new FanOut({
      registry,
      clock,
      log,
      metrics,
      maxBackpressure: config.HUB_MAX_BACKPRESSURE,
      observe: (id, msg) => this.terminalLimits.observe(id, msg),
    });
    const claims = new DeviceClaims({
      registry,
      writer,
      clock,
      log,
      idleReleaseMs: config.HUB_DEVICE_IDLE_RELEASE_HOURS * 3_600_000,
      readOnly: () => this.following(),
    });
    const accepting = (): boolean => this.accepting;
    this.signIn = new SignIn({
      registry,
      fanOut: this.fanOut,
      claims,
      tokenValidator,
      shards: deps.shards,
      writer,
      clock,
      log,
      metrics,
      accepting,
      seq: () => this.stats.seq,
      settled: (session) => this.settleAddress(session),
      onChange: deps.onChange,
      ...(deps.hub ? { hub: deps.hub } : {}),
    });
    this.revalidation = new Revalidation({
      registry,
      fanOut: this.fanOut,
      claims,
      tokenValidator,
      clock,
      log,
      intervalMs: config.HUB_AUTH_RECHECK_MS,
      accepting,
    });
    this.claims = claims;
    this.work = new WorkRouting({
      routes: this.routes,
      shards: deps.shards,
      writer,
      log,
      floorPlanMaxBytes: this.limits.floorPlanMaxBytes,
      stages: this.stages,
    });
  }

  // ---- read-only views for the HTTP routes and the hub --------------------------------------

  /** The writer's last counters (seq, orders, grants, Odoo forwarding, storage health). */
  get writerStats(): WriterStats {
    return this.stats;
  }

  get terminals(): TerminalsView {
    return this.registry;
  }

  /** Open sockets by terminal id, for tests that place sockets by hand. */
  get byTerminal(): Map<string, TerminalConn> {
    return this.registry.byTerminal;
  }

  get readyCount(): number {
    return this.registry.readyCount;
  }

  // ---- the hub's controls -------------------------------------------------------------------

  loadRoutes(entries: ReadonlyArray<readonly [string, ActorKey]>): void {
    this.routes.load(entries);
  }

  clearRoutes(): void {
    this.routes.clear();
  }

  /** Reset and shutdown: no new sockets or sign-ins, and signed-in frames that would start work get SHUTTING_DOWN. */
  stopAccepting(): void {
    this.accepting = false;
  }

  startAccepting(): void {
    this.accepting = true;
  }

  startRevalidation(): void {
    this.revalidation.start();
  }

  stopRevalidation(): void {
    this.revalidation.stop();
  }

  revalidateAll(): Promise<void> {
    return this.revalidation.revalidateAll();
  }

  /** HUB_STATUS to every ready terminal. */
  broadcastStatus(): void {
    this.fanOut.broadcast({
      type: 'HUB_STATUS',
      connectedTerminals: this.registry.readyCount,
      odooReachable: this.stats.odooReachable,
      pendingForward: this.stats.pendingForward,
      serverTime: this.deps.clock.now(),
      seq: this.stats.seq,
      ...(this.deps.hub ? { hub: this.deps.hub() } : {}),
    });
  }

  /** Close every terminal socket with one code (reset: 4005, shutdown: 1001). */
  closeAll(code: number, reason: string): void {
    for (const conn of [...this.registry.conns]) {
      this.onClose(conn);
      conn.end(code, reason);
    }
  }

  /** Close a device's socket (its binding was released by the admin): it signs in again as anyone. */
  closeDevice(deviceId: string, reason: string): void {
    const conn = this.registry.byTerminal.get(deviceId);
    if (conn === undefined) return;
    this.onClose(conn);
    conn.end(CLOSE_CODES.AUTH_FAILED.code, reason);
  }

  /** False when the message could not be encoded (it was logged and left out). */
  sendTo(conn: TerminalConn, msg: HubMessage): boolean {
    return this.fanOut.sendTo(conn, msg);
  }

  // ---- connection lifecycle ----------------------------------------------------------------

  newSession(encoding: Encoding, address = ''): Session {
    return this.registry.newSession(encoding, address, this.deps.clock.now());
  }

  onOpen(conn: TerminalConn): void {
    if (!this.accepting) {
      conn.end(CLOSE_CODES.GOING_AWAY.code, 'hub is shutting down');
      return;
    }
    if (!this.addressLimits.open(conn.state.address)) {
      const limit = this.deps.config.HUB_MAX_UNAUTH_PER_ADDRESS;
      this.deps.metrics.frameError('TOO_MANY_CONNECTIONS');
      this.sendTo(conn, {
        type: 'ERROR',
        code: 'TOO_MANY_CONNECTIONS',
        message: `this address already has ${limit} sockets that have not signed in`,
      });
      conn.state.phase = 'closed';
      conn.end(CLOSE_CODES.RATE_LIMITED.code, 'too many unauthenticated sockets from this address');
      return;
    }
    conn.state.countedUnauthenticated = true;
    this.registry.conns.add(conn);
    conn.state.authTimer = this.deps.clock.setTimeout(() => {
      // Only a terminal that has not sent AUTH: one whose token is being checked sent it in time, and the
      // check is bounded by ODOO_TIMEOUT_MS (the bench's reconnect storm closed such terminals under load).
      if (conn.state.phase === 'awaiting_auth') {
        this.sendTo(conn, {
          type: 'ERROR',
          code: 'AUTH_TIMEOUT',
          message: `no AUTH within ${this.deps.config.HUB_AUTH_TIMEOUT_MS} ms`,
        });
        conn.end(CLOSE_CODES.AUTH_TIMEOUT.code, 'auth timeout');
      }
    }, this.deps.config.HUB_AUTH_TIMEOUT_MS);
  }

  onClose(conn: TerminalConn): void {
    const session = conn.state;
    const wasAuthenticated = signedIn(conn);
    session.phase = 'closed';
    if (session.authTimer !== null) this.deps.clock.clearTimeout(session.authTimer);
    this.settleAddress(session);
    this.registry.conns.delete(conn);
    const terminalId = session.terminalId;
    if (terminalId !== null && this.registry.byTerminal.get(terminalId) === conn) {
      this.registry.byTerminal.delete(terminalId);
      // While shutting down the writer has stopped; the last re-check recorded the device as in use.
      if (session.owner !== null && this.accepting) this.claims.seen([{ deviceId: terminalId, owner: session.owner }]);
      if (wasAuthenticated) for (const shard of this.deps.shards) shard.emit('disconnected', { terminalId });
      this.deps.metrics.connectedTerminals(this.registry.readyCount);
      this.deps.onChange();
    }
  }

  onDrain(conn: TerminalConn): void {
    void conn;
  }

  // ---- inbound frames ------------------------------------------------------------------------

  onMessage(conn: TerminalConn, data: ArrayBuffer, isBinary: boolean): void {
    const session = conn.state;
    if (session.phase === 'closed') return;
    // The `decode` stage starts as the frame arrives and ends when its work is handed to a thread.
    const arrived = this.stages.mark();
    const now = this.deps.clock.now();
    session.lastSeen = now;
    const read = readFrame(session, data, isBinary, this.limits);
    if (!read.ok) {
      this.refuse(conn, read.code, read.message, read.ref, now);
      return;
    }
    const msg = read.msg;
    this.deps.metrics.frameIn(msg.type, session.encoding);
    if (session.phase === 'awaiting_auth' || session.phase === 'authenticating') {
      this.onAuthFrame(conn, msg, now);
      return;
    }
    if (!this.accepting && !ALLOWED_WHILE_STOPPING.has(msg.type)) {
      // Shutdown has flushed what the shards held: new work would be lost, so the terminal keeps it and resends.
      this.deps.metrics.frameError('SHUTTING_DOWN');
      this.sendTo(conn, {
        type: 'ERROR',
        code: 'SHUTTING_DOWN',
        message: 'the hub is shutting down; resend after reconnecting',
        ...withRef(refOf(msg)),
      } as HubMessage);
      return;
    }
    this.dispatch(conn, msg, now, data.byteLength, arrived);
  }

  private onAuthFrame(conn: TerminalConn, msg: TerminalMessage, now: number): void {
    const session = conn.state;
    if (msg.type !== 'AUTH') {
      this.refuse(conn, 'NOT_AUTHENTICATED', 'send AUTH first', refOf(msg), now);
      return;
    }
    if (session.phase === 'authenticating') {
      this.refuse(conn, 'ALREADY_AUTHENTICATED', 'AUTH already in progress', refOf(msg), now);
      return;
    }
    if (!this.accepting) {
      this.signIn.refuseShuttingDown(conn);
      return;
    }
    const wait = this.addressLimits.takeAuth(session.address, now);
    if (wait > 0) {
      this.deps.metrics.frameError('RATE_LIMITED');
      this.sendTo(conn, {
        type: 'ERROR',
        code: 'RATE_LIMITED',
        message: `too many AUTH attempts from this address; retry in ${wait} ms`,
        retryAfterMs: wait,
      });
      session.phase = 'closed';
      conn.end(CLOSE_CODES.RATE_LIMITED.code, 'too many AUTH attempts');
      return;
    }
    this.signIn.authenticate(conn, msg.token, msg.deviceId, msg.lastSeq);
  }

  private refuse(
    conn: TerminalConn,
    code: ErrorCode,
    message: string,
    ref: ReturnType<typeof refOf>,
    now: number,
  ): void {
    this.deps.metrics.frameError(code);
    this.sendTo(conn, { type: 'ERROR', code, message, ...withRef(ref) } as HubMessage);
    if (countAbuse(conn.state, now)) conn.end(CLOSE_CODES.PROTOCOL_ABUSE.code, 'too many invalid frames');
  }

  /** A frame over a rate limit or cap: ERROR with retryAfterMs; a terminal that keeps going is closed (4007). */
  private refuseLimited(
    conn: TerminalConn,
    terminalId: string,
    verdict: Exclude<Verdict, { ok: true }>,
    ref: ReturnType<typeof refOf>,
    now: number,
  ): void {
    this.deps.metrics.frameError(verdict.code);
    const error = {
      type: 'ERROR',
      code: verdict.code,
      message: verdict.message,
      ...withRef(ref),
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

  private dispatch(conn: TerminalConn, msg: TerminalMessage, now: number, frameBytes: number, arrived: StageMark): void {
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
      default: {
        if (writes(msg) && this.following()) {
          this.refuseNotLeader(conn, msg);
          return;
        }
        const refusal = this.work.route(msg, { terminalId, role, name: session.userName, odooUserId: session.odooUserId, owner: session.owner }, now, frameBytes, arrived);
        if (refusal !== null) this.refuse(conn, refusal.code, refusal.message, refOf(msg), now);
      }
    }
  }

  /** A follower takes no writes; the SDK moves to the leader named and resends (not counted as an invalid frame). */
  private following(): boolean {
    return this.deps.cluster?.().role === 'follower';
  }

  private refuseNotLeader(conn: TerminalConn, msg: TerminalMessage): void {
    this.deps.metrics.frameError('NOT_LEADER');
    this.sendTo(conn, notLeaderError(this.deps.cluster?.().leader ?? null, refOf(msg)));
  }

  /** Transfer steps from one shard's actor to another's: shards never talk directly, the front routes by key. */
  relay(relays: readonly Relay[]): void {
    this.work.relay(relays);
  }

  // ---- from the writer ---------------------------------------------------------------------

  onWriterMessage(message: FrontNotice): void {
    switch (message.type) {
      case 'deliver': {
        this.stats = message.input.stats;
        const { deliveries } = message.input;
        // to_front: from the writer's stamp (absent from a writer that does not stamp) to here; fan_out: the
        // whole commit's messages encoded and handed to the sockets. One sample per committed write for each.
        const { metrics } = this.deps;
        const arrived = this.stages.mark();
        for (const d of deliveries)
          if (d.sentAt !== undefined) metrics.writeStage('to_front', Math.max(0, arrived - d.sentAt) / 1000);
        this.fanOut.deliver(deliveries);
        const fanOutSeconds = Math.max(0, this.stages.mark() - arrived) / 1000;
        for (let i = 0; i < deliveries.length; i++) metrics.writeStage('fan_out', fanOutSeconds);
        this.deps.onChange();
        return;
      }
      case 'stats':
        this.stats = message.input;
        this.deps.onChange();
        return;
      case 'forget':
        // Closed orders pruned from SQLite: their routes would otherwise outlive them forever.
        this.routes.forget(message.input.posReferences);
        return;
      case 'fatal':
        this.deps.log.fatal({ error: message.input }, 'writer reported a fatal error');
        return;
      case 'fenced':
        this.deps.onFenced?.(message.input);
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`unknown writer message ${JSON.stringify(unreachable)}`);
      }
    }
  }
}

function withRef(ref: ReturnType<typeof refOf>): { ref?: NonNullable<ReturnType<typeof refOf>> } {
  return ref === undefined ? {} : { ref };
}
