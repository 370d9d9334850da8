/**
 * The hub store on PostgreSQL (port: src/ports/store.ts), for venues that run a primary and a synchronous
 * standby under pg_auto_failover (docs/ha.md). One connection, to the host of a multi-host URL that accepts
 * writes; every call runs alone on it, and a batch of units is one transaction. A commit resolves once
 * the standby has flushed it (synchronous_commit=on), and only then moves the high-water mark that bounds
 * what is served. A lost connection fails the call in flight; the next call reconnects to whichever host
 * is primary by then. A commit lost that way may or may not have been applied: its units are retried with
 * their mutation ids, which the store answers instead of applying twice. Any failed call drops the
 * connection, so a hung primary (no reset, just silence) costs one query timeout, not the writer — or
 * nothing, when the writer changes role and gives the call up (`abandon`).
 * One unit's rows are written by apply-unit.ts, the shards' reads by pg-contents.ts, pruning by pg-prune.ts;
 * all of them, the other reads and the forward queue go through the one serialized connection (`run`, `tx`)
 * this class owns.
 */
import type pg from 'pg';
import type {
  CommitResult,
  HubStorePort,
  KeyContents,
  PruneLimits,
  PruneOutcome,
  RecentEvent,
  StoreContents,
  StoreFault,
  StoreTallies,
  StoreUnit,
  StoredEvent,
  UnitOutcome,
} from '../../ports/store.js';
import { fencedError } from '../../ports/store.js';
import type { FinalizeSuccess, PendingFinalize } from '../../ports/forwarding.js';
import type { QuarantinedRecord } from '../../ports/metrics.js';
import type { OrderSnapshot } from '../../protocol/snapshot.js';
import { DEFAULT_FRAME_LIMITS, type FrameLimits } from '../../protocol/frame-limits.js';
import { CAN_COMMIT_SQL, connectHost, parsePgUrl, type PgHost, type PgTarget } from './connection.js';
import { PG_DATA_TABLES, migratePg } from './schema.js';
import { StoredJsonReader, UNREADABLE } from './stored-json.js';
import { applyUnit, mutationOn } from './apply-unit.js';
import { floorOn, pruneOn, trimOn } from './pg-prune.js';
import { contentsFrom, contentsRows, seedOn } from './pg-contents.js';
import { CommitInDoubtError, classifyPgError, isTimeout } from './pg-fault.js';
import type { AloneCommitGuard } from './alone-guard.js';

export interface PgStoreOptions {
  /** postgres://user@hostA:port,hostB:port/db?target_session_attrs=read-write */
  readonly url: string;
  /** Per host tried; a dead primary's address must not hold up finding the new one. */
  readonly connectTimeoutMs?: number;
  /**
   * Per query, client side. A commit waits for the standby's flush, normally milliseconds; past this the
   * connection is given up (its transaction rolls back on the server unless it already committed).
   */
  readonly queryTimeoutMs?: number;
  /**
   * How long a commit or takeover waits for a lock another session holds (`SET LOCAL lock_timeout`): a
   * half-dead old leader's session holding the takeovers lock then costs a transient refusal, not a hang.
   * Lock waits only: COMMIT's wait for the synchronous standby is not one.
   */
  readonly lockTimeoutMs?: number;
  readonly readLimits?: FrameLimits;
  readonly onQuarantine?: (record: QuarantinedRecord) => void;
  /** Asked after a commit that went through with synchronous_standby_names = '' (alone-guard.ts); none: acked as before. */
  readonly aloneGuard?: AloneCommitGuard;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_QUERY_TIMEOUT_MS = 15_000;
const DEFAULT_LOCK_TIMEOUT_MS = 5000;

type Row = Record<string, unknown>;

export class PgStore implements HubStorePort {
  readonly engine = 'postgres' as const;
  private client: pg.Client | null = null;
  /** The host `client` is on. */
  private host: PgHost | null = null;
  /**
   * The host a call last timed out on (a commit waiting for a synchronous standby that is gone, or a hung
   * node): the next connect tries it last instead of first, so a stuck old primary costs one timeout.
   */
  private avoid: PgHost | null = null;
  /** Every call runs after the one before it: a transaction never shares the connection. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The connection a call is running on now (null between calls): what `abandon` gives up. */
  private busy: pg.Client | null = null;
  private mark = 0;
  private closed = false;
  private readonly json: StoredJsonReader;

