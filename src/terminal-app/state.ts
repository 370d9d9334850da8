/**
 * Everything the terminal screen shows, in one plain object the controller replaces and the view
 * reads. Kept apart from both so the shape of the screen is visible in one place.
 */
import type { ConflictInfo, ConnectionState } from '../client/types.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';
import type { Catalog, CatalogSource } from './catalog.js';

export interface OrderEntry {
  readonly posReference: string;
  /** The hub version this terminal's copy is based on (0: never confirmed by the hub). */
  readonly version: number;
  readonly snapshot: OrderSnapshot;
  /** Terminal holding the lease, as far as the hub told us (SYNC_INIT); null when unknown or free. */
  readonly leasedBy: string | null;
  /** The mutationId of our latest write not yet acknowledged; null when the hub has our copy. */
  readonly pendingMutation: string | null;
  /** From ORDER_FINALIZED. */
  readonly odooOrderId: number | null;
}

export interface HubTable {
  readonly status: string | null;
  readonly posReference: string | null;
  readonly lockedBy: string | null;
}

export type LeaseView =
  | { readonly status: 'none' }
  | { readonly status: 'pending' }
  | { readonly status: 'held'; readonly offline: boolean }
  | { readonly status: 'denied'; readonly holder: string; readonly reason: string; readonly code?: string }
  | { readonly status: 'revoked'; readonly reason: string }
  | { readonly status: 'error'; readonly reason: string };

export type LockView =
  | { readonly status: 'none' }
  | { readonly status: 'pending' }
  | { readonly status: 'held'; readonly offline: boolean }
  | { readonly status: 'denied'; readonly lockedBy: string }
  | { readonly status: 'revoked'; readonly reason: string };

export type FinalizeView =
  | { readonly status: 'idle' }
  | { readonly status: 'pending' }
  | { readonly status: 'queued'; readonly reason?: string }
  | { readonly status: 'done'; readonly orderId: number }
  | { readonly status: 'error'; readonly error: string; readonly retryable: boolean };

export interface AppState {
  readonly connection: ConnectionState;
  readonly outboxCount: number;
  /** Which hub the page is on and whether it is failing over (one line of the status bar). */
  readonly hubLine: { readonly text: string; readonly failingOver: boolean };
  readonly terminalId: string | null;
  readonly role: string | null;
  readonly catalog: Catalog;
  readonly catalogSource: CatalogSource;
  readonly orders: ReadonlyMap<string, OrderEntry>;
  readonly tables: ReadonlyMap<number, HubTable>;
  readonly selectedTableId: number | null;
  readonly activePos: string | null;
  readonly lease: LeaseView;
  readonly lock: LockView;
  readonly conflict: ConflictInfo | null;
  readonly finalize: FinalizeView;
  readonly notice: { readonly text: string; readonly code?: string } | null;
}

export function initialState(catalog: Catalog, catalogSource: CatalogSource): AppState {
  return {
    connection: 'offline',
    outboxCount: 0,
    hubLine: { text: 'hub: -', failingOver: false },
    terminalId: null,
    role: null,
    catalog,
    catalogSource,
    orders: new Map(),
    tables: new Map(),
    selectedTableId: null,
    activePos: null,
    lease: { status: 'none' },
    lock: { status: 'none' },
    conflict: null,
    finalize: { status: 'idle' },
    notice: null,
  };
}

/** The orders still in play on a table (finalized ones are archived in Odoo). */
export function openOrdersOf(state: AppState, tableId: number): OrderEntry[] {
  const out: OrderEntry[] = [];
  for (const entry of state.orders.values()) {
    if (entry.snapshot.tableId === tableId && entry.snapshot.state !== 'finalized') out.push(entry);
  }
  return out.sort((a, b) => a.snapshot.createdAt.localeCompare(b.snapshot.createdAt));
}
