/**
 * The connection room: one socket at a time to the hub — attempts over the candidate URLs with capped
 * backoff, AUTH (resuming from the last seq), the wait for SYNC_INIT/SYNC_RESUME, liveness probes, and
 * what a close means (reconnect, stop for a refused token or a replaced device). It knows nothing of
 * orders, leases or the outbox: the transport hears `ready`, frames and `dropped` through HubLinkEvents.
 */
import { CLOSE_CODES } from '../protocol/close-codes.js';
import { HubError, isErrorCode, type ErrorCode } from '../protocol/errors.js';
import type { HubMessage, HubMessageOf } from '../protocol/hub-messages.js';
import type { TerminalMessage } from '../protocol/terminal-messages.js';
import type { Encoding } from '../protocol/constants.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { ClientClock, WebSocketCtor } from './deps.js';
import { HubSocket } from './hub-socket.js';
import type { ConnectionState } from './types.js';

/** Close codes this client uses for its own reasons (3000–3999: registered-application range). */
export const CLIENT_CLOSE = { CONNECT_TIMEOUT: 3001, LIVENESS: 3002, RESYNC: 3003, SYNC_TIMEOUT: 3004, NOT_LEADER: 3005, STALE_EPOCH: 3006 } as const;

/**
 * What the transport makes of AUTH_OK: go on; leave a hub whose epoch is below the highest seen (tried
 * again only after the others); or reconnect at once without lastSeq (the hub keeps another seq log).
 */
export type AuthVerdict = 'accept' | 'stale' | 'resync';

export interface HubConnectionSettings {
  readonly urls: () => Promise<readonly string[]>;
  readonly token: string;
  readonly deviceId: string;
  readonly encoding: Encoding;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly livenessMs: number;
  readonly reconnectBackoff: BackoffPolicy;
  readonly hubOfflineAfter: number;
  readonly WebSocket: WebSocketCtor;
  readonly clock: ClientClock;
  readonly random: () => number;
  readonly isNetworkUp: () => boolean;
}

/** What the connection tells the transport. */
export interface HubLinkEvents {
  /** The seq AUTH resumes from (undefined asks for a full SYNC_INIT). */
  resumeFrom(): number | undefined;
  authenticated(message: HubMessageOf<'AUTH_OK'>, url: string): AuthVerdict;
  /** SYNC_INIT or SYNC_RESUME after AUTH_OK, just before `ready`. */
  synced(message: HubMessageOf<'SYNC_INIT'> | HubMessageOf<'SYNC_RESUME'>): void;
  ready(): void;
  /** Any other frame while syncing or ready, in arrival order. */
  frame(message: HubMessage, ready: boolean): void;
  /** The socket is gone (before any reconnect is scheduled). */
  dropped(code: number): void;
  state(next: ConnectionState, previous: ConnectionState): void;
  report(error: unknown): void;
}

type Phase = 'idle' | 'opening' | 'authenticating' | 'syncing' | 'ready';

export class HubConnection {
  private currentState: ConnectionState = 'offline';
  private running = false;
  private socket: HubSocket | null = null;
  private phase: Phase = 'idle';
  private failures = 0;
  private urlIndex = 0;
  private candidates: readonly string[] = [];
  private discovering = false;
  private immediateReconnect = false;
  private reconnectTimer: unknown = null;
  /** The hub's retryAfterMs for the next attempt (a rate-limited sign-in), else 0. */
  private retryNotBeforeMs = 0;
  private phaseTimer: unknown = null;
  private livenessTimer: unknown = null;
  private lastFrameAt = 0;
  private url: string | null = null;
  private connectWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  /** Lease and lock requests made while a socket is opening, authenticating or syncing (see settledAttempt). */
  private attemptWaiters: Array<() => void> = [];

  constructor(
    private readonly settings: HubConnectionSettings,
    private readonly events: HubLinkEvents,
  ) {}