  private constructor(
    private readonly target: PgTarget,
    private readonly connectTimeoutMs: number,
    private readonly queryTimeoutMs: number,
    json: StoredJsonReader,
    lockTimeoutMs: number,
    private readonly aloneGuard: AloneCommitGuard | undefined,
  ) {
    this.json = json;
    // SET takes no parameters: an integer is written in, checked here rather than trusted.
    if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 1) throw new RangeError(`lockTimeoutMs must be a positive integer, got ${lockTimeoutMs}`);
    this.setLockTimeout = `SET LOCAL lock_timeout = ${lockTimeoutMs}`;
  }

  /** Sent in the same round trip as the statement that takes the takeovers lock; holds to the transaction's end. */
  private readonly setLockTimeout: string;

  /** Connect, migrate, and take the high-water mark from a write of our own (see establishMark). */
  static async open(options: PgStoreOptions): Promise<PgStore> {
    // Stored records were accepted once: size is not re-checked, depth and counts are.
    const limits = { ...(options.readLimits ?? DEFAULT_FRAME_LIMITS), maxBytes: Number.MAX_SAFE_INTEGER };
    const store = new PgStore(
      parsePgUrl(options.url),
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      new StoredJsonReader(limits, options.onQuarantine ?? (() => undefined)),
      options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      options.aloneGuard,
    );
    await store.run(async () => undefined);
    return store;
  }

  /**
   * Reconnects when needed. After a reconnect (maybe to a new primary) the mark is taken again: our own
   * synchronous commit that read the counter returns only once the standby flushed the WAL up to it,
   * which holds every commit that counter value reflects.
   */
  private async connection(): Promise<pg.Client> {
    if (this.client !== null) return this.client;
    const { host, client } = await connectHost(this.target, this.connectTimeoutMs, this.queryTimeoutMs, this.avoid);
    try {
      await migratePg(client);
      await client.query('BEGIN');
      const { rows } = await client.query<{ seq: number }>(
        'UPDATE seq_counter SET seq = seq WHERE id = 1 RETURNING seq',
      );
      await client.query('COMMIT');
      this.mark = Math.max(this.mark, rows[0]?.seq ?? 0);
    } catch (error) {
      // This commit waits for the synchronous standby too: a primary that lost it times out here.
      if (isTimeout(error)) this.avoid = host;
      await client.end().catch(() => undefined);
      throw error;
    }
    this.avoid = null;
    this.client = client;
    this.host = host;
    return client;
  }

  /** Run `fn` alone on the connection; any failure drops the connection. */
  private run<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const next = this.tail.then(async () => {
      if (this.closed) throw new Error('the postgres store is closed');
      const client = await this.connection();
      this.busy = client;
      try {
        return await fn(client);
      } catch (error) {
        // The connection is in doubt (a transaction may be open, a query may still hang): drop it, which
        // rolls back on the server whatever did not commit; the next call connects afresh.
        if (isTimeout(error)) this.avoid = this.host;
        this.drop();
        throw error;
      } finally {
        this.busy = null;
      }
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  /**
   * Give up the call in flight (ports/store.ts `abandon`): ending a client with a query on the wire destroys
   * its socket, so that query rejects now ("Connection terminated"; a COMMIT's becomes CommitInDoubtError in
   * `tx`) and any later statement of the call is refused by the closed client — a transaction that had not
   * sent COMMIT rolls back on the server. Its host is tried last next time, as after a timeout. A connect
   * under way is not given up: it is bounded by its own timeouts.
   */
  abandon(): boolean {
    if (this.busy === null || this.busy !== this.client) return false;
    this.avoid = this.host;
    this.drop();
    return true;
  }

  private drop(): void {
    const client = this.client;
    this.client = null;
    this.host = null;
    client?.end().catch(() => undefined);
  }

  private async tx<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    return this.run(async (c) => {
      await c.query('BEGIN');
      const result = await fn(c);
      try {
        await c.query('COMMIT');
      } catch (error) {
        // A server that answered COMMIT with an error (serialization, read-only) applied nothing; a
        // connection that died under it leaves the outcome unknown.
        throw (error as { code?: unknown }).code !== undefined && typeof (error as { severity?: unknown }).severity === 'string'
          ? error
          : new CommitInDoubtError(error);
      }
      return result;
    });
  }

  private async rows<T extends Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.run(async (c) => (await c.query<T>(sql, params)).rows);
  }

  classifyError(error: unknown): StoreFault {
    return classifyPgError(error);
  }

