/**
 * One terminal connection as the front thread sees it: its codec, where it is in the AUTH → sync →
 * ready lifecycle, who it is once authenticated, and its count of invalid frames (abuse threshold).
 */
import type { Codec } from '../protocol/codec.js';
import type { Encoding } from '../protocol/constants.js';
import type { TimerHandle } from '../ports/clock.js';
import type { TerminalRole } from '../ports/auth.js';

/** Close with PROTOCOL_ABUSE (4002) after this many invalid frames within ABUSE_WINDOW_MS. */
export const ABUSE_LIMIT = 20;
export const ABUSE_WINDOW_MS = 10_000;

export type SessionPhase = 'awaiting_auth' | 'authenticating' | 'syncing' | 'ready' | 'closed';

export interface Session {
  readonly id: number;
  readonly codec: Codec;
  readonly encoding: Encoding;
  phase: SessionPhase;
  terminalId: string | null;
  role: TerminalRole | null;
  userName: string;
  /** The AUTH token (an Odoo session id), kept in memory only, for the periodic re-check. */
  token: string;
  /** ownerOf(identity): the device id is bound to it. */
  owner: string | null;
  /** The authenticated Odoo user id; null for dev identities (no Odoo user behind them). */
  odooUserId: number | null;
  connectedAt: number;
  lastSeen: number;
  authTimer: TimerHandle | null;
  /** Source address (from the upgrade), for the per-address limits of src/front/limits. */
  readonly address: string;
  /** Counted among its address's unauthenticated sockets until it signs in or closes. */
  countedUnauthenticated: boolean;
  /** Invalid frames since `abuseWindowStart` (two fields, not an object: one object fewer per socket). */
  abuseCount: number;
  abuseWindowStart: number;
}

/** Count one invalid frame; true when the connection has crossed the abuse threshold. */
export function countAbuse(session: Session, now: number): boolean {
  if (now - session.abuseWindowStart > ABUSE_WINDOW_MS) {
    session.abuseCount = 0;
    session.abuseWindowStart = now;
  }
  session.abuseCount += 1;
  return session.abuseCount >= ABUSE_LIMIT;
}
