/**
 * Where the writer's `commit` stage and its thread's CPU go, one saturation write per commit: the real
 * WriterCore on the real SQLite store port, fed the units a ShardHost makes of the saturation mix
 * (scenarios/writer-commit.ts), the span split into before the store call (units to store ops), the SQL
 * statements, SQLite's COMMIT (WAL frames and, at synchronous=FULL, its fsync), and the stamping after it;
 * then the writer's CPU per write for the whole turn (deliveries posted included). `off` (synchronous=OFF)
 * takes the sync out, so the rest reads without the disk's noise. Wall times move with the box's load;
 * instruction counts do not: run it under callgrind (callgrindPart below) with `--sync off`.
 *   node --import tsx bench/ceilings/commit-split.ts [--writes 2000] [--warm 500] [--sync full,normal,off]
 *   valgrind --tool=callgrind --dump-before=uv_os_getpriority node --import tsx bench/ceilings/commit-split.ts --writes 300 --sync off
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { createLogger } from '../../src/adapters/log/logger.js';
import { SqliteStorePort } from '../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../src/config.js';
import { systemClock } from '../../src/ports/clock.js';
import { noopMetrics, type StageTimer } from '../../src/ports/metrics.js';
import type { FrontToWriter, WriterToFront } from '../../src/threads/contract.js';
import { Endpoint } from '../../src/threads/rpc.js';
import { encodeDeliveries } from '../../workers/writer/encode-deliveries.js';
import { WriterCore } from '../../workers/writer/writer-core.js';
import { saturationUnits } from '../scenarios/writer-commit.js';

type Sync = 'full' | 'normal' | 'off';

/** ns this thread has run (first field of its schedstat). */
const threadNs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
const nowUs = (): number => performance.now() * 1000;

/** Sums of one write's parts over the measured writes, µs. */
interface Split {
  pre: number;
  statements: number;
  commit: number;
  post: number;
  span: number;
  cpu: number;
  writes: number;
}

/**
 * Under `valgrind --tool=callgrind --dump-before=uv_os_getpriority` each call starts a new part: the part between
 * the two calls of a run holds exactly its measured writes (the part's Ir / writes = instructions per write).
 */
const callgrindPart = (): void => void getPriority();

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

/** The marks of the write under way: set by the wrapped store, the transaction body and the stage timer. */
interface Marks {
  storeIn: number;
  bodyIn: number;
  bodyOut: number;
  storeOut: number;
}

function openWriter(sync: Sync, dir: string, split: Split, marks: Marks) {
  const port = SqliteStorePort.open({ path: join(dir, `hub-${sync}.sqlite`), sync: sync === 'full' ? 'full' : 'normal', checkpoints: 'writer' });
  if (sync === 'off') port.store.db.pragma('synchronous = OFF');
  // The transaction body's end splits the store call into statements and SQLite's COMMIT.
  const { store } = port;
  const transaction = store.transaction.bind(store);
  store.transaction = <T>(fn: () => T): T =>
    transaction(() => {
      marks.bodyIn = nowUs();
      const result = fn();
      marks.bodyOut = nowUs();
      return result;
    });
  const commit = port.commit.bind(port);
  port.commit = (units, now, fence) => {
    marks.storeIn = nowUs();
    const result = commit(units, now, fence);
    marks.storeOut = nowUs();
    return result;
  };
  let measuring = false;
  const stages: StageTimer = {
    mark: nowUs,
    end(stage, since) {
      const at = nowUs();
      if (stage === 'commit' && measuring) {
        split.pre += marks.storeIn - since;
        split.statements += marks.bodyOut - marks.bodyIn;
        split.commit += marks.storeOut - marks.storeIn - (marks.bodyOut - marks.bodyIn);
        split.post += at - marks.storeOut;
        split.span += at - since;
      }
      return at;
    },
  };
  // The deliveries cross a real port encoded as the worker sends them (writer.worker.ts); nobody reads them.
  const channel = new MessageChannel();
  const front = new Endpoint<WriterToFront, FrontToWriter>({ peer: 'bench', post: (batch) => channel.port1.postMessage(batch) });
  const core = new WriterCore({
    store: port,
    // The scheduled pruning pass runs on a wall-clock timer: off, so it never lands among the measured writes.
    config: parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0', HUB_PRUNE_INTERVAL_MS: '86400000' }),
    clock: { ...systemClock, afterTurn: (callback) => setImmediate(callback), elapsed: () => performance.now() },
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    stages,
    toFront: (notice, encoded) => front.send(encodeDeliveries(notice, encoded)),
  });
  return { core, channel, measure: (on: boolean) => void (measuring = on) };
}

async function run(sync: Sync, writes: number, warm: number): Promise<Split> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-commit-split-'));
  const split: Split = { pre: 0, statements: 0, commit: 0, post: 0, span: 0, cpu: 0, writes: 0 };
  const marks: Marks = { storeIn: 0, bodyIn: 0, bodyOut: 0, storeOut: 0 };
  const w = openWriter(sync, dir, split, marks);
  try {
    await w.core.ready;
    const units = saturationUnits(120, writes + warm);
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    w.core.enqueue(units.leases);
    await turn();
    for (const [i, unit] of units.writes.entries()) {
      if (i === warm) {
        w.measure(true);
        callgrindPart();
      }
      const cpu0 = threadNs();
      w.core.enqueue([unit]);
      // The commit (next turn), then a checkpoint it made due (the turn after): both are this write's.
      await turn();
      await turn();
      if (i >= warm) {
        split.cpu += (threadNs() - cpu0) / 1000;
        split.writes += 1;
      }
    }
    callgrindPart();
    await w.core.request('stop');
    return split;
  } finally {
    w.channel.port1.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const writes = Number(option('writes', '2000'));
// Enough writes before measuring for V8 to have optimized the path, as it has in a running hub.
const warm = Number(option('warm', '500'));
const syncs = option('sync', 'full,normal,off').split(',') as Sync[];
for (const sync of syncs) {
  if (!['full', 'normal', 'off'].includes(sync)) throw new Error(`--sync full|normal|off, not ${sync}`);
  const s = await run(sync, writes, warm);
  const per = (n: number): number => Math.round((n / s.writes) * 10) / 10;
  console.log(
    JSON.stringify({
      sync,
      writes: s.writes,
      spanUs: per(s.span),
      preUs: per(s.pre),
      statementsUs: per(s.statements),
      sqliteCommitUs: per(s.commit),
      postUs: per(s.post),
      writerCpuUs: per(s.cpu),
    }),
  );
}
