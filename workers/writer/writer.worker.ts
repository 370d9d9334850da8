/**
 * Writer worker entry: opens the one SQLite handle, wires the WriterCore to the front (parentPort)
 * and to each shard's own MessagePort, with this thread's metrics registry and the Odoo forwarder.
 * Any uncaught failure kills the thread on purpose: the hub then exits and restarts from SQLite.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLogger } from '../../src/adapters/log/logger.js';
import { HubStore } from '../../src/adapters/sqlite/store.js';
import type { Config } from '../../src/config.js';
import { systemClock } from '../../src/ports/clock.js';
import { toHubError } from '../../src/protocol/errors.js';
import { createThreadMetrics, snapshotThreadMetrics } from '../../src/adapters/metrics/index.js';
import { createForwarder } from '../../src/adapters/odoo/forwarder.js';
import type { FrontToWriter, ShardToWriter, WriterToFront, WriterToShard } from '../protocol.js';
import { WriterCore } from './writer-core.js';

export interface WriterWorkerData {
  readonly config: Config;
  readonly shards: number;
  readonly shardPorts: MessagePort[];
}

async function main(): Promise<void> {
  if (!parentPort) throw new Error('writer.worker must run in a worker thread');
  const port = parentPort;
  const data = workerData as WriterWorkerData;
  const config = data.config;
  const log = createLogger({ level: config.HUB_LOG_LEVEL, pretty: config.HUB_LOG_PRETTY, thread: 'writer' });
  const metrics = createThreadMetrics('writer');
  const store = new HubStore({ path: config.HUB_DB_PATH, sync: config.HUB_DB_SYNC });
  const toFront = (message: WriterToFront): void => port.postMessage(message);
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
    onTransfersCommitted: (txIds) => {
      for (const shardPort of data.shardPorts) shardPort.postMessage({ kind: 'committed', txIds } satisfies WriterToShard);
    },
  });
  log.info({ seq: store.currentSeq() }, 'writer ready');

  data.shardPorts.forEach((shardPort) => {
    shardPort.on('message', (message: ShardToWriter) => {
      switch (message.kind) {
        case 'units':
          core.enqueue(message.units);
          break;
        case 'load': {
          const reply: WriterToShard = { kind: 'loaded', reqId: message.reqId, seed: core.loadSeed(message.shard, message.shards, message.scope) };
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
          (value) => port.postMessage({ kind: 'reply', reqId: message.reqId, ok: true, value } satisfies WriterToFront),
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

await main();