  commit(units: readonly StoreUnit[], now: number, fence?: number): Promise<CommitResult> {
    return this.tx(async (c) => {
      if (fence !== undefined) {
        // SHARE conflicts with takeOver's EXCLUSIVE lock (not with other commits): a takeover in flight
        // commits first and this reads its epoch, or waits until this commit is done. Read after the lock,
        // in a statement of its own, so its snapshot includes the takeover it waited for.
        // A session stuck holding the lock (a half-dead old leader) refuses this commit after lock_timeout
        // with 55P03, transient: nothing applied. It covers the row locks below too, never COMMIT's wait.
        await c.query(`${this.setLockTimeout}; LOCK TABLE takeovers IN SHARE MODE`);
        const { rows } = await c.query<{ epoch: number }>('SELECT coalesce(max(epoch), 0) AS epoch FROM takeovers');
        const current = rows[0]?.epoch ?? 0;
        // Nothing was written yet: the throw drops the connection, which rolls the transaction back.
        if (current !== fence) throw fencedError(fence, current);
      }
      // Whether this commit will go through with no synchronous standby, read in a statement it makes anyway.
      const { rows } = await c.query<{ seq: number; alone: boolean }>(
        `SELECT seq, current_setting('synchronous_standby_names') = '' AS alone FROM seq_counter WHERE id = 1 FOR UPDATE`,
      );
      const start = rows[0]?.seq ?? 0;
      const cursor = { seq: start };
      const outcomes: UnitOutcome[] = [];
      for (const unit of units) outcomes.push(await applyUnit(c, this.json, unit, cursor, now));
      if (cursor.seq !== start) await c.query('UPDATE seq_counter SET seq = $1 WHERE id = 1', [cursor.seq]);
      return { outcomes, last: cursor.seq, alone: rows[0]?.alone === true ? this.host : null };
    }).then(async ({ outcomes, last, alone }) => {
      // Applied with no standby: acked only if the monitor is promoting no other node (alone-guard.ts).
      if (alone !== null && this.aloneGuard !== undefined) await this.aloneGuard(alone);
      // COMMIT returned: the standby holds it, and every seq below it (one WAL, taken in order).
      this.mark = Math.max(this.mark, last);
      return { units: outcomes, seq: this.mark };
    });
  }

  highWaterMark(): number {
    return this.mark;
  }

