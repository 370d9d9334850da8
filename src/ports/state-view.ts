/**
 * Port: what the hub shows of itself — /health, the dashboard's live state, `pos-hub stats`.
 * The hub runtime produces these from memory; the dashboard, CLI and tests only read them.
 */
import type { Encoding } from '../protocol/constants.js';
import type { ClusterView } from './cluster.js';

/** GET /health: the reference seed's eight fields first, then ours. */
export interface HealthView {
  status: 'ok' | 'degraded';
  uptime: number;
  connectedTerminals: number;
  activeLeases: number;
  orders: number;
  pendingForward: number;
  totalForwarded: number;
  /** ISO 8601 of the last confirmed Odoo call, or null. */
  lastOdooSync: string | null;
  deadLetters: number;
  odooReachable: boolean;
  uws: 'native' | 'fallback';
  shards: number;
  activeLocks: number;
  seq: number;
  version: string;
  /** Present while `degraded`: why (the disk refuses commits), since when, how many commits it refused. */
  degraded?: { reason: string; since: string; storageFailures: number };
  /** Role, fencing epoch, leader and replication (issue 18); `standalone` on SQLite. A follower is not degraded. */
  cluster?: ClusterView;
  /**
   * Present while this new leader sends nothing to Odoo because a previous leader's claimed calls may still be
   * running there (docs/ha.md "Finalization exactly once across a leader change"): until when, and why.
   * Expected after a leader change, so `status` stays `ok`; terminals are acked as always.
   */
  odooForwardWait?: { until: string; remainingSeconds: number; reason: string };
}

export interface TerminalView {
  terminalId: string;
  deviceId: string;
  role: string;
  userName: string;
  encoding: Encoding;
  connectedAt: number;
  lastSeen: number;
}

export interface LeaseView {
  posReference: string;
  terminalId: string;
  role: string;
  tableId: number | null;
  expiresAt: number;
  epoch: number;
}

export interface LockView {
  tableId: number;
  terminalId: string;
  role: string;
  expiresAt: number;
  epoch: number;
}

export interface EventView {
  id: number;
  type: string;
  posReference: string | null;
  /** local (not for Odoo), pending, forwarded or dead. */
  status: 'local' | 'pending' | 'forwarded' | 'dead';
  createdAt: string;
}

/** GET /api/state and every push on the dashboard channel. */
export interface HubStateView {
  health: HealthView;
  terminals: TerminalView[];
  leases: LeaseView[];
  locks: LockView[];
  /** The last 50, newest first. */
  events: EventView[];
  serverTime: number;
}
