/**
 * The order lease and the table lock this terminal asks the hub for: one request at a time per
 * order (a late answer for an order no longer open is let go), offline grants re-asked once the
 * SDK is online, and re-confirmation after a reconnect. Split from the controller because the
 * generation and in-flight bookkeeping is its own small protocol.
 */
import type { ControllerDeps } from './store.js';
import { messageOf, type StateStore } from './store.js';

export class Grants {
  /** Bumped on every lease request, so a late answer for an order no longer open is let go. */
  private leaseGeneration = 0;
  /** The lease request under way: edits tapped meanwhile wait for its answer instead of being lost. */
  private leaseInFlight: Promise<boolean> | null = null;

  constructor(
    private readonly deps: ControllerDeps,
    private readonly store: StateStore,
  ) {}

  /** The lease answer edits should wait for, or null when none is under way. */
  get pendingLease(): Promise<boolean> | null {
    return this.leaseInFlight;
  }

  /** "Try again" after LEASE_DENIED, and what hub events that free the order trigger. */
  async retryLease(): Promise<void> {
    const { current } = this.store;
    const pos = current.activePos;
    const entry = pos === null ? undefined : current.orders.get(pos);
    // A closed check has no writer to be: nothing to ask for.
    if (pos === null || entry === undefined || entry.snapshot.state === 'finalized' || entry.odooOrderId !== null)
      return;
    await this.requestLease(pos, entry.version);
  }

  requestLease(posReference: string, version: number): Promise<boolean> {
    const asked = this.askLease(posReference, version, true);
    this.leaseInFlight = asked;
    void asked.finally(() => {
      if (this.leaseInFlight === asked) this.leaseInFlight = null;
    });
    return asked;
  }

  private async askLease(posReference: string, version: number, again: boolean): Promise<boolean> {
    const generation = ++this.leaseGeneration;
    this.store.set({ lease: { status: 'pending' } });
    try {
      const result = await this.deps.transport.acquireLease(posReference, version);
      if (generation !== this.leaseGeneration || this.store.current.activePos !== posReference) {
        if (result.granted && this.store.current.activePos !== posReference)
          this.deps.transport.releaseLease(posReference);
        return false;
      }
      // Asked while the SDK was still syncing (an offline grant), and it is online now: ask the hub.
      if (result.granted && result.offline && again && this.deps.transport.state === 'online')
        return this.askLease(posReference, version, false);
      if (result.granted) {
        this.store.set({ lease: { status: 'held', offline: result.offline } });
        return true;
      }
      this.store.set({
        lease: {
          status: 'denied',
          holder: result.holder,
          reason: result.reason,
          ...(result.code === undefined ? {} : { code: result.code }),
        },
      });
      return false;
    } catch (error) {
      if (generation === this.leaseGeneration) this.store.set({ lease: { status: 'error', reason: messageOf(error) } });
      return false;
    }
  }

  releaseActiveLease(): void {
    const pos = this.store.current.activePos;
    this.leaseGeneration++;
    if (pos !== null && this.deps.transport.isLeaseHeld(pos)) this.deps.transport.releaseLease(pos);
  }

  async acquireLock(tableId: number, again = true): Promise<void> {
    this.store.set({ lock: { status: 'pending' } });
    try {
      const result = await this.deps.transport.acquireTableLock(tableId);
      if (this.store.current.selectedTableId !== tableId) {
        if (result.granted) this.deps.transport.releaseTableLock(tableId);
        return;
      }
      if (result.granted && result.offline && again && this.deps.transport.state === 'online')
        return this.acquireLock(tableId, false);
      this.store.set({
        lock: result.granted
          ? { status: 'held', offline: result.offline }
          : { status: 'denied', lockedBy: result.lockedBy },
      });
    } catch (error) {
      if (this.store.current.selectedTableId === tableId)
        this.store.set({ lock: { status: 'none' }, notice: { text: `Table lock: ${messageOf(error)}` } });
    }
  }

  /** After a reconnect: confirm the offline lease and lock with the hub, retry a denied one. */
  reconfirm(): void {
    const { activePos, lease, lock, selectedTableId } = this.store.current;
    if (selectedTableId !== null && lock.status !== 'pending' && (lock.status !== 'held' || lock.offline))
      void this.acquireLock(selectedTableId);
    const active = activePos === null ? undefined : this.store.current.orders.get(activePos);
    const closed = active === undefined || active.snapshot.state === 'finalized' || active.odooOrderId !== null;
    const unsure =
      (lease.status === 'held' && lease.offline) ||
      lease.status === 'denied' ||
      lease.status === 'revoked' ||
      lease.status === 'error';
    if (!closed && unsure) void this.retryLease();
  }
}
