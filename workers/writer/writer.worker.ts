/**
 * Writer worker entry: opens the one SQLite handle, wires the WriterCore to the front (parentPort)
 * and to each shard's own MessagePort, with this thread's metrics registry and the Odoo forwarder.
 * A database that cannot be opened is reported as DATABASE_UNUSABLE with its fault class (main.ts exits
 * with that class's code); any other uncaught failure is reported with its cause (SQLite code, errno)
 * and kills the thread on purpose: the hub then exits and restarts from SQLite.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLogger } from '../../src/adapters/log/logger.js';
import { HubStore } from '../../src/adapters/sqlite/store.js';
import type { Config } from '../../src/config.js';
import { systemClock } from '../../src/ports/clock.js';
import { HubError, causeOf, describeCause, toHubError, type HubErrorData } from '../../src/protocol/errors.js';
import { classifyStartupError, preflightDatabase, type StartupFault } from '../../src/adapters/sqlite/storage-fault.js';
import { createThreadMetrics, snapshotThreadMetrics } from '../../src/adapters/metrics/index.js';
import { createForwarder } from '../../src/adapters/odoo/forwarder.js';
import type { FrontToWriter, ShardToWriter, WriterToFront, WriterToShard } from '../protocol.js';
import { WriterCore } from './writer-core.js';

export interface WriterWorkerData {
  readonly config: Config;
  readonly shards: number;
  readonly shardPorts: MessagePort[];
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
  const unusable = (fault: StartupFault): HubError => new HubError('DATABASE_UNUSABLE', fault.line, { details: { fault: fault.fault, path: fault.path, cause: fault.cause } });
  const before = preflightDatabase(path);
  if (before !== null) throw unusable(before);
  try {
    return new HubStore(options);
  } catch (error) {
    const fault = classifyStartupError(path, error);
    throw fault === null ? error : unusable(fault);
  }
}

async function main(): Promise<void> {
  if (!parentPort) throw new Error('writer.worker must run in a worker thread');
  const port = parentPort;
  const data = workerData as WriterWorkerData;
  const config = data.config;
  const log = createLogger({ level: config.HUB_LOG_LEVEL, pretty: config.HUB_LOG_PRETTY, thread: 'writer' });
  const metrics = createThreadMetrics('writer');
  const store = openStore({
    path: config.HUB_DB_PATH,
    sync: config.HUB_DB_SYNC,
    readLimits: { maxBytes: config.HUB_FRAME_MAX_BYTES, maxDepth: config.HUB_FRAME_MAX_DEPTH, maxKeys: config.HUB_FRAME_MAX_KEYS, maxArray: config.HUB_FRAME_MAX_ARRAY, maxString: config.HUB_FRAME_MAX_STRING },
    onQuarantine: (record) => {
      metrics.quarantined(record.kind);
      log.error({ quarantined: record }, 'stored record cannot be read safely; left out of every read and reported to managers');
    },
  });
  // A message that cannot be cloned must not end the thread: its deliveries are dropped, logged and counted.
  const toFront = (message: WriterToFront): void => {
    try {
      port.postMessage(message);
    } catch (error) {
      metrics.quarantined('message');
      log.error({ err: toHubError(error), kind: message.kind }, 'message to the front could not be cloned; left out');
      if (message.kind === 'deliver') port.postMessage({ kind: 'deliver', deliveries: [], stats: message.stats } satisfies WriterToFront);
    }
  };
  const core = new WriterCore({
    store,
    config,
    clock: systemClock,
    log,
    metrics,
    toFront,
    createForwarder,
    snapshotMetrics: snapshotThreadMetrics,
    // Every shard hears it: a transfer fences one actor on each side, and the notice is rare and small.
    onRollback: (generation) => {
      for (const shardPort of data.shardPorts) shardPort.postMessage({ kind: 'rollback', generation } satisfies WriterToShard);
    },
    onTransfersCommitted: (txIds) => {
      for (const shardPort of data.shardPorts) shardPort.postMessage({ kind: 'committed', txIds } satisfies WriterToShard);
    },
  });
  log.info({ seq: store.currentSeq() }, 'writer ready');

  data.shardPorts.forEach((shardPort) => {
    shardPort.on('message', (message: ShardToWriter) => {
      switch (message.kind) {
        case 'units':
          core.enqueue(message.units, message.generation);
          break;
        case 'load': {
          const seed = core.loadSeed(message.shard, message.shards, message.scope);
          const reply: WriterToShard = { kind: 'loaded', reqId: message.reqId, seed, generation: core.generation };
          shardPort.postMessage(reply);
          break;
        }
        case 'load_key':
          core.loadKey(message.key, (seed) => shardPort.postMessage({ kind: 'loaded_key', key: message.key, seed } satisfies WriterToShard));
          break;
        default: {
          const unreachable: never = message;
          throw new Error(`unknown shard message ${JSON.stringify(unreachable)}`);
        }
      }
    });
  });

  port.on('message', (batch: FrontToWriter[]) => {
    for (const message of batch) handleFront(message);
  });
  function handleFront(message: FrontToWriter): void {
    switch (message.kind) {
      case 'units':
        core.enqueue(message.units);
        break;
      case 'request':
        core.request(message.req).then(
          (value) => {
            try {
              port.postMessage({ kind: 'reply', reqId: message.reqId, ok: true, value } satisfies WriterToFront);
            } catch (error) {
              metrics.quarantined('message');
              log.error({ err: toHubError(error), req: message.req.type }, 'reply to the front could not be cloned');
              const failed = new HubError('INTERNAL', 'the reply could not be sent between threads').toData();
              port.postMessage({ kind: 'reply', reqId: message.reqId, ok: false, error: failed } satisfies WriterToFront);
            }
          },
          (error: unknown) => port.postMessage({ kind: 'reply', reqId: message.reqId, ok: false, error: toHubError(error).toData() } satisfies WriterToFront),
        );
        if (message.req.type === 'stop') {
          for (const shardPort of data.shardPorts) shardPort.close();
        }
        break;
      default: {
        const unreachable: never = message;
        throw new Error(`unknown front message ${JSON.stringify(unreachable)}`);
      }
    }
  }
  port.postMessage({ kind: 'stats', stats: core.stats() } satisfies WriterToFront);
}

/** A thread's uncaught error crosses to the front as a bare `{code}` (SqliteError does not clone):
 *  report it ourselves, with its cause, before the thread ends. */
function die(error: unknown): never {
  parentPort?.postMessage({ kind: 'fatal', error: fatalData(toHubError(error), causeOf(error)) } satisfies WriterToFront);
  process.exit(1);
}

process.on('uncaughtException', die);
main().catch(die);
