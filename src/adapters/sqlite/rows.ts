/**
 * The row shapes the store reads and writes, as its callers see them (camelCase, JSON parsed). Split
 * from store.ts so the writer and tests can name them without the class; store.ts re-exports them.
 */
import type { OrderSnapshot } from '../../protocol/snapshot.js';

export interface OrderRow {
  posReference: string;
  homeKey: string;
  tableId: number | null;
  version: number;
  snapshot: OrderSnapshot | null;
  state: string | null;
  terminalId: string | null;
  /** Set once Odoo confirmed the order: it is closed and no longer sent to terminals. */
  odooOrderId: number | null;
}

export interface LeaseRow {
  posReference: string;
  homeKey: string;
  terminalId: string;
  role: string;
  tableId: number | null;
  expiresAt: number;
  epoch: number;
}

export interface LockRow {
  tableId: number;
  terminalId: string;
  role: string;
  expiresAt: number;
  epoch: number;
}

export interface TableRow {
  tableId: number;
  status: string;
  posReference: string | null;
}

export interface EventRow {
  id: number;
  type: string;
  posReference: string | null;
  status: 'local' | 'pending' | 'forwarded' | 'dead';
  createdAt: string;
}

export interface StoreCounts {
  orders: number;
  activeLeases: number;
  activeLocks: number;
  pendingForward: number;
  totalForwarded: number;
  deadLetters: number;
}

/** What one pruning pass removed. */
export interface PruneResult {
  /** Closed orders deleted (their routes can be forgotten). */
  readonly orders: string[];
  readonly events: number;
  /** The lowest lastSeq a resume still covers after this pass. */
  readonly resumeFloor: number;
}
