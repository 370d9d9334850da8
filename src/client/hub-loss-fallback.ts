/**
 * When no usable hub has been reachable for `hubLossFallbackMs` (default 60 s), the terminal goes to
 * Odoo directly — never sooner: a hub failover takes seconds, and terminals going to Odoo in that window
 * would race the new leader. Until then writes wait in the outbox. While in fallback, paid orders are
 * posted to Odoo through the direct engine (look up by pos_reference first, so exactly once) and stay
 * in the outbox too, so the hub learns they were paid when it comes back (its gateway looks first as
 * well). A usable hub ends the fallback at once and the outbox drains through it.
 */
import type { OrderSnapshot } from '../protocol/snapshot.js';
import type { ClientClock } from './deps.js';
import type { FinalizeResult, OrderUpdate } from './types.js';

export const HUB_LOSS_FALLBACK_MS = 60_000;

export type FallbackPhase = 'hub' | 'waiting' | 'direct';

/** The direct-Odoo engine as the fallback drives it (a DirectTransport on its own memory outbox). */
export interface DirectEngine {
  connect(): Promise<void>;
  disconnect(): void;
  finalizeOrder(posReference: string, snapshot: OrderSnapshot, configId: number): Promise<FinalizeResult>;
  onOrderUpdated(handler: (update: OrderUpdate) => void): () => void;
  onOrderFinalized(handler: (result: FinalizeResult) => void): () => void;
  onSyncInit(
    handler: (orders: readonly { posReference: string; version: number; snapshot: OrderSnapshot }[]) => void,
  ): () => void;
  onError(handler: (error: unknown) => void): () => void;
}

export interface FallbackHost {
  /** Paid orders waiting in the outbox for the hub: posted to Odoo while in fallback. */
  queuedFinalizations(): readonly {
    readonly posReference: string;
    readonly snapshot: OrderSnapshot;
    readonly configId: number;
  }[];
  orderUpdated(update: OrderUpdate): void;
  finalized(result: FinalizeResult): void;
  report(error: unknown): void;
  changed(): void;
}

export class HubLossFallback {
  private since: number | null = null;
  private timer: unknown = null;
  private active = false;
  private readonly posted = new Set<string>();
  private unsubscribe: Array<() => void> = [];

  constructor(
    private readonly clock: ClientClock,
    private readonly fallbackMs: number,
    private readonly direct: DirectEngine | null,
    private readonly host: FallbackHost,
  ) {}

  get phase(): FallbackPhase {
    return this.active ? 'direct' : this.since === null ? 'hub' : 'waiting';
  }
  /** Epoch ms since when no usable hub has been reachable, or null. */
  get hubLostSince(): number | null {
    return this.since;
  }
  /** Orders this terminal handed to the direct engine during a fallback (the hub may confirm them later). */
  get directlyFinalized(): ReadonlySet<string> {
    return this.posted;
  }

  /** No usable hub right now. The clock starts at the first loss and is not restarted by later ones. */
  lost(): void {
    if (this.since !== null) return;
    this.since = this.clock.now();
    this.timer = this.clock.setTimeout(() => this.enter(), this.fallbackMs);
    this.host.changed();
  }

  /** A usable hub again: back to hub mode at once. */
  found(): void {
    if (this.since === null && !this.active) return;
    this.stop();
    this.host.changed();
  }

  /** The app disconnected: no clock, no fallback. */
  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.since = null;
    if (this.active) {
      this.active = false;
      for (const off of this.unsubscribe) off();
      this.unsubscribe = [];
      this.direct?.disconnect();
    }
  }

  /** A paid order was queued for the hub: in fallback it goes to Odoo now as well. */
  queued(): void {
    if (this.active) this.postQueued();
  }

  private enter(): void {
    this.timer = null;
    const direct = this.direct;
    // Without the direct-mode fields in the bootstrap there is no Odoo to go to: the outbox keeps waiting.
    if (this.since === null || this.active || direct === null) return;
    this.active = true;
    this.host.changed();
    this.unsubscribe = [
      direct.onOrderUpdated((update) => this.host.orderUpdated(update)),
      // The direct engine's first poll lists Odoo's paid orders: news to this terminal, not a replacement of its state.
      direct.onSyncInit((orders) => {
        for (const o of orders)
          this.host.orderUpdated({
            posReference: o.posReference,
            version: o.version,
            snapshot: o.snapshot,
            sourceTerminal: 'odoo',
          });
      }),
      direct.onOrderFinalized((result) => {
        if (result.status === 'finalized') this.posted.add(result.posReference);
        this.host.finalized(result);
      }),
      direct.onError((error) => this.host.report(error)),
    ];
    void direct.connect().catch((error: unknown) => this.host.report(error));
    this.postQueued();
  }

  private postQueued(): void {
    const direct = this.direct;
    if (direct === null) return;
    for (const f of this.host.queuedFinalizations()) {
      if (this.posted.has(f.posReference)) continue;
      this.posted.add(f.posReference); // one post per order; the direct engine's own outbox retries it
      void direct
        .finalizeOrder(f.posReference, f.snapshot, f.configId)
        .catch((error: unknown) => this.host.report(error));
    }
  }
}
