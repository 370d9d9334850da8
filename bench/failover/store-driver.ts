/**
 * Driver (a) of the failover suite: N writers on the store port's Postgres adapter, each doing what a hub's
 * writer does with one terminal's writes — one unit per write (an event carrying the mutation id, and the
 * mutation's remembered reply), deduplicated by mutation id, and after any failure the same write resent with
 * the same id until a primary answers (pg-failover.test.ts does the same once). Each writer also reads the
 * served events back through the adapter, as a hub serves them (up to its high-water mark), logging every
 * seq it saw. Every loop is bounded by the driver's deadline.
 */
import pg from 'pg';
import { PgStore } from '../../src/adapters/postgres/store.js';
import type { StoreUnit } from '../../src/ports/store.js';
import type { WriteDriver } from './driver.js';
import type { Ack, FinalState, Seen, StoredWrite } from './run-log.js';

export interface StoreDriverOptions {
  /** HUB_PG_URL: both nodes, read-write first. */
  readonly url: string;
  readonly writers: number;
  /** Pause between one write's ack and the next write: the load's pace. */
  readonly intervalMs: number;
  /** Pause after a failed attempt before the resend. */
  readonly retryMs: number;
  /** Read served events back every this many acks. */
  readonly readEvery: number;
  /** Nothing runs past this many ms after start() (the run's bound). */
  readonly limitMs: number;
}

export const DEFAULT_STORE_DRIVER: Omit<StoreDriverOptions, 'url'> = {
  writers: 4,
  intervalMs: 20,
  retryMs: 100,
  readEvery: 10,
  limitMs: 300_000,
};

const WRITE_TYPE = 'FAILOVER_WRITE';

/** A write of this driver's from its event payload: its mutation id, else null. */
function writeOf(payload: unknown): string | null {
  const p = payload as { type?: unknown; mutationId?: unknown } | null;
  return p?.type === WRITE_TYPE && typeof p.mutationId === 'string' ? p.mutationId : null;
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Pending {
  readonly mutationId: string;
  readonly firstSentAt: number;
  attempts: number;
  lastSentAt: number;
  /** The terminal was cut off while this write was in flight: its first answer is dropped. */
  answerLost: boolean;
}

function unitFor(terminalId: string, mutationId: string): StoreUnit {
  return {
    dedupe: { terminalId, mutationId },
    ops: [
      {
        op: 'event',
        type: WRITE_TYPE,
        posReference: null,
        payload: { type: WRITE_TYPE, mutationId, writer: terminalId },
        sourceTerminal: terminalId,
      },
      { op: 'mutation', terminalId, mutationId, homeKey: 'failover', posReference: null, result: { type: 'ACK', mutationId } },
    ],
  };
}

class StoreWriter {
  private store: PgStore | null = null;
  private pending: Pending | null = null;
  private next = 0;
  private lastSeen = 0;
  private acksSinceRead = 0;
  /** 'cutting': drop the next answer, then go quiet until reconnect(). */
  state: 'running' | 'cutting' | 'cut' | 'stopping' | 'done' = 'running';
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private stopBy = Infinity;

  constructor(
    readonly terminalId: string,
    private readonly options: StoreDriverOptions,
    private readonly runId: string,
    private readonly deadline: number,
    private readonly acks: Ack[],
    private readonly seen: Seen[],
  ) {}

  begin(): void {
    this.loop = this.run();
  }

  resume(): void {
    if (this.state === 'cut') this.state = 'running';
    this.wake?.();
  }

  /** Stop sending; the write in flight is resent until answered or `limitMs` passed (then it was never acked). */
  async finish(limitMs: number): Promise<void> {
    this.stopBy = Math.min(this.stopBy, Date.now() + limitMs);
    if (this.state !== 'done') this.state = 'stopping';
    this.wake?.();
    await this.loop;
    await this.store?.close().catch(() => undefined);
    this.store = null;
  }

  private async run(): Promise<void> {
    while (Date.now() < Math.min(this.deadline, this.stopBy)) {
      if (this.state === 'cut') {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, Math.max(0, this.deadline - Date.now()));
        });
        this.wake = null;
        continue;
      }
      if (this.pending === null) {
        if (this.state === 'stopping') break;
        this.next += 1;
        this.pending = { mutationId: `${this.runId}-${this.terminalId}-${this.next}`, firstSentAt: Date.now(), attempts: 0, lastSentAt: 0, answerLost: false };
      }
      const pending = this.pending;
      pending.attempts += 1;
      pending.lastSentAt = Date.now();
      try {
        this.store ??= await PgStore.open({ url: this.options.url, connectTimeoutMs: 1000 });
        const result = await this.store.commit([unitFor(this.terminalId, pending.mutationId)], Date.now());
        if (this.state === 'cutting' && !pending.answerLost) {
          pending.answerLost = true;
          this.state = 'cut';
          continue;
        }
        const outcome = result.units[0];
        const seq = outcome?.kind === 'applied' ? outcome.seq : (outcome?.reply as { seq?: unknown } | undefined)?.seq;
        if (typeof seq !== 'number') throw new Error(`no seq in ${JSON.stringify(outcome)}`);
        this.acks.push({
          writer: this.terminalId,
          mutationId: pending.mutationId,
          seq,
          by: `store:${this.terminalId}`,
          firstSentAt: pending.firstSentAt,
          lastSentAt: pending.lastSentAt,
          ackAt: Date.now(),
          attempts: pending.attempts,
          duplicate: outcome?.kind === 'duplicate',
        });
        this.pending = null;
        this.acksSinceRead += 1;
        if (this.acksSinceRead >= this.options.readEvery) await this.readServed();
        if (this.state === 'cutting') this.state = 'cut';
        else await sleep(this.options.intervalMs);
      } catch {
        // The connection is gone or the primary is changing: the same write again, after a pause.
        await this.store?.close().catch(() => undefined);
        this.store = null;
        await sleep(this.options.retryMs);
      }
    }
    this.state = 'done';
  }

  /** What the hub would serve: events after the last seen, up to the adapter's high-water mark. */
  private async readServed(): Promise<void> {
    this.acksSinceRead = 0;
    const store = this.store;
    if (store === null) return;
    const events = await store.readEvents(this.lastSeen, 5000);
    const at = Date.now();
    if (events === null) {
      // More than a window behind (or before the run's first seq): resume from the mark, as a full sync would.
      this.lastSeen = store.highWaterMark();
      return;
    }
    for (const e of events) {
      const mutationId = writeOf(e.payload);
      this.seen.push({ writer: this.terminalId, seq: e.seq, mutationId, at });
      this.lastSeen = Math.max(this.lastSeen, e.seq);
    }
  }

  startFrom(seq: number): void {
    this.lastSeen = seq;
  }
}

