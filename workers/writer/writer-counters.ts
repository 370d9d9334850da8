/**
 * The counters every delivery carries to /health and HUB_STATUS: the store's tallies as of the last commit
 * (one read at a time on Postgres, so acks never wait for counting), the last Odoo confirmation the store
 * remembers, the forwarder's view of Odoo (pushed when it changes on an idle hub) and the storage error.
 * Split from writer-core.ts; the core says when to refresh them.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { ForwardOutcome } from '#ports/forwarding.js';
import { outcomeOf, thenSettled, whenSettled } from '#ports/settled.js';
import type { HubStorePort, StoreTallies } from '#ports/store.js';
import { causeOf } from '#protocol/errors.js';
import type { Delivery, WriterNotice, WriterStats } from '#threads/contract.js';
import type { StorageErrorView } from './storage-health.js';
import type { ForwarderHandle, WriterClock } from './writer-deps.js';
import { outcomeMessage } from './writer-notices.js';

/** How often the writer checks whether the forwarder's view of Odoo changed. */
const ODOO_WATCH_MS = 1000;

const NO_TALLIES: StoreTallies = { orders: 0, activeLeases: 0, activeLocks: 0, pendingForward: 0, totalForwarded: 0, deadLetters: 0 };

export interface WriterCountersDeps {
  readonly store: HubStorePort;
  readonly clock: WriterClock;
  readonly log: Logger;
  readonly toFront: (notice: WriterNotice) => void;
  /** The forwarder of the current term (null while following, or without one). */
  readonly forwarder: () => ForwarderHandle | null;
  readonly storageError: () => StorageErrorView | null;
  readonly stopped: () => boolean;
  /** Without a forwarder factory there is never an Odoo view to report. */
  readonly watchesOdoo: boolean;
}

export class WriterCounters {
  private tallies: StoreTallies = NO_TALLIES;
  /** A tallies read is in flight (Postgres); `stale`: another commit landed since it started. */
  private reading = false;
  private stale = false;
  /** The last Odoo confirmation the store remembers (meta `last_odoo_sync`), until the forwarder has its own. */
  private storedOdooSync: number | null = null;
  /** Odoo reachability last told to the front: it changes without any commit (the forwarder's idle probe). */
  private toldReachable: boolean | null = null;
  /** The Odoo claim wait last told to the front (it starts and ends without any commit). */
  private toldClaimWait: number | null = null;
  /** Resolves once the counters /health needs have been read (at once on SQLite). */
  readonly ready: Promise<void>;

  constructor(private readonly deps: WriterCountersDeps) {
    const { store } = deps;
    const stored = thenSettled(store.meta('last_odoo_sync'), (raw) => {
      this.storedOdooSync = raw === null ? null : Number(raw);
    });
    const counted = thenSettled(store.tallies(), (t) => {
      this.tallies = t;
    });
    this.ready = thenSettled(stored, () => counted);
  }

  /**
   * The counters as of now: the store's tallies as of the last commit (six rows kept by triggers on
   * SQLite), its high-water mark, and the forwarder's view of Odoo.
   */
  stats(): WriterStats {
    const fwd = this.deps.forwarder()?.status();
    return {
      seq: this.deps.store.highWaterMark(),
      ...this.tallies,
      lastOdooSync: fwd?.lastOdooSync ?? this.storedOdooSync,
      odooReachable: fwd?.odooReachable ?? false,
      lastOdooError: fwd?.lastError ?? null,
      storageError: this.deps.storageError(),
      ...(fwd?.claimWaitUntil == null ? {} : { odooClaimWaitUntil: fwd.claimWaitUntil }),
    };
  }

  /** Tallies read by the caller (a reset). */
  set(tallies: StoreTallies): void {
    this.tallies = tallies;
  }

  /** Fresh counters and the stored last Odoo sync (the core runs this after everything queued is committed). */
  readFresh(): WriterStats | Promise<WriterStats> {
    const { store } = this.deps;
    return thenSettled(store.meta('last_odoo_sync'), (raw) => {
      this.storedOdooSync = raw === null ? null : Number(raw);
      return thenSettled(store.tallies(), (t) => {
        this.tallies = t;
        return this.stats();
      });
    });
  }

  /**
   * The counters /health shows, read after a commit. SQLite answers in this turn, so the commit's own
   * delivery carries them; on Postgres the delivery carries the last ones and a `stats` notice follows
   * (one read at a time: acks never wait for counting).
   */
  refresh(): void {
    if (this.reading) {
      this.stale = true;
      return;
    }
    const read = this.deps.store.tallies();
    const known = outcomeOf(read);
    if (known !== undefined) {
      if (known.ok) this.tallies = known.value;
      return;
    }
    this.reading = true;
    this.stale = false;
    read.then(
      (t) => {
        this.reading = false;
        this.tallies = t;
        if (!this.deps.stopped()) this.deps.toFront({ type: 'stats', input: this.stats() });
        if (this.stale) this.refresh();
      },
      (error: unknown) => {
        this.reading = false;
        this.deps.log.warn({ cause: causeOf(error) }, 'reading the store counters failed; /health shows the last ones');
      },
    );
  }

  /** The terminal hears how its finalize went, with counters that include it. */
  forwardOutcome(o: ForwardOutcome): void {
    const msg = outcomeMessage(o);
    const deliveries: Delivery[] = msg === null ? [] : [{ out: [{ to: 'terminal', terminalId: o.event.terminalId, msg }] }];
    const send = (): void => this.deps.toFront({ type: 'deliver', input: { deliveries, stats: this.stats() } });
    whenSettled(
      this.deps.store.tallies(),
      (t) => {
        this.tallies = t;
        send();
      },
      () => send(),
    );
  }

  /** Start watching the forwarder's view of Odoo (not at once: the writer's first `stats` is its ready signal). */
  watchOdooSoon(): void {
    this.deps.clock.setTimeout(() => this.watchOdoo(), ODOO_WATCH_MS);
  }

  /** Push fresh stats when the forwarder's view of Odoo changes, so /health is right on an idle hub. */
  private watchOdoo(): void {
    if (this.deps.stopped() || !this.deps.watchesOdoo) return;
    // A follower runs no forwarder: Odoo reads as unreachable from here (the leader forwards).
    const status = this.deps.forwarder()?.status();
    const reachable = status?.odooReachable ?? false;
    const claimWait = status?.claimWaitUntil ?? null;
    if (reachable !== this.toldReachable || claimWait !== this.toldClaimWait) {
      this.toldReachable = reachable;
      this.toldClaimWait = claimWait;
      this.deps.toFront({ type: 'stats', input: this.stats() });
    }
    this.deps.clock.setTimeout(() => this.watchOdoo(), ODOO_WATCH_MS);
  }
}
