/**
 * The simulator's session store, faithful to Odoo 12 + werkzeug's FilesystemSessionStore
 * (renew_missing=True): an unknown or malformed sid silently becomes a new anonymous session with a
 * new sid; authenticate rotates the sid; a password change or GC kills a sid (test hooks below).
 */
import { randomBytes } from 'node:crypto';

export interface SimSession {
  sid: string;
  db: string | null;
  uid: number | null;
  login: string | null;
  context: Record<string, unknown>;
}

const SID = /^[0-9a-f]{40}$/;

export function newSid(): string {
  return randomBytes(20).toString('hex');
}

export class SessionStore {
  private readonly sessions = new Map<string, SimSession>();

  /** The session for a sid, or a fresh anonymous one (not stored until it is modified). */
  open(sid: string | null): SimSession {
    if (sid !== null && SID.test(sid)) {
      const found = this.sessions.get(sid);
      if (found) return found;
    }
    return { sid: newSid(), db: null, uid: null, login: null, context: {} };
  }

  save(session: SimSession): void {
    this.sessions.set(session.sid, session);
  }

  /** Odoo's `rotate`: drop the old file, give the session a new sid, save it under the new one. */
  rotate(session: SimSession): SimSession {
    this.sessions.delete(session.sid);
    const next = { ...session, sid: newSid() };
    this.sessions.set(next.sid, next);
    return next;
  }

  /** Pre-issue a live session (seeded users, tests). */
  issue(sid: string, db: string, uid: number, login: string): void {
    this.sessions.set(sid, { sid, db, uid, login, context: { lang: 'en_US', tz: 'America/Santo_Domingo', uid } });
  }

  /** Logout (destroy): the sid survives but has no uid, so it is dead for auth='user'. */
  logout(session: SimSession): void {
    session.uid = null;
    session.login = null;
    this.sessions.set(session.sid, session);
  }

  /** GC'd session file: the sid becomes unknown. Returns whether it existed. */
  expire(sid: string): boolean {
    return this.sessions.delete(sid);
  }

  /** Password change / deactivation: every session of the user fails check_security. */
  revokeUser(uid: number): number {
    let n = 0;
    for (const [sid, s] of this.sessions) {
      if (s.uid === uid) {
        this.sessions.delete(sid);
        n += 1;
      }
    }
    return n;
  }

  /** Live sids of a user (tests read the hub's current session from here). */
  sidsOf(uid: number): string[] {
    return [...this.sessions.values()].filter((s) => s.uid === uid).map((s) => s.sid);
  }

  isLive(sid: string): boolean {
    return this.sessions.get(sid)?.uid != null;
  }
}