  get state(): ConnectionState {
    return this.currentState;
  }
  get isRunning(): boolean {
    return this.running;
  }
  /** Authenticated and synced on the current socket. */
  get isReady(): boolean {
    return this.phase === 'ready' && this.socket !== null;
  }
  get encoding(): Encoding | null {
    return this.socket?.encoding ?? null;
  }
  /** The URL of the current socket (null between sockets). */
  get currentUrl(): string | null {
    return this.socket === null ? null : this.url;
  }

  /** False when no socket is open (the caller keeps its write queued or settles offline). */
  send(message: TerminalMessage): boolean {
    return this.socket?.send(message) ?? false;
  }

  /** Resolves once online, or once the first attempt has failed (work continues offline); rejects if AUTH is refused. */
  connect(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
    if (!this.running) {
      this.running = true;
      this.failures = 0;
      this.setState('reconnecting');
      void this.attempt();
    } else if (this.phase === 'ready') {
      this.settleConnect(null);
    }
    return done;
  }

  disconnect(): void {
    this.running = false;
    this.clearReconnect();
    const socket = this.socket;
    if (socket) socket.close(CLOSE_CODES.NORMAL.code, 'client disconnect');
    else this.setState('offline');
    this.settleConnect(null);
  }

  /** A seq gap: close and reconnect at once, resuming from the last seq in order. */
  resync(reason: string): void {
    if (this.socket === null) return;
    this.immediateReconnect = true;
    this.socket.close(CLIENT_CLOSE.RESYNC, reason);
  }

  /**
   * Leave this hub for another at once (NOT_LEADER: writes go to the leader; or a hub became stale):
   * the candidate list is re-read, so the leader the book now prefers is dialled first. Everything
   * unacked stays in the outbox and is resent there with the same mutationIds.
   */
  moveOn(code: number, reason: string): void {
    this.candidates = [];
    this.urlIndex = 0;
    if (this.socket === null) return;
    this.immediateReconnect = true;
    this.socket.close(code, reason);
  }

  /**
   * While a socket is opening, authenticating or syncing, wait for the attempt's outcome before deciding a
   * lease or lock: granting it "offline" in that window would let the app edit an order the hub is about
   * to refuse. Bounded by the connect and sync timeouts, after which the attempt ends either way.
   */
  async settledAttempt(): Promise<void> {
    while (this.discovering || this.phase === 'opening' || this.phase === 'authenticating' || this.phase === 'syncing') {
      await new Promise<void>((resolve) => this.attemptWaiters.push(resolve));
    }
  }

  // ── Attempts ─────────────────────────────────────────────────────────────────────────────────

  private async attempt(): Promise<void> {
    this.reconnectTimer = null;
    if (!this.running || this.socket) return;
    if (this.candidates.length === 0 || this.urlIndex >= this.candidates.length) {
      this.urlIndex = 0;
      this.discovering = true;
      try {
        this.candidates = await this.settings.urls();
      } catch (error) {
        this.events.report(error);
        this.candidates = [];
      } finally {
        this.discovering = false;
        this.wakeAttemptWaiters();
      }
      if (!this.running || this.socket) return;
      if (this.candidates.length === 0) {
        this.failed(new HubError('CONFIG_INVALID', 'no hub URL: nu_hub_url is blank, mDNS found nothing and no fallback is set', { retryable: true }));
        return;
      }
    }
    const url = this.candidates[this.urlIndex] ?? this.candidates[0]!;
    this.url = url;
    this.phase = 'opening';
    let socket: HubSocket;
    try {
      socket = new HubSocket(this.settings.WebSocket, url, this.settings.encoding, {
        onOpen: () => this.onOpen(socket),
        onMessage: (message) => this.onFrame(socket, message),
        onInvalid: (error) => this.events.report(new HubError(error.code, `from hub: ${error.message}`)),
        onClose: (code, reason) => this.onClosed(socket, code, reason),
      });
    } catch (error) {
      this.phase = 'idle';
      this.failed(error);
      return;
    }
    this.socket = socket;
    this.setPhaseTimer(this.settings.connectTimeoutMs, CLIENT_CLOSE.CONNECT_TIMEOUT, 'connect timeout');
  }