  /**
   * The reconnect's technique, without its lock: a commit this transaction can read wrote its commit record
   * before ours, and ours returns only once the standby flushed the WAL up to it. The counter is read, not
   * locked, and the write is a row of its own, so a leader's commit never waits for a follower's tick.
   */
  refreshMark(): Promise<number> {
    return this.tx(async (c) => {
      const { rows } = await c.query<{ seq: number }>('SELECT seq FROM seq_counter WHERE id = 1');
      const seq = rows[0]?.seq ?? 0;
      await c.query(`INSERT INTO meta (key, value) VALUES ('follower_tail', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(seq)]);
      return seq;
    }).then((seq) => {
      this.mark = Math.max(this.mark, seq);
      return this.mark;
    });
  }

  async homesOf(posReferences: readonly string[] | null): Promise<ReadonlyArray<readonly [string, string]>> {
    const named = posReferences === null ? '' : 'WHERE pos_reference = ANY($1)';
    const rows = await this.rows<{ posReference: string; homeKey: string }>(
      `SELECT pos_reference AS "posReference", home_key AS "homeKey" FROM orders ${named}
       UNION SELECT pos_reference, home_key FROM leases ${named}
       UNION SELECT substr(key, 7), home_key FROM epochs WHERE key LIKE 'lease:%' ${posReferences === null ? '' : 'AND substr(key, 7) = ANY($1)'}`,
      posReferences === null ? [] : [posReferences],
    );
    return rows.map((r) => [r.posReference, r.homeKey] as const);
  }

  async grantKeys(): Promise<string[]> {
    const rows = await this.rows<{ key: string }>(`SELECT home_key AS key FROM leases UNION SELECT 't:' || table_id FROM table_locks`);
    return rows.map((r) => r.key);
  }

  readEvents(afterSeq: number, limit: number, excludeTerminal?: string): Promise<StoredEvent[] | null> {
    return this.run(async (c) => {
      const mark = this.mark;
      if (afterSeq < (await floorOn(c)) || afterSeq > mark) return null;
      const { rows } = await c.query<{ id: number; payload: string }>(
        `SELECT id, payload FROM events WHERE id > $1 AND id <= $2 AND payload IS NOT NULL AND (source_terminal IS NULL OR source_terminal <> $3)
         ORDER BY id LIMIT $4`,
        [afterSeq, mark, excludeTerminal ?? '', limit + 1],
      );
      if (rows.length > limit) return null;
      const events: StoredEvent[] = [];
      for (const r of rows) {
        const payload = this.json.read<unknown>(r.payload, 'event', String(r.id));
        // A gap would be a silently missed broadcast: the caller falls back to a full sync instead.
        if (payload === UNREADABLE || payload === null) return null;
        events.push({ seq: r.id, payload });
      }
      return events;
    });
  }

  getMutation(terminalId: string, mutationId: string, owner = ''): Promise<unknown> {
    return this.run((c) => mutationOn(c, this.json, terminalId, mutationId, owner));
  }

  /** Every row a full reload needs, in one view (pg-contents.ts). */
  async contents(): Promise<StoreContents> {
    const rows = await this.run((c) => contentsRows(c));
    return contentsFrom(rows, this.json);
  }

  /** One actor's rows (pg-contents.ts). */
  async seedOf(homeKey: string): Promise<KeyContents> {
    return this.run((c) => seedOn(c, this.json, homeKey));
  }

  async takeOver(node: string, now: number): Promise<number> {
    // A follower's connection may still be on the old primary, cut off and never demoted: out of recovery
    // but unable to commit. Taking over there would wait a whole query timeout (15 s with no leader at
    // all, seen with two hubs in the failover suite's partition), so look first and reconnect, which picks
    // the node that can commit (connection.ts, chooseHost).
    await this.run(async (c) => {
      const { rows } = await c.query<{ ro: boolean; commits: boolean; alone: boolean }>(
        `SELECT pg_is_in_recovery() AS ro, ${CAN_COMMIT_SQL} AS commits, current_setting('synchronous_standby_names') = '' AS alone`,
      );
      if (rows[0]?.ro !== false || rows[0]?.commits !== true) this.drop();
      // Alone while the monitor already demotes this node: no epoch written (each would look like one more
      // takeover by this hub to a follower's crash-loop count). The check after COMMIT covers the race.
      else if (rows[0]?.alone === true && this.aloneGuard !== undefined && this.host !== null) await this.aloneGuard(this.host);
    });
    return this.tx(async (c) => {
      // EXCLUSIVE blocks other takeovers (not readers): two hubs taking over at once get two different epochs.
      await c.query(`${this.setLockTimeout}; LOCK TABLE takeovers IN EXCLUSIVE MODE`);
      const { rows } = await c.query<{ epoch: number }>(
        'INSERT INTO takeovers (epoch, node, taken_at) SELECT coalesce(max(epoch), 0) + 1, $1, $2 FROM takeovers RETURNING epoch',
        [node, now],
      );
      const epoch = rows[0]?.epoch;
      if (epoch === undefined) throw new Error('takeover inserted no row');
      // Every commit under an older epoch held its SHARE lock until done, so it finished before this lock
      // was granted: the counter read now covers them all, and this synchronous commit makes them durable.
      const seq = await c.query<{ seq: number; alone: boolean }>(
        `SELECT seq, current_setting('synchronous_standby_names') = '' AS alone FROM seq_counter WHERE id = 1`,
      );
      return { epoch, seq: seq.rows[0]?.seq ?? 0, alone: seq.rows[0]?.alone === true ? this.host : null };
    }).then(async ({ epoch, seq, alone }) => {
      // An epoch a failover may drop must not be led under: the hub retries at its next cluster read.
      if (alone !== null && this.aloneGuard !== undefined) await this.aloneGuard(alone);
      // A new leader serves everything its predecessors committed (a follower's mark is its last reconnect's).
      this.mark = Math.max(this.mark, seq);
      return epoch;
    });
  }

  async currentEpoch(): Promise<number> {
    const rows = await this.rows<{ epoch: number }>('SELECT coalesce(max(epoch), 0) AS epoch FROM takeovers');
    return rows[0]?.epoch ?? 0;
  }

  async meta(key: string): Promise<string | null> {
    const rows = await this.rows<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]);
    return rows[0]?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.rows(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  deleteMeta(key: string): Promise<boolean> {
    return this.run(async (c) => ((await c.query('DELETE FROM meta WHERE key = $1', [key])).rowCount ?? 0) > 0);
  }

  async pendingForward(limit: number, now: number): Promise<PendingFinalize[]> {
    return this.run(async (c) => {
      const { rows } = await c.query<{ id: number; posReference: string; finalize: string; attempts: number }>(
        `SELECT id, pos_reference AS "posReference", finalize, attempts FROM events
         WHERE forwarded = 0 AND status = 'pending' AND id <= $3 AND (next_attempt_at IS NULL OR next_attempt_at <= $1) ORDER BY id LIMIT $2`,
        [now, limit, this.mark],
      );
      const out: PendingFinalize[] = [];
      for (const r of rows) {
        const f = this.json.read<{ snapshot: OrderSnapshot; configId: number; terminalId: string }>(
          r.finalize,
          'finalize',
          String(r.id),
        );
        if (f === UNREADABLE || f === null) {
          // Retrying cannot help: dead-letter it so the forwarder moves on and an operator sees it.
          await c.query(`UPDATE events SET status = 'dead', attempts = attempts + 1, last_error = $1 WHERE id = $2`, [
            'quarantined: the stored finalize payload cannot be read safely',
            r.id,
          ]);
          continue;
        }
        out.push({
          eventId: r.id,
          posReference: r.posReference,
          snapshot: f.snapshot,
          configId: f.configId,
          terminalId: f.terminalId,
          attempts: r.attempts,
        });
      }
      return out;
    });
  }

  async markForwarded(eventId: number, result: FinalizeSuccess, now: number): Promise<void> {
    await this.tx(async (c) => {
      await c.query(`UPDATE events SET forwarded = 1, status = 'forwarded', last_error = NULL WHERE id = $1`, [
        eventId,
      ]);
      await c.query('UPDATE orders SET odoo_order_id = $1 WHERE pos_reference = $2', [
        result.orderId,
        result.posReference,
      ]);
      await c.query(
        `INSERT INTO meta (key, value) VALUES ('last_odoo_sync', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [String(now)],
      );
    });
  }

  async markAttemptFailed(eventId: number, error: string, nextAttemptAt: number): Promise<void> {
    await this.rows('UPDATE events SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3', [
      nextAttemptAt,
      error.slice(0, 1000),
      eventId,
    ]);
  }

  async markDead(eventId: number, error: string, now: number): Promise<void> {
    void now;
    await this.rows(`UPDATE events SET status = 'dead', attempts = attempts + 1, last_error = $1 WHERE id = $2`, [
      error.slice(0, 1000),
      eventId,
    ]);
  }

  /** As the SQLite store's pruneScheduled (pg-prune.ts). */
  prune(limits: PruneLimits): Promise<PruneOutcome> {
    return this.tx((c) => pruneOn(c, limits));
  }

  /** As the SQLite store's prune(retention) (pg-prune.ts). */
  trimEvents(retention: number): Promise<void> {
    return this.tx((c) => trimOn(c, retention));
  }

  async reset(): Promise<void> {
    await this.tx(async (c) => {
      await c.query(`TRUNCATE ${PG_DATA_TABLES.join(', ')}`);
      await c.query(
        `INSERT INTO meta (key, value) SELECT 'resume_floor', seq::text FROM seq_counter WHERE id = 1 ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      );
    });
  }

  async tallies(): Promise<StoreTallies> {
    const rows = await this.rows<{
      orders: number;
      leases: number;
      locks: number;
      pending: number;
      forwarded: number;
      dead: number;
    }>(
      `SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM leases) AS leases, (SELECT count(*) FROM table_locks) AS locks,
         (SELECT count(*) FROM events WHERE forwarded IS NOT NULL AND status = 'pending') AS pending,
         (SELECT count(*) FROM events WHERE forwarded IS NOT NULL AND status = 'forwarded') AS forwarded,
         (SELECT count(*) FROM events WHERE forwarded IS NOT NULL AND status = 'dead') AS dead`,
    );
    const r = rows[0];
    return {
      orders: r?.orders ?? 0,
      activeLeases: r?.leases ?? 0,
      activeLocks: r?.locks ?? 0,
      pendingForward: r?.pending ?? 0,
      totalForwarded: r?.forwarded ?? 0,
      deadLetters: r?.dead ?? 0,
    };
  }

  recentEvents(limit: number): Promise<RecentEvent[]> {
    return this.rows<RecentEvent & Row>(
      `SELECT id, type, pos_reference AS "posReference", status, created_at AS "createdAt" FROM events WHERE id <= $2 ORDER BY id DESC LIMIT $1`,
      [limit, this.mark],
    );
  }

  quarantinedRecords(): readonly QuarantinedRecord[] {
    return this.json.records();
  }

  async close(): Promise<void> {
    await this.tail;
    this.closed = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
