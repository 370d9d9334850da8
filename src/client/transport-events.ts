/**
 * The event half of SyncTransport, shared by both transports: one listener set per `on…`, each
 * returning its unsubscribe, and a throwing listener reported on onError instead of breaking the
 * transport. Direct mode simply never fires the hub-only events.
 */
import { HubError } from '../protocol/errors.js';
import type { SyncInitOrder } from '../protocol/hub-messages.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';
import { Listeners } from './listeners.js';
import type { ConflictInfo, ConnectionState, FinalizeResult, FloorPlanChange, OrderUpdate, ResyncInfo, SyncInitExtras, TableUpdate, Unsubscribe } from './types.js';

export abstract class TransportEvents {
  protected readonly errorListeners = new Listeners<[HubError]>();
  /** Anything thrown or refused, as a HubError on onError. */
  protected readonly report = (error: unknown): void => {
    const hubError = error instanceof HubError ? error : new HubError('INTERNAL', error instanceof Error ? error.message : String(error), { cause: error });
    this.errorListeners.emit(hubError);
  };
  protected readonly leaseRevoked = new Listeners<[string, string, OrderSnapshot | undefined]>(this.report);
  protected readonly leaseReleased = new Listeners<[string, string | undefined]>(this.report);
  protected readonly orderUpdated = new Listeners<[OrderUpdate]>(this.report);
  protected readonly orderAcked = new Listeners<[string, number, string]>(this.report);
  protected readonly conflicts = new Listeners<[ConflictInfo]>(this.report);
  protected readonly syncInits = new Listeners<[readonly SyncInitOrder[], SyncInitExtras]>(this.report);
  protected readonly tableUpdated = new Listeners<[TableUpdate]>(this.report);
  protected readonly floorPlanChanged = new Listeners<[FloorPlanChange]>(this.report);
  protected readonly lockRevoked = new Listeners<[number, string]>(this.report);
  protected readonly lockReleased = new Listeners<[number, string | undefined]>(this.report);
  protected readonly tableLocked = new Listeners<[number, string]>(this.report);
  protected readonly finalized = new Listeners<[FinalizeResult]>(this.report);
  protected readonly stateChanges = new Listeners<[ConnectionState, ConnectionState]>(this.report);
  protected readonly resyncs = new Listeners<[ResyncInfo]>(this.report);

  onLeaseRevoked(handler: (posReference: string, reason: string, snapshot?: OrderSnapshot) => void): Unsubscribe {
    return this.leaseRevoked.add(handler);
  }
  onLeaseReleased(handler: (posReference: string, releasedBy?: string) => void): Unsubscribe {
    return this.leaseReleased.add(handler);
  }
  onOrderUpdated(handler: (update: OrderUpdate) => void): Unsubscribe {
    return this.orderUpdated.add(handler);
  }
  onOrderAcked(handler: (posReference: string, version: number, mutationId: string) => void): Unsubscribe {
    return this.orderAcked.add(handler);
  }
  onConflict(handler: (conflict: ConflictInfo) => void): Unsubscribe {
    return this.conflicts.add(handler);
  }
  onSyncInit(handler: (orders: readonly SyncInitOrder[], extras: SyncInitExtras) => void): Unsubscribe {
    return this.syncInits.add(handler);
  }
  onTableUpdated(handler: (update: TableUpdate) => void): Unsubscribe {
    return this.tableUpdated.add(handler);
  }
  onFloorPlanChanged(handler: (change: FloorPlanChange) => void): Unsubscribe {
    return this.floorPlanChanged.add(handler);
  }
  onTableLockRevoked(handler: (tableId: number, reason: string) => void): Unsubscribe {
    return this.lockRevoked.add(handler);
  }
  onTableLockReleased(handler: (tableId: number, releasedBy?: string) => void): Unsubscribe {
    return this.lockReleased.add(handler);
  }
  onTableLocked(handler: (tableId: number, lockedBy: string) => void): Unsubscribe {
    return this.tableLocked.add(handler);
  }
  onOrderFinalized(handler: (result: FinalizeResult) => void): Unsubscribe {
    return this.finalized.add(handler);
  }
  onStateChange(handler: (state: ConnectionState, previous: ConnectionState) => void): Unsubscribe {
    return this.stateChanges.add(handler);
  }
  onError(handler: (error: HubError) => void): Unsubscribe {
    return this.errorListeners.add(handler);
  }
  onResync(handler: (info: ResyncInfo) => void): Unsubscribe {
    return this.resyncs.add(handler);
  }
}