  private onOpen(socket: HubSocket): void {
    if (socket !== this.socket) return;
    this.phase = 'authenticating';
    this.lastFrameAt = this.settings.clock.now();
    const lastSeq = this.events.resumeFrom();
    socket.send({ type: 'AUTH', token: this.settings.token, deviceId: this.settings.deviceId, ...(lastSeq === undefined ? {} : { lastSeq }) });
    this.setPhaseTimer(this.settings.requestTimeoutMs, CLIENT_CLOSE.SYNC_TIMEOUT, 'no AUTH_OK / SYNC_INIT in time');
  }

  private onFrame(socket: HubSocket, message: HubMessage): void {
    if (socket !== this.socket) return;
    this.lastFrameAt = this.settings.clock.now();
    switch (this.phase) {
      case 'authenticating':
        this.onAuthReply(socket, message);
        return;
      case 'syncing':
        if (message.type === 'SYNC_INIT' || message.type === 'SYNC_RESUME') {
          this.events.synced(message);
          this.becomeReady();
        } else {
          this.events.frame(message, false);
        }
        return;
      case 'ready':
        this.events.frame(message, true);
        return;
      case 'idle':
      case 'opening':
        return;
      default: {
        const unreachable: never = this.phase;
        throw new Error(`unknown phase ${String(unreachable)}`);
      }
    }
  }

  private onAuthReply(socket: HubSocket, message: HubMessage): void {
    if (message.type === 'AUTH_OK') {
      const verdict = this.events.authenticated(message, this.url ?? '');
      if (verdict === 'stale') {
        // Nothing is synced from a hub behind the highest epoch seen: the next candidate is tried.
        socket.close(CLIENT_CLOSE.STALE_EPOCH, 'hub epoch below the highest seen');
        return;
      }
      if (verdict === 'resync') {
        this.immediateReconnect = true;
        socket.close(CLIENT_CLOSE.RESYNC, 'another seq log: full sync');
        return;
      }
      this.phase = 'syncing';
      this.setPhaseTimer(this.settings.requestTimeoutMs, CLIENT_CLOSE.SYNC_TIMEOUT, 'no SYNC_INIT / SYNC_RESUME in time');
      return;
    }
    if (message.type === 'ERROR' && message.code === 'NOT_LEADER') {
      // A follower that does not take sign-ins either: the transport moves on to the leader it names.
      this.events.frame(message, false);
      return;
    }
    if (message.type === 'AUTH_FAIL' || message.type === 'ERROR') {
      const code: ErrorCode = message.code !== undefined && isErrorCode(message.code) ? message.code : 'AUTH_FAILED';
      const text = message.type === 'AUTH_FAIL' ? message.reason : message.message;
      // RATE_LIMITED is the hub's AUTH bucket for this address (terminals bouncing between hubs in a
      // failover share it): it passes after retryAfterMs, so it must not stop the terminal for good.
      const retryable = code === 'AUTH_UNAVAILABLE' || code === 'AUTH_TIMEOUT' || code === 'SHUTTING_DOWN' || code === 'RATE_LIMITED';
      const error = new HubError(code, `hub refused AUTH: ${text}`, { retryable });
      this.events.report(error);
      if (!retryable) {
        // A bad token does not get better by retrying: stop and let the app sign in again.
        this.running = false;
        socket.close(CLOSE_CODES.NORMAL.code, 'auth refused');
        this.settleConnect(error);
      } else {
        this.immediateReconnect = false;
        if (message.type === 'ERROR' && message.retryAfterMs !== undefined) this.retryNotBeforeMs = message.retryAfterMs;
        socket.close(CLOSE_CODES.NORMAL.code, 'auth unavailable');
      }
    }
  }

  private becomeReady(): void {
    this.clearPhaseTimer();
    this.phase = 'ready';
    this.failures = 0;
    this.setState('online');
    this.startLiveness();
    this.events.ready();
    this.settleConnect(null);
    this.wakeAttemptWaiters();
  }

