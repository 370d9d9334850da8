/**
 * Writer worker entry: opens the store (HUB_STORE: the one SQLite handle by default, or the PostgreSQL
 * cluster at HUB_PG_URL) and serves the WriterCore to the front (parentPort) and to each shard's own
 * MessagePort through the typed RPC (src/threads/rpc.ts), with this thread's metrics registry and the
 * Odoo forwarder. A SQLite database that cannot be opened is reported as DATABASE_UNUSABLE with its fault
 * class (main.ts exits with that class's code); any other uncaught failure is reported with its cause
 * (SQLite code, errno, SQLSTATE) and kills the thread on purpose: the hub then exits and restarts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { joinRequestedGc } from '#adapters/gc/requested-gc.js';
import { createLogger } from '#adapters/log/logger.js';
import { HubStore } from '#adapters/sqlite/store.js';
import { SqliteStorePort } from '#adapters/sqlite/store-port.js';
import type { Config } from '#config';
import { systemClock } from '#ports/clock.js';
import type { QuarantinedRecord } from '#ports/metrics.js';
import type { HubStorePort } from '#ports/store.js';
import { HubError, causeOf, describeCause, toHubError, type HubErrorData } from '#protocol/errors.js';
import { classifyStartupError, preflightDatabase, type StartupFault } from '#adapters/sqlite/storage-fault.js';
import { createThreadMetrics, snapshotThreadMetrics } from '#adapters/metrics/index.js';
import { createForwarder } from '#adapters/odoo/forwarder.js';
import { encodeDeliveries } from './encode-deliveries.js';
import type { FrontToWriter, ShardToWriter, WriterToFront, WriterToShard } from '#threads/contract.js';
import { Endpoint, type Envelope } from '#threads/rpc.js';
import type { ShardSeed } from '#threads/seed.js';
import { WriterCore, type WriterClock } from './writer-core.js';

export interface WriterWorkerData {
  readonly config: Config;
  readonly shards: number;
  readonly shardPorts: MessagePort[];
  /** This hub's id (`<host>.local:<HUB_HTTP_PORT>` by default), recorded with a Postgres takeover. */
}

/** The error the front logs and main.ts maps to an exit code: never without its cause. */
function fatalData(error: HubError, cause: ReturnType<typeof causeOf>): HubErrorData {
  const data = error.toData();
  const message = error.code === 'INTERNAL' ? `writer failed: ${describeCause(cause)}` : data.message;
  return { ...data, message, details: data.details ?? { cause } };
}

/** Open the one SQLite handle, or throw DATABASE_UNUSABLE naming the file, the fault class and the cause. */
function openStore(options: ConstructorParameters<typeof HubStore>[0]): HubStore {
  const { path } = options;
  const unusable = (fault: StartupFault): HubError =>
    new HubError('DATABASE_UNUSABLE', fault.line, {
      details: { fault: fault.fault, path: fault.path, cause: fault.cause },
    });
  const before = preflightDatabase(path);
  if (before !== null) throw unusable(before);
  try {
    return new HubStore(options);
  } catch (error) {
    const fault = classifyStartupError(path, error);
    throw fault === null ? error : unusable(fault);
  }
}

/** The store HUB_STORE names: the SQLite file (checked before it is opened) or the Postgres cluster. */
async function openPort(config: Config, onQuarantine: (record: QuarantinedRecord) => void): Promise<HubStorePort> {
  const readLimits = {
    maxBytes: config.HUB_FRAME_MAX_BYTES,
    maxDepth: config.HUB_FRAME_MAX_DEPTH,
    maxKeys: config.HUB_FRAME_MAX_KEYS,
    maxArray: config.HUB_FRAME_MAX_ARRAY,
    maxString: config.HUB_FRAME_MAX_STRING,
  };
  switch (config.HUB_STORE) {
    case 'sqlite':
      return new SqliteStorePort(openStore({ path: config.HUB_DB_PATH, sync: config.HUB_DB_SYNC, readLimits, onQuarantine, checkpoints: 'writer' }));
    case 'postgres': {
      // Loaded only here: a SQLite hub never loads the Postgres driver.
      const { PgStore } = await import('#adapters/postgres/store.js');
      // With a monitor, a commit made with no synchronous standby is checked with it before the ack (docs/ha.md).
      const { monitorAloneGuard, ALONE_GUARD_TIMEOUT_MS } = await import('#adapters/postgres/alone-guard.js');
      const aloneGuard = config.HUB_PG_MONITOR_URL === '' ? undefined : monitorAloneGuard(config.HUB_PG_MONITOR_URL, ALONE_GUARD_TIMEOUT_MS);
      return PgStore.open({ url: config.HUB_PG_URL, lockTimeoutMs: config.HUB_PG_LOCK_TIMEOUT_MS, readLimits, onQuarantine, aloneGuard });
    }
    default: {
      const unreachable: never = config.HUB_STORE;
      throw new Error(`unknown HUB_STORE ${String(unreachable)}`);
    }
  }
}

