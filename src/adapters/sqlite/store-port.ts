/**
 * The embedded SQLite store (store.ts) behind the store port (src/ports/store.ts), so the writer can move
 * to the port without changing engines and the contract suite can hold SQLite and Postgres to the same
 * rules. Every call runs synchronously on better-sqlite3 and returns a promise that says it is settled
 * (ports/settled.ts), so the writer goes on in the same turn, exactly as before the port. `store` is the
 * adapter's one extra capability: the writer's shared SYNC_INIT (sync-answers.ts) watches its rows.
 */
import type {
  CommitResult,
  HubStorePort,
  KeyContents,
  PruneLimits,
  PruneOutcome,
  StoreContents,
  StoreFault,
  StoreOp,
  StoreUnit,
  StampedText,
  StoredEvent,
  UnitOutcome,
  UnitReply,
} from '../../ports/store.js';
import { fencedError } from '../../ports/store.js';
import type { FinalizeSuccess, PendingFinalize } from '../../ports/forwarding.js';
import type { QuarantinedRecord } from '../../ports/metrics.js';
import { settledPromise } from '../../ports/settled.js';
import { isTransientStorageError } from './storage-fault.js';
import { HubStore, type SharedSnapshot, type StoreOptions } from './store.js';

/** The takeover counter lives in a meta row: the SQLite schema has no cluster, only this one file. */
const EPOCH_KEY = 'hub_epoch';

/** The latest takeover epoch of this file (0 before the first); inside a transaction, as of it. */
export function currentEpochOf(store: HubStore): number {
  return Number(store.meta(EPOCH_KEY) ?? '0');
}

export class SqliteStorePort implements HubStorePort {
  readonly engine = 'sqlite' as const;

  constructor(readonly store: HubStore) {}

  static open(options: StoreOptions): SqliteStorePort {
    return new SqliteStorePort(new HubStore(options));
  }

  /** A full, failing or busy disk is transient (storage-fault.ts); nothing is ever in doubt on one file. */
  classifyError(error: unknown): StoreFault {
    return isTransientStorageError(error) ? 'transient' : 'fatal';
  }

  commit(units: readonly StoreUnit[], now: number, fence?: number): Promise<CommitResult> {
    const { store } = this;
    // A throw rolls back (the store restores its seq): a rejection, as the Postgres adapter gives.
    return settledPromise(() => {
      const stamped: (StampedText | null)[] = [];
      const outcomes = store.transaction(() => {
        // Inside the transaction: a takeover by another handle on this file committed before this read
        // and is seen here, or after it, and then this transaction's first write fails (WAL refuses a
        // write on a stale snapshot) — either way no batch commits under an epoch that is not the latest.
        if (fence !== undefined) {
          const current = currentEpochOf(store);
          if (current !== fence) throw fencedError(fence, current);
        }
        return units.map((unit) => this.applyUnit(unit, now, stamped));
      });
      return { units: outcomes, seq: store.currentSeq(), stamped };
    });
  }

  /** `texts`: where the unit's StampedText (or null) goes, one per unit. */
  private applyUnit(unit: StoreUnit, now: number, texts: (StampedText | null)[]): UnitOutcome {
    const { store } = this;
    if (unit.dedupe !== undefined) {
      const reply = store.getMutation(unit.dedupe.terminalId, unit.dedupe.mutationId, unit.dedupe.owner ?? '');
      if (reply !== undefined) {
        texts.push(null);
        return { kind: 'duplicate', reply };
      }
    }
    let seq: number | null = null;
    let stamped: StampedText | null = null;
    const replies: UnitReply[] = [];
    const mutations: Extract<StoreOp, { op: 'mutation' }>[] = [];
    let shared: SharedSnapshot | null = null;
    for (const op of unit.ops) {
      switch (op.op) {
        case 'order_put':
          shared = store.putOrder(op.order, now);
          break;
        case 'lease_put':
          store.putLease({ ...op.lease });
          break;
        case 'lease_delete':
          store.deleteLease(op.posReference);
          break;
        case 'lock_put':
          store.putLock({ ...op.lock });
          break;
        case 'lock_delete':
          store.deleteLock(op.tableId);
          break;
        case 'table_put':
          store.putTable({ ...op.table }, now);
          break;
        case 'floor_plan_put':
          store.putFloorPlan(op.floorId, op.plan, now);
          break;
        case 'event': {
          const { payload } = op;
          const { id, json } = store.appendEventText(
            {
              type: op.type,
              posReference: op.posReference,
              payload: (s) => (payload === null ? null : { ...payload, seq: s }),
              sourceTerminal: op.sourceTerminal,
              ...(op.finalize === undefined ? {} : { finalize: op.finalize }),
            },
            now,
            shared,
          );
          if (payload !== null || seq === null) {
            seq = id;
            stamped = json === null ? null : { payload, json };
          }
          break;
        }
        case 'mutation':
          // After the unit's events, so the reply carries the unit's seq.
          mutations.push(op);
          break;
        case 'replay': {
          const reply = store.getMutation(op.terminalId, op.mutationId, op.owner ?? '');
          if (reply !== undefined) replies.push({ terminalId: op.terminalId, reply });
          break;
        }
        case 'ticket': {
          const previous = op.mutationId === undefined ? undefined : store.getMutation(op.terminalId, op.mutationId, op.owner ?? '');
          if (previous !== undefined) {
            replies.push({ terminalId: op.terminalId, reply: previous });
            break;
          }
          const reply = op.reply(store.nextTicket(op.businessDay, op.orderType));
          if (op.mutationId !== undefined) store.putMutation(op.terminalId, op.mutationId, '', null, reply, now, op.owner ?? '');
          replies.push({ terminalId: op.terminalId, reply });
          break;
        }
        case 'meta_put':
          store.setMeta(op.key, op.value);
          break;
        default: {
          const unreachable: never = op;
          throw new Error(`unknown store op ${JSON.stringify(unreachable)}`);
        }
      }
    }
    for (const m of mutations)
      store.putMutation(
        m.terminalId,
        m.mutationId,
        m.homeKey,
        m.posReference,
        seq === null ? m.result : { ...m.result, seq },
        now,
        m.owner ?? '',
      );
    texts.push(stamped);
    return { kind: 'applied', seq, replies };
  }