  private onClosed(socket: HubSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    const wasReady = this.phase === 'ready';
    this.socket = null;
    this.phase = 'idle';
    this.wakeAttemptWaiters();
    this.clearPhaseTimer();
    this.stopLiveness();
    this.events.dropped(code);
    if (this.running && (code === CLOSE_CODES.AUTH_FAILED.code || code === CLOSE_CODES.REPLACED.code)) {
      // A refused token does not improve by retrying; a newer socket of this deviceId must not be
      // kicked back out (two tabs of one device would take turns forever). Stop; the app decides.
      this.running = false;
      const error = new HubError(code === CLOSE_CODES.REPLACED.code ? 'DEVICE_REPLACED' : 'AUTH_FAILED', `hub closed the connection: ${code} ${reason}`.trim());
      this.events.report(error);
      this.settleConnect(error);
    }
    if (!this.running) {
      this.setState('offline');
      return;
    }
    if (wasReady || this.immediateReconnect) {
      this.failures = 0;
    } else {
      this.failures += 1;
      this.urlIndex += 1;
    }
    this.scheduleReconnect();
  }

  private failed(error: unknown): void {
    this.socket = null;
    this.phase = 'idle';
    this.wakeAttemptWaiters();
    this.failures += 1;
    this.urlIndex += 1;
    if (error !== undefined) this.events.report(error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    const immediate = this.immediateReconnect;
    this.immediateReconnect = false;
    const next: ConnectionState = !this.settings.isNetworkUp() ? 'offline' : this.failures >= this.settings.hubOfflineAfter ? 'hubOffline' : 'reconnecting';
    this.setState(next);
    if (this.failures > 0) this.settleConnect(null);
    // Never sooner than a RATE_LIMITED sign-in's retryAfterMs.
    const delay = Math.max(immediate ? 0 : backoffDelay(this.settings.reconnectBackoff, Math.max(0, this.failures - 1), this.settings.random), this.retryNotBeforeMs);
    this.retryNotBeforeMs = 0;
    this.clearReconnect();
    this.reconnectTimer = this.settings.clock.setTimeout(() => void this.attempt(), delay);
  }

  // ── Timers ───────────────────────────────────────────────────────────────────────────────────

  private setPhaseTimer(ms: number, code: number, reason: string): void {
    this.clearPhaseTimer();
    const socket = this.socket;
    this.phaseTimer = this.settings.clock.setTimeout(() => {
      this.phaseTimer = null;
      if (socket === this.socket && this.phase !== 'ready') socket?.close(code, reason);
    }, ms);
  }

  /** Idle for livenessMs: probe with HEARTBEAT; nothing back within requestTimeoutMs more: the hub is gone. */
  private startLiveness(): void {
    this.stopLiveness();
    const socket = this.socket;
    const { livenessMs, requestTimeoutMs, clock } = this.settings;
    const period = Math.min(livenessMs, requestTimeoutMs) / 2;
    const check = (): void => {
      if (socket !== this.socket || socket === null) return;
      const idle = clock.now() - this.lastFrameAt;
      if (idle >= livenessMs + requestTimeoutMs) {
        socket.close(CLIENT_CLOSE.LIVENESS, 'hub silent');
        return;
      }
      if (idle >= livenessMs) socket.send({ type: 'HEARTBEAT' });
      this.livenessTimer = clock.setTimeout(check, period);
    };
    this.livenessTimer = clock.setTimeout(check, period);
  }

  private stopLiveness(): void {
    if (this.livenessTimer !== null) this.settings.clock.clearTimeout(this.livenessTimer);
    this.livenessTimer = null;
  }

  private clearPhaseTimer(): void {
    if (this.phaseTimer !== null) this.settings.clock.clearTimeout(this.phaseTimer);
    this.phaseTimer = null;
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) this.settings.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private setState(next: ConnectionState): void {
    const previous = this.currentState;
    if (previous === next) return;
    this.currentState = next;
    this.events.state(next, previous);
  }

  private settleConnect(error: unknown): void {
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const w of waiters) {
      if (error === null) w.resolve();
      else w.reject(error);
    }
  }

  private wakeAttemptWaiters(): void {
    const waiters = this.attemptWaiters;
    this.attemptWaiters = [];
    for (const wake of waiters) wake();
  }
}
