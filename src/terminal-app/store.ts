/**
 * The terminal's screen state in one place: every part of the controller reads `current` and
 * writes through `set`, so each change reaches the view's listeners exactly once. Also the
 * dependencies and timings the controller's parts share.
 */
import type { SyncTransport } from '../client/types.js';
import { initialState, type AppState, type HubTable, type OrderEntry } from './state.js';
import type { Catalog, CatalogSource } from './catalog.js';

export interface ControllerDeps {
  readonly transport: SyncTransport;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly random: () => number;
  readonly newId: () => string;
}

/** Timestamps the e2e tests read (window.posTerminal) to print the tab-to-tab delay. */
export interface Timings {
  lastLocalEditAt: number;
  readonly remoteUpdates: { posReference: string; version: number; lines: number; at: number }[];
}

export class StateStore {
  private state: AppState;
  private readonly listeners = new Set<(state: AppState) => void>();

  constructor(catalog: Catalog, catalogSource: CatalogSource) {
    this.state = initialState(catalog, catalogSource);
  }

  get current(): AppState {
    return this.state;
  }

  subscribe(listener: (state: AppState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(patch: Partial<AppState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener(this.state);
  }

  putOrder(entry: OrderEntry): void {
    const orders = new Map(this.state.orders);
    orders.set(entry.posReference, entry);
    this.set({ orders });
  }

  putTable(tableId: number, table: HubTable): void {
    const tables = new Map(this.state.tables);
    tables.set(tableId, table);
    this.set({ tables });
  }

  /** The order open on screen, if any. */
  activeEntry(): OrderEntry | null {
    const pos = this.state.activePos;
    return pos === null ? null : (this.state.orders.get(pos) ?? null);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
