/**
 * Per-terminal rate limits and caps, checked on the front thread before a frame reaches a shard: one
 * token bucket per message class, a cap on the leases and table locks a terminal holds or is acquiring,
 * and a cap on the distinct orders and tables it addresses per window — so one tablet cannot make the
 * hub build thousands of actors. State is keyed by terminalId (a reconnect does not refill anything)
 * and forgotten once it is back at rest. Pure: `now` is an argument.
 */
import type { Config } from '../../config.js';
import type { ErrorCode } from '../../protocol/errors.js';
import type { HubMessage } from '../../protocol/hub-messages.js';
import type { TerminalMessage } from '../../protocol/terminal-messages.js';
import { MESSAGE_CLASS, type MessageClass } from './message-class.js';
import { TokenBucket } from '../../ports/token-bucket.js';

export type LimitsConfig = Pick<
  Config,
  | 'HUB_RATE_WRITES'
  | 'HUB_RATE_GRANTS'
  | 'HUB_RATE_HEARTBEATS'
  | 'HUB_RATE_REQUESTS'
  | 'HUB_RATE_ABUSE_LIMIT'
  | 'HUB_MAX_LEASES_PER_TERMINAL'
  | 'HUB_MAX_LOCKS_PER_TERMINAL'
  | 'HUB_MAX_KEYS_PER_TERMINAL'
  | 'HUB_KEYS_WINDOW_MS'
  | 'HUB_LEASE_TTL_MS'
  | 'HUB_TABLE_LOCK_TTL_MS'
>;

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly retryAfterMs?: number };

/** Refusals counted for the abuse close within this window. */
export const REFUSAL_WINDOW_MS = 10_000;
/** Terminals remembered at most; beyond it the ones at rest longest are forgotten first. */
const TERMINALS_REMEMBERED = 10_000;

const OK: Verdict = { ok: true };

class TerminalState {
  readonly buckets = new Map<MessageClass, TokenBucket>();
  /** posReference → when the front stops counting it (the lease TTL after the last acquire or heartbeat). */
  readonly leases = new Map<string, number>();
  readonly locks = new Map<number, number>();
  keys = new Set<string>();
  keysSince: number;
  refusals = 0;
  refusalsSince: number;

  constructor(now: number) {
    this.keysSince = now;
    this.refusalsSince = now;
  }
}

/** Live entries only: the actor has expired a grant nobody renewed within its TTL, so the cap must too. */
function live<K>(entries: Map<K, number>, now: number): Map<K, number> {
  for (const [key, until] of entries) if (until <= now) entries.delete(key);
  return entries;
}

/** The order and table keys a shard-bound message addresses. */
function keysOf(msg: TerminalMessage): string[] {
  switch (msg.type) {
    case 'LEASE_ACQUIRE':
      return msg.tableId ? [`o:${msg.posReference}`, `t:${msg.tableId}`] : [`o:${msg.posReference}`];
    case 'LEASE_RELEASE':
    case 'LEASE_HEARTBEAT':
    case 'ORDER_SNAPSHOT':
    case 'ORDER_FINALIZE':
      return [`o:${msg.posReference}`];
    case 'ORDER_TRANSFER':
      return msg.toTableId
        ? [`o:${msg.fromPosReference}`, `o:${msg.toPosReference}`, `t:${msg.toTableId}`]
        : [`o:${msg.fromPosReference}`, `o:${msg.toPosReference}`];
    case 'TABLE_UPDATE':
    case 'TABLE_LOCK_ACQUIRE':
    case 'TABLE_LOCK_RELEASE':
    case 'TABLE_LOCK_HEARTBEAT':
    case 'TABLE_LOCK_FORCE_ACQUIRE':
      return [`t:${msg.tableId}`];
    case 'AUTH':
    case 'HEARTBEAT':
    case 'TICKET_NUMBER_REQUEST':
    case 'FLOOR_PLAN_UPDATE':
      return [];
    default: {
      const unreachable: never = msg;
      throw new Error(`unclassified message ${JSON.stringify(unreachable)}`);
    }
  }
}

export class TerminalLimits {
  private readonly terminals = new Map<string, TerminalState>();

  constructor(private readonly config: LimitsConfig) {}

  get remembered(): number {
    return this.terminals.size;
  }

  /** Decide one frame of an authenticated terminal; an accepted frame has taken its token and its cap slot. */
  check(terminalId: string, msg: TerminalMessage, now: number): Verdict {
    const t = this.state(terminalId, now);
    const cls = MESSAGE_CLASS[msg.type];
    if (cls !== 'auth') {
      let bucket = t.buckets.get(cls);
      if (bucket === undefined) {
        bucket = new TokenBucket(this.rate(cls), now);
        t.buckets.set(cls, bucket);
      }
      const wait = bucket.take(now);
      if (wait > 0)
        return {
          ok: false,
          code: 'RATE_LIMITED',
          message: `too many ${cls} frames; retry in ${wait} ms`,
          retryAfterMs: wait,
        };
    }
    const keys = keysOf(msg);
    if (keys.length > 0) {
      if (now - t.keysSince >= this.config.HUB_KEYS_WINDOW_MS) {
        t.keys = new Set();
        t.keysSince = now;
      }
      const fresh = keys.filter((k) => !t.keys.has(k));
      if (t.keys.size + fresh.length > this.config.HUB_MAX_KEYS_PER_TERMINAL) {
        const retryAfterMs = Math.max(1, t.keysSince + this.config.HUB_KEYS_WINDOW_MS - now);
        return {
          ok: false,
          code: 'TOO_MANY_KEYS',
          message: `more than ${this.config.HUB_MAX_KEYS_PER_TERMINAL} distinct orders and tables within ${this.config.HUB_KEYS_WINDOW_MS} ms`,
          retryAfterMs,
        };
      }
      const capped = this.caps(t, msg, now);
      if (!capped.ok) return capped;
      for (const k of fresh) t.keys.add(k);
    }
    return OK;
  }

