/**
 * WS /dashboard: after an admin-token first frame (browsers cannot set headers on a WebSocket) it pushes
 * {"type":"state"} on connect and whenever something changed, at most every PUSH_INTERVAL_MS.
 */
import type { UpgradeInfo, WsConnection, WsRoute } from '../../adapters/uws/server.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import { CLOSE_CODES } from '../../protocol/close-codes.js';
import type { AdminGate } from '../admin-auth.js';
import { headerFault, type RequestGuard } from '../request-guard.js';
import type { HubState } from './hub-state.js';

const PUSH_INTERVAL_MS = 250;
/** The dashboard's first frame must arrive this soon, or the socket is closed. */
const DASHBOARD_AUTH_MS = 10_000;

export interface DashboardSocket {
  authed: boolean;
  readonly address: string;
}

export interface DashboardPushDeps {
  readonly clock: Clock;
  readonly guard: RequestGuard;
  readonly adminGate: AdminGate;
  readonly hubState: HubState;
}

export class DashboardPush {
  private readonly dashboards = new Set<WsConnection<DashboardSocket>>();
  private pushTimer: TimerHandle | null = null;
  private lastPush = 0;

  constructor(private readonly deps: DashboardPushDeps) {}

  route(): WsRoute<DashboardSocket> {
    const { clock, guard, adminGate } = this.deps;
    const timers = new Map<WsConnection<DashboardSocket>, TimerHandle>();
    return {
      upgrade: (info: UpgradeInfo) => {
        const fault = headerFault(info.host, info.origin);
        if (fault !== null) return { refuse: fault };
        return guard.hostAllowed(info.host) && guard.originAllowed(info.origin, info.host) ? { state: { authed: false, address: info.remoteAddress } } : null;
      },
      open: (conn) => {
        timers.set(
          conn,
          clock.setTimeout(() => {
            timers.delete(conn);
            if (!conn.state.authed) conn.end(CLOSE_CODES.AUTH_TIMEOUT.code, 'send {"type":"auth","token":…} first');
          }, DASHBOARD_AUTH_MS),
        );
      },
      message: (conn, data) => {
        if (conn.state.authed) return;
        const verdict = adminGate.check(tokenOf(data), conn.state.address);
        if (verdict !== 'ok') {
          conn.end(
            CLOSE_CODES.AUTH_FAILED.code,
            verdict === 'limited' ? 'too many wrong admin tokens' : 'admin token refused',
          );
          return;
        }
        conn.state.authed = true;
        this.dashboards.add(conn);
        this.pushTo([conn]);
      },
      close: (conn) => {
        const timer = timers.get(conn);
        if (timer !== undefined) clock.clearTimeout(timer);
        timers.delete(conn);
        this.dashboards.delete(conn);
      },
    };
  }

  /** Something changed: push to dashboards, at most every PUSH_INTERVAL_MS. */
  changed(): void {
    if (this.dashboards.size === 0 || this.pushTimer !== null) return;
    const wait = Math.max(0, this.lastPush + PUSH_INTERVAL_MS - this.deps.clock.now());
    this.pushTimer = this.deps.clock.setTimeout(() => {
      this.pushTimer = null;
      this.lastPush = this.deps.clock.now();
      this.pushTo([...this.dashboards]);
    }, wait);
  }

  closeAll(code: number): void {
    for (const conn of this.dashboards) conn.end(code, 'closing');
    this.dashboards.clear();
    if (this.pushTimer !== null) this.deps.clock.clearTimeout(this.pushTimer);
    this.pushTimer = null;
  }

  private pushTo(conns: WsConnection<DashboardSocket>[]): void {
    this.deps.hubState.state().then(
      (state) => {
        const frame = JSON.stringify({ type: 'state', state });
        for (const conn of conns) if (!conn.closed) conn.send(frame, false);
      },
      () => undefined,
    );
  }
}

function tokenOf(data: ArrayBuffer): string {
  try {
    const frame = JSON.parse(Buffer.from(data).toString('utf8')) as { type?: unknown; token?: unknown } | null;
    return frame?.type === 'auth' && typeof frame.token === 'string' ? frame.token : '';
  } catch {
    return '';
  }
}
