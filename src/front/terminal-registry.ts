/**
 * The open terminal sockets the front thread knows: every socket until it closes, and the signed-in ones by
 * terminal id (= device id), one per device. Sign-in, fan-out, revalidation and the admin views read it;
 * only the front's connection lifecycle and sign-in add to it or take from it.
 */
import type { WsConnection } from '../adapters/uws/server.js';
import type { TerminalView } from '../ports/state-view.js';
import { codecFor } from '../protocol/codec.js';
import type { Encoding } from '../protocol/constants.js';
import type { Session } from './session.js';

export type TerminalConn = WsConnection<Session>;

/** What the admin routes may read of the terminals: counts and views, never the sockets. */
export interface TerminalsView {
  readonly readyCount: number;
  views(): TerminalView[];
}

export class TerminalRegistry implements TerminalsView {
  private nextSessionId = 1;
  /** Every open socket, signed in or not (closed together on reset and shutdown). */
  readonly conns = new Set<TerminalConn>();
  /** Signed-in sockets by terminalId (= deviceId). */
  readonly byTerminal = new Map<string, TerminalConn>();

  newSession(encoding: Encoding, address: string, now: number): Session {
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
      abuseCount: 0,
      abuseWindowStart: now,
    };
  }

  /** Terminals past AUTH_OK (syncing or ready): what /health and HUB_STATUS count. */
  get readyCount(): number {
    let n = 0;
    for (const conn of this.byTerminal.values()) if (signedIn(conn)) n++;
    return n;
  }

  views(): TerminalView[] {
    const views: TerminalView[] = [];
    for (const [terminalId, conn] of this.byTerminal) {
      const s = conn.state;
      views.push({
        terminalId,
        deviceId: terminalId,
        role: s.role ?? '',
        userName: s.userName,
        encoding: s.encoding,
        connectedAt: s.connectedAt,
        lastSeen: s.lastSeen,
      });
    }
    return views;
  }
}

/** The uWS topic every ready socket of one encoding is subscribed to: a broadcast is published once per encoding. */
export function broadcastTopic(encoding: Encoding): string {
  return `all/${encoding}`;
}

/**
 * The socket has its snapshot: from now on it gets broadcasts (its encoding's topic). It leaves the topic
 * only by closing (every way out of `ready` ends the socket, and uWS drops a closed socket's topics).
 */
export function markReady(conn: TerminalConn): void {
  conn.state.phase = 'ready';
  conn.subscribe(broadcastTopic(conn.state.encoding));
}

/** Past AUTH_OK and not closed. */
export function signedIn(conn: TerminalConn): boolean {
  return conn.state.phase === 'ready' || conn.state.phase === 'syncing';
}