  /** Count one refused frame; true when the terminal has ignored its refusals long enough to be closed. */
  refused(terminalId: string, now: number): boolean {
    const t = this.state(terminalId, now);
    if (now - t.refusalsSince > REFUSAL_WINDOW_MS) {
      t.refusals = 0;
      t.refusalsSince = now;
    }
    t.refusals += 1;
    return t.refusals >= this.config.HUB_RATE_ABUSE_LIMIT;
  }

  /** A message the hub sent this terminal: a refused or revoked grant no longer counts against its cap. */
  observe(terminalId: string, msg: HubMessage): void {
    const t = this.terminals.get(terminalId);
    if (t === undefined) return;
    switch (msg.type) {
      case 'LEASE_DENIED':
      case 'LEASE_REVOKED':
      case 'LEASE_RELEASED':
        t.leases.delete(msg.posReference);
        return;
      case 'TABLE_LOCK_DENIED':
      case 'TABLE_LOCK_REVOKED':
        t.locks.delete(msg.tableId);
        return;
      default:
        return;
    }
  }

  private caps(t: TerminalState, msg: TerminalMessage, now: number): Verdict {
    switch (msg.type) {
      case 'LEASE_ACQUIRE': {
        const leases = live(t.leases, now);
        if (!leases.has(msg.posReference) && leases.size >= this.config.HUB_MAX_LEASES_PER_TERMINAL) {
          return {
            ok: false,
            code: 'TOO_MANY_LEASES',
            message: `this terminal holds ${leases.size} leases (HUB_MAX_LEASES_PER_TERMINAL); release one first`,
          };
        }
        leases.set(msg.posReference, now + this.config.HUB_LEASE_TTL_MS);
        return OK;
      }
      case 'LEASE_HEARTBEAT': {
        // Also after a hub restart, when the front first hears of a lease by its heartbeat.
        const leases = live(t.leases, now);
        if (leases.has(msg.posReference) || leases.size < this.config.HUB_MAX_LEASES_PER_TERMINAL)
          leases.set(msg.posReference, now + this.config.HUB_LEASE_TTL_MS);
        return OK;
      }
      case 'LEASE_RELEASE':
        t.leases.delete(msg.posReference);
        return OK;
      case 'TABLE_LOCK_ACQUIRE':
      case 'TABLE_LOCK_FORCE_ACQUIRE': {
        const locks = live(t.locks, now);
        if (!locks.has(msg.tableId) && locks.size >= this.config.HUB_MAX_LOCKS_PER_TERMINAL) {
          return {
            ok: false,
            code: 'TOO_MANY_LOCKS',
            message: `this terminal holds ${locks.size} table locks (HUB_MAX_LOCKS_PER_TERMINAL); release one first`,
          };
        }
        locks.set(msg.tableId, now + this.config.HUB_TABLE_LOCK_TTL_MS);
        return OK;
      }
      case 'TABLE_LOCK_HEARTBEAT': {
        const locks = live(t.locks, now);
        if (locks.has(msg.tableId) || locks.size < this.config.HUB_MAX_LOCKS_PER_TERMINAL)
          locks.set(msg.tableId, now + this.config.HUB_TABLE_LOCK_TTL_MS);
        return OK;
      }
      case 'TABLE_LOCK_RELEASE':
        t.locks.delete(msg.tableId);
        return OK;
      default:
        return OK;
    }
  }

  private rate(cls: Exclude<MessageClass, 'auth'>): Config['HUB_RATE_WRITES'] {
    switch (cls) {
      case 'writes':
        return this.config.HUB_RATE_WRITES;
      case 'grants':
        return this.config.HUB_RATE_GRANTS;
      case 'heartbeats':
        return this.config.HUB_RATE_HEARTBEATS;
      case 'requests':
        return this.config.HUB_RATE_REQUESTS;
      default: {
        const unreachable: never = cls;
        throw new Error(`no rate for ${String(unreachable)}`);
      }
    }
  }

  private state(terminalId: string, now: number): TerminalState {
    let t = this.terminals.get(terminalId);
    if (t !== undefined) {
      // Most recently used last, so the bound below drops the terminals unused longest.
      this.terminals.delete(terminalId);
      this.terminals.set(terminalId, t);
      return t;
    }
    t = new TerminalState(now);
    this.terminals.set(terminalId, t);
    if (this.terminals.size > TERMINALS_REMEMBERED) this.forgetRested(now);
    return t;
  }

  /** Drop terminals whose state no longer changes any answer: full buckets, no grants, no refusals. */
  private forgetRested(now: number): void {
    for (const [id, t] of this.terminals) {
      if (this.terminals.size <= TERMINALS_REMEMBERED) return;
      const rested =
        [...t.buckets.values()].every((b) => b.isFull(now)) &&
        live(t.leases, now).size === 0 &&
        live(t.locks, now).size === 0 &&
        now - t.keysSince >= this.config.HUB_KEYS_WINDOW_MS &&
        now - t.refusalsSince > REFUSAL_WINDOW_MS;
      if (rested) this.terminals.delete(id);
    }
  }
}
