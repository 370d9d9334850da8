/**
 * Writer worker entry: opens the one SQLite handle, wires the WriterCore to the front (parentPort)
 * and to each shard's own MessagePort, and loads the metrics adapter and Odoo forwarder when present.
 * Any uncaught failure kills the thread on purpose: the hub then exits and restarts from SQLite.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLogger } from '../../src/adapters/log/logger.js';
import { HubStore } from '../../src/adapters/sqlite/store.js';
import type { Config } from '../../src/config.js';
import { systemClock } from '../../src/ports/clock.js';
import { noopMetrics, type HubMetrics } from '../../src/ports/metrics.js';
import { toHubError } from '../../src/protocol/errors.js';
import { importIfPresent } from '../optional-module.js';
import type { FrontToWriter, ShardToWriter, WriterToFront, WriterToShard } from '../protocol.js';
import { WriterCore, type ForwarderFactory } from './writer-core.js';

export interface WriterWorkerData {
  readonly config: Config;
  readonly shards: number;
  readonly shardPorts: MessagePort[];
}

type MetricsModule = { createThreadMetrics(thread: string): HubMetrics; snapshotThreadMetrics(): Promise<unknown> };
type ForwarderModule = { createForwarder: ForwarderFactory };

async function main(): Promise<void> {
  if (!parentPort) throw new Error('writer.worker must run in a worker thread');
  const port = parentPort;
  const data = workerData as WriterWorkerData;
  const config = data.config;
  const log = createLogger({ level: config.HUB_LOG_LEVEL, thread: 'writer' });
  const metricsModule = await importIfPresent<MetricsModule>('../src/adapters/metrics/index');
  const metrics = metricsModule?.createThreadMetrics('writer') ?? noopMetrics;
  const forwarderModule = await importIfPresent<ForwarderModule>('../src/adapters/odoo/forwarder');
  const store = new HubStore({ path: config.HUB_DB_PATH, sync: config.HUB_DB_SYNC });
  const toFront = (message: WriterToFront): void => port.postMessage(message);
  const core = new WriterCore({
    store,
    config,
    clock: systemClock,
    log,
    metrics,
    toFront,
    createForwarder: forwarderModule?.createForwarder ?? null,
    ...(metricsModule ? { snapshotMetrics: () => metricsModule.snapshotThreadMetrics() } : {}),
  });
  log.info({ forwarder: forwarderModule !== null, seq: store.currentSeq() }, 'writer ready');

  data.shardPorts.forEach((shardPort) => {
    shardPort.on('message', (message: ShardToWriter) => {
      switch (message.kind) {
        case 'units':
          core.enqueue(message.units);
          break;
        case 'load': {
          const reply: WriterToShard = { kind: 'loaded', reqId: message.reqId, seed: core.loadSeed(message.shard, message.shards) };
          shardPort.postMessage(reply);
          break;
        }
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