  highWaterMark(): number {
    // better-sqlite3 commits before transaction() returns: everything up to the current seq is durable.
    return this.store.currentSeq();
  }

  readEvents(afterSeq: number, limit: number, excludeTerminal?: string): Promise<StoredEvent[] | null> {
    return settledPromise(() => {
      // The store's resume excludes one terminal's own events; no terminal id is ever the empty string.
      const payloads = this.store.resume(afterSeq, excludeTerminal ?? '', limit);
      if (payloads === null) return null;
      // Another handle on the same file may have committed since: only what this handle's commits returned is served.
      const mark = this.highWaterMark();
      return payloads.map((payload) => ({ seq: (payload as { seq: number }).seq, payload })).filter((e) => e.seq <= mark);
    });
  }

  refreshMark(): Promise<number> {
    return settledPromise(() => this.highWaterMark());
  }

  homesOf(posReferences: readonly string[] | null): Promise<ReadonlyArray<readonly [string, string]>> {
    const { store } = this;
    return settledPromise(() => {
      const named = posReferences === null ? null : new Set(posReferences);
      const keep = (posReference: string): boolean => named === null || named.has(posReference);
      const homes = new Map<string, string>();
      for (const o of store.orders()) if (keep(o.posReference)) homes.set(o.posReference, o.homeKey);
      for (const l of store.leases()) if (keep(l.posReference)) homes.set(l.posReference, l.homeKey);
      for (const e of store.epochs()) {
        const posReference = e.key.startsWith('lease:') ? e.key.slice('lease:'.length) : null;
        if (posReference !== null && keep(posReference) && !homes.has(posReference)) homes.set(posReference, e.homeKey);
      }
      return [...homes];
    });
  }

  grantKeys(): Promise<string[]> {
    const { store } = this;
    return settledPromise(() => [...new Set([...store.leases().map((l) => l.homeKey), ...store.locks().map((l) => `t:${l.tableId}`)])]);
  }

  getMutation(terminalId: string, mutationId: string, owner = ''): Promise<unknown> {
    return settledPromise(() => this.store.getMutation(terminalId, mutationId, owner));
  }

  contents(): Promise<StoreContents> {
    const { store } = this;
    return settledPromise(() => ({
      orders: store.orders(),
      leases: store.leases(),
      locks: store.locks(),
      tables: store.tables(),
      floorPlans: store.floorPlans(),
      epochs: store.epochs(),
      mutations: store.mutations(),
      finalizing: store.finalizing().map((f) => f.posReference),
    }));
  }

  seedOf(homeKey: string): Promise<KeyContents> {
    return settledPromise(() => this.store.seedOf(homeKey));
  }

  takeOver(node: string, now: number): Promise<number> {
    const { store } = this;
    return settledPromise(() =>
      store.transaction(() => {
        const next = Number(store.meta(EPOCH_KEY) ?? '0') + 1;
        store.setMeta(EPOCH_KEY, String(next));
        store.setMeta('hub_epoch_taken', JSON.stringify({ node, at: now }));
        return next;
      }),
    );
  }

  currentEpoch(): Promise<number> {
    return settledPromise(() => currentEpochOf(this.store));
  }

  meta(key: string): Promise<string | null> {
    return settledPromise(() => this.store.meta(key));
  }

  setMeta(key: string, value: string): Promise<void> {
    return settledPromise(() => this.store.setMeta(key, value));
  }

  deleteMeta(key: string): Promise<boolean> {
    return settledPromise(() => this.store.deleteMeta(key));
  }

  pendingForward(limit: number, now: number): Promise<PendingFinalize[]> {
    return settledPromise(() => this.store.pending(limit, now));
  }

  markForwarded(eventId: number, result: FinalizeSuccess, now: number): Promise<void> {
    return settledPromise(() => this.store.markForwarded(eventId, result, now));
  }

  markAttemptFailed(eventId: number, error: string, nextAttemptAt: number): Promise<void> {
    return settledPromise(() => this.store.markAttemptFailed(eventId, error, nextAttemptAt));
  }

  markDead(eventId: number, error: string, now: number): Promise<void> {
    return settledPromise(() => this.store.markDead(eventId, error, now));
  }

  prune(limits: PruneLimits): Promise<PruneOutcome> {
    return settledPromise(() => this.store.pruneScheduled(limits));
  }

  trimEvents(retention: number): Promise<void> {
    return settledPromise(() => this.store.prune(retention));
  }

  reset(): Promise<void> {
    return settledPromise(() => this.store.reset());
  }

  checkpoint(): Promise<boolean> {
    return settledPromise(() => this.store.checkpoint());
  }

  tallies(): ReturnType<HubStorePort['tallies']> {
    return settledPromise(() => this.store.tallies());
  }

  recentEvents(limit: number): ReturnType<HubStorePort['recentEvents']> {
    return settledPromise(() => this.store.recentEvents(limit));
  }

  quarantinedRecords(): readonly QuarantinedRecord[] {
    return this.store.quarantinedRecords();
  }

  close(): Promise<void> {
    return settledPromise(() => this.store.close());
  }
}