export function storeDriver(options: StoreDriverOptions): WriteDriver {
  let writers: StoreWriter[] = [];
  let acks: Ack[] = [];
  let seen: Seen[] = [];
  let startSeq = 0;
  const drivers: WriteDriver = {
    kind: 'store',
    writeOf,
    async start(runId) {
      acks = [];
      seen = [];
      const deadline = Date.now() + options.limitMs;
      writers = Array.from({ length: options.writers }, (_, k) => new StoreWriter(`T${k + 1}`, options, runId, deadline, acks, seen));
      for (const w of writers) {
        w.startFrom(startSeq);
        w.begin();
      }
    },
    ackCount: () => acks.length,
    diagnose: () => writers.map((w) => `${w.terminalId} ${w.state}`).join(', '),
    lastAckAt: () => acks.at(-1)?.ackAt ?? null,
    async cutOff() {
      for (const w of writers) if (w.state === 'running') w.state = 'cutting';
      // Each writer's write in flight lands (answer dropped) or fails; bounded by the run's limit.
      const until = Date.now() + 30_000;
      while (writers.some((w) => w.state === 'cutting') && Date.now() < until) await sleep(20);
    },
    async reconnect() {
      for (const w of writers) w.resume();
    },
    async stop(limitMs) {
      await Promise.all(writers.map((w) => w.finish(limitMs)));
      return { acks: [...acks], seen: [...seen] };
    },
    async readFinal(url, node, afterSeq) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, query_timeout: 30_000 });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string; payload: string | null }>(
          'SELECT id, payload FROM events WHERE id > $1 ORDER BY id',
          [afterSeq],
        );
        const writes: StoredWrite[] = [];
        for (const r of rows) {
          const mutationId = r.payload === null ? null : writeOf(JSON.parse(r.payload));
          if (mutationId !== null) writes.push({ mutationId, seq: Number(r.id) });
        }
        return { node, afterSeq, seqs: rows.map((r) => Number(r.id)), writes, takeovers: null } satisfies FinalState;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async currentSeq(url) {
      // Opening the store migrates a fresh cluster and takes the mark from the seq counter.
      const store = await PgStore.open({ url, connectTimeoutMs: 5000 });
      try {
        startSeq = store.highWaterMark();
        return startSeq;
      } finally {
        await store.close();
      }
    },
    async killLeaderHub(_restartAfterMs: number) {
      throw new Error('the store driver runs no hub: kill-hub needs the hub driver');
    },
    async close() {
      await Promise.all(writers.map((w) => w.finish(0)));
    },
  };
  return drivers;
}