/** The system clock, with the event loop's turn and a fine-grained reading the writer needs. */
const writerClock: WriterClock = {
  ...systemClock,
  afterTurn: (callback) => setImmediate(callback),
  elapsed: () => performance.now(),
};

async function main(): Promise<void> {
  if (!parentPort) throw new Error('writer.worker must run in a worker thread');
  const port = parentPort;
  const data = workerData as WriterWorkerData;
  const config = data.config;
  const log = createLogger({ level: config.HUB_LOG_LEVEL, pretty: config.HUB_LOG_PRETTY, thread: 'writer' });
  const metrics = createThreadMetrics('writer');
  joinRequestedGc(); // bench-only, under --expose-gc (src/adapters/gc/requested-gc.ts)
  const store = await openPort(config, (record) => {
    metrics.quarantined(record.kind);
    log.error({ quarantined: record }, 'stored record cannot be read safely; left out of every read and reported to managers');
  });
  // A message that cannot be cloned must not end the thread: it is left out, logged and counted, and a
  // delivery's counters still reach the front.
  const front: Endpoint<WriterToFront, FrontToWriter> = new Endpoint({
    peer: 'the front',
    post: (batch) => port.postMessage(batch),
    onUnsendable: (error, event) => {
      metrics.quarantined('message');
      log.error({ err: error, event: event?.type }, 'message to the front could not be cloned; left out');
      if (event?.type === 'deliver') front.emit('deliver', { deliveries: [], stats: event.input.stats });
    },
  });
  const shards = data.shardPorts.map((shardPort, index) => {
    const shard: Endpoint<WriterToShard, ShardToWriter> = new Endpoint({
      peer: `shard-${index}`,
      post: (batch) => shardPort.postMessage(batch),
      onUnsendable: (error, event) => {
        metrics.quarantined('message');
        log.error({ err: error, event: event?.type }, 'message to a shard could not be cloned; left out');
      },
    });
    shardPort.on('message', (batch: unknown) => shard.receive(batch));
    return { port: shardPort, endpoint: shard };
  });
  const core = new WriterCore({
    store,
    config,
    clock: writerClock,
    log,
    metrics,
    toFront: (notice, encoded) => front.send(encodeDeliveries(notice, encoded)),
    createForwarder,
    snapshotMetrics: snapshotThreadMetrics,
    // A replicated store is written by its leader only: this writer waits for `take_over` (src/hub/leadership.ts).
    role: config.HUB_STORE === 'postgres' ? 'follower' : 'standalone',
    // Every shard hears it: a transfer fences one actor on each side, and the notice is rare and small.
    onRollback: (generation) => {
      for (const shard of shards) shard.endpoint.emit('rollback', { generation });
    },
    onRefresh: (refresh) => {
      for (const shard of shards) shard.endpoint.emit('refresh', refresh);
    },
    onTransfersCommitted: (txIds) => {
      for (const shard of shards) shard.endpoint.emit('committed', { txIds });
    },
  });
  await core.ready;
  log.info({ store: store.engine, seq: store.highWaterMark() }, 'writer ready');

  for (const shard of shards) {
    shard.endpoint.serve({
      requests: {
        load: ({ shard: index, shards: count, scope }) => {
          const seed = core.loadSeed(index, count, scope);
          // The generation the seed was read at: a failed commit after the read makes it stale.
          // Read as the seed is answered: a follower's actors must not act on expiry (shard-host.ts).
          const loaded = (s: ShardSeed) => ({ seed: s, generation: core.generation, following: core.following });
          return seed instanceof Promise ? seed.then(loaded) : loaded(seed);
        },
      },
      events: (event) => {
        switch (event.type) {
          case 'units':
            core.enqueue(event.input.units, event.input.generation);
            return;
          case 'load_key': {
            const { key } = event.input;
            core.loadKey(key, (seed) => shard.endpoint.emit('loaded_key', { key, seed }));
            return;
          }
          default: {
            const unreachable: never = event;
            throw new Error(`unknown shard event ${JSON.stringify(unreachable)}`);
          }
        }
      },
    });
  }

  front.serve({
    requests: {
      ...core.handlers,
      stop: () => {
        const stopped = core.handlers.stop(undefined);
        // Nothing a shard sends after this is stored: the hub is shutting down.
        for (const shard of shards) shard.port.close();
        return stopped;
      },
    },
    events: (event) => {
      switch (event.type) {
        case 'units':
          core.enqueue(event.input.units);
          return;
        default: {
          const unreachable: never = event.type;
          throw new Error(`unknown front event ${JSON.stringify(unreachable)}`);
        }
      }
    },
  });
  port.on('message', (batch: unknown) => front.receive(batch));
  front.emit('stats', core.stats());
}

/** A thread's uncaught error crosses to the front as a bare `{code}` (SqliteError does not clone):
 *  report it ourselves, with its cause, before the thread ends. */
function die(error: unknown): never {
  const fatal: Envelope = {
    rpc: 'event',
    type: 'fatal',
    input: fatalData(toHubError(error), causeOf(error)) satisfies WriterToFront['events']['fatal'],
  };
  parentPort?.postMessage([fatal]);
  process.exit(1);
}

process.on('uncaughtException', die);
main().catch(die);
