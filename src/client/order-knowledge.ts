/**
 * What this terminal knows of each order from the hub: the latest version seen in any message, the
 * version of its own latest confirmed write (the base of its next write), and the latest hub snapshot
 * (the base of a three-way merge and where a known order's table is looked up).
 */
import type { SyncInitOrder } from '../protocol/hub-messages.js';
import type { OrderSnapshot } from '../protocol/snapshot.js';

export class OrderKnowledge {
  private readonly versions = new Map<string, number>();
  private readonly ackedByMe = new Map<string, number>();
  private readonly known = new Map<string, { version: number; snapshot: OrderSnapshot }>();

  /** Latest hub version seen for the order (0 when none). */
  version(posReference: string): number {
    return this.versions.get(posReference) ?? 0;
  }

  noteVersion(posReference: string, version: number): void {
    this.versions.set(posReference, Math.max(this.versions.get(posReference) ?? 0, version));
  }

  /** Version of this terminal's latest confirmed write (0 when none). */
  ackedVersion(posReference: string): number {
    return this.ackedByMe.get(posReference) ?? 0;
  }

  noteAcked(posReference: string, version: number): void {
    this.ackedByMe.set(posReference, Math.max(this.ackedByMe.get(posReference) ?? 0, version));
  }

  noteSnapshot(posReference: string, version: number, snapshot: OrderSnapshot | null): void {
    if (snapshot === null) return;
    const known = this.known.get(posReference);
    if (!known || known.version <= version) this.known.set(posReference, { version, snapshot });
  }

  /** The hub snapshot at exactly `version`, when that is the one this terminal holds. */
  snapshotAt(posReference: string, version: number): OrderSnapshot | null {
    const known = this.known.get(posReference);
    return known && known.version === version ? known.snapshot : null;
  }

  /** The order's table as the hub last showed it; undefined when the hub never did. */
  tableOf(posReference: string): number | null | undefined {
    return this.known.get(posReference)?.snapshot.tableId;
  }

  applySyncInit(orders: readonly SyncInitOrder[]): void {
    for (const order of orders) {
      this.versions.set(order.posReference, order.version);
      this.known.set(order.posReference, { version: order.version, snapshot: order.snapshot });
    }
  }

  /** The hub was reset (close 4005): its versions start again. */
  forgetVersions(): void {
    this.versions.clear();
    this.ackedByMe.clear();
  }
}
