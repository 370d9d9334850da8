/**
 * Closing a check: the seed's "Done" sends the paid order to Odoo through the hub, and every
 * finalize answer (ours, or ORDER_FINALIZED from the hub) is folded into the order, its lease and
 * its table here, so both paths close a check the same way.
 */
import type { FinalizeResult } from '../client/types.js';
import { finalizeOrder as finalizeDomain } from '../domain/order-ops.js';
import { openOrdersOf } from './state.js';
import { messageOf, type ControllerDeps, type StateStore } from './store.js';

export class Finalizer {
  constructor(
    private readonly deps: ControllerDeps,
    private readonly store: StateStore,
  ) {}

  /** The seed's "Done": the paid order goes to Odoo through the hub (ORDER_FINALIZE). */
  async finalize(): Promise<void> {
    const entry = this.store.activeEntry();
    if (entry === null) return;
    if (entry.snapshot.state !== 'paid') {
      this.store.set({
        notice: {
          text: `Only a paid order can be finalized (this one is ${entry.snapshot.state}).`,
          code: 'INVALID_TRANSITION',
        },
      });
      return;
    }
    this.store.set({ finalize: { status: 'pending' } });
    let result: FinalizeResult;
    try {
      result = await this.deps.transport.finalizeOrder(
        entry.posReference,
        entry.snapshot,
        this.store.current.catalog.configId,
      );
    } catch (error) {
      result = { status: 'error', posReference: entry.posReference, error: messageOf(error), retryable: true };
    }
    this.applyFinalize(result);
  }

  applyFinalize(result: FinalizeResult): void {
    const onScreen = result.posReference === this.store.current.activePos;
    switch (result.status) {
      case 'finalized': {
        const entry = this.store.current.orders.get(result.posReference);
        if (entry !== undefined) {
          const done = finalizeDomain(entry.snapshot);
          const snapshot = done.ok ? done.value : entry.snapshot;
          this.store.putOrder({ ...entry, snapshot, odooOrderId: result.orderId });
          // The seed's FINALIZE: the archived state goes to the hub with the release, so every
          // terminal sees the check closed (the hub keeps it as `paid` otherwise).
          if (this.deps.transport.isLeaseHeld(result.posReference))
            this.deps.transport.releaseLease(result.posReference, done.ok ? snapshot : undefined);
          if (
            entry.snapshot.tableId !== null &&
            openOrdersOf(this.store.current, entry.snapshot.tableId).length === 0
          ) {
            this.deps.transport.sendTableUpdate(entry.snapshot.tableId, 'available');
          }
        }
        if (onScreen)
          this.store.set({ finalize: { status: 'done', orderId: result.orderId }, lease: { status: 'none' } });
        return;
      }
      case 'queued':
        if (onScreen)
          this.store.set({
            finalize: { status: 'queued', ...(result.reason === undefined ? {} : { reason: result.reason }) },
          });
        return;
      case 'error':
        if (onScreen)
          this.store.set({ finalize: { status: 'error', error: result.error, retryable: result.retryable } });
        return;
      default: {
        const never: never = result;
        return never;
      }
    }
  }
}
