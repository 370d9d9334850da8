/**
 * Shard worker entry: rebuilds its table actors from the writer (over its own MessagePort), then
 * takes batches from the front and sends each turn's Units to the writer in one message. Both ports
 * speak the typed RPC (src/threads/rpc.ts). An uncaught failure ends the thread; the hub treats that
 * as fatal and restarts from SQLite.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { joinRequestedGc } from '#adapters/gc/requested-gc.js';
import { createLogger } from '#adapters/log/logger.js';
import type { Config } from '#config';
import { systemClock } from '#ports/clock.js';
import { HubError } from '#protocol/errors.js';
import { createThreadMetrics, snapshotThreadMetrics } from '#adapters/metrics/index.js';
import { validateSnapshotChange } from '#domain/index.js';
import type { FrontToShard, ShardInput, ShardToFront, ShardToWriter, WriterToShard } from '#threads/contract.js';
import { Endpoint } from '#threads/rpc.js';
import { ShardHost } from './shard-host.js';
import { ShardReloader } from './reloader.js';

export interface ShardWorkerData {
  readonly config: Config;
  readonly index: number;
  readonly shards: number;
  readonly writerPort: MessagePort;
}

async function main(): Promise<void> {
  if (!parentPort) throw new Error('shard.worker must run in a worker thread');
  const port = parentPort;
  const data = workerData as ShardWorkerData;
  const { config, index, shards, writerPort } = data;
  const log = createLogger({ level: config.HUB_LOG_LEVEL, pretty: config.HUB_LOG_PRETTY, thread: `shard-${index}` });
  const metrics = createThreadMetrics(`shard-${index}`);
  joinRequestedGc(); // bench-only, under --expose-gc (src/adapters/gc/requested-gc.ts)

  const writer: Endpoint<ShardToWriter, WriterToShard> = new Endpoint({
    peer: 'the writer',
    post: (batch) => writerPort.postMessage(batch),
    onUnsendable: (error, event) => {
      // One unit that cannot be cloned must not take the others (or this thread) with it.
      if (event?.type === 'units' && event.input.units.length > 1) {
        for (const unit of event.input.units)
          writer.emit('units', { units: [unit], generation: event.input.generation });
        return;
      }
      metrics.quarantined(event?.type === 'units' ? 'unit' : 'message');
      log.error(
        {
          err: error,
          ops: event?.type === 'units' ? event.input.units.flatMap((u) => u.ops.map((o) => o.op)) : undefined,
        },
        'message to the writer could not be sent; quarantined',
      );
    },
  });
  writerPort.on('message', (batch: unknown) => writer.receive(batch));
  // The writer's thread ended (or closed this port at shutdown): a load in flight must not wait forever.
  writerPort.on('close', () => writer.fail(new HubError('WORKER_DIED', 'the writer closed its port to this shard')));

  const front: Endpoint<ShardToFront, FrontToShard> = new Endpoint({
    peer: 'the front',
    post: (batch) => port.postMessage(batch),
    onUnsendable: (error, event) => {
      metrics.quarantined('message');
      log.error({ err: error, event: event?.type }, 'message to the front could not be sent; left out');
    },
  });

  const host = new ShardHost({
    index,
    clock: systemClock,
    metrics,
    log,
    env: {
      timings: {
        leaseTtlMs: config.HUB_LEASE_TTL_MS,
        leaseGraceMs: config.HUB_GRACE_MS,
        lockTtlMs: config.HUB_TABLE_LOCK_TTL_MS,
        lockGraceMs: config.HUB_TABLE_LOCK_GRACE_MS,
      },
      sendChangesToKitchen: config.HUB_SEND_CHANGES_TO_KITCHEN,
      validate: (previous, next, options) =>
        validateSnapshotChange(previous, next, {
          ...options,
          values: { maxQty: config.HUB_ORDER_MAX_QTY, maxPrice: config.HUB_ORDER_MAX_PRICE },
        }),
    },
    sink: (units) => writer.emit('units', { units, generation: reloader.generation }),
    relay: (relays) => front.emit('relay', relays),
    // Idle actors leave memory and come back from SQLite on demand (the writer answers on this port, in order).
    loadKey: (key) => writer.emit('load_key', { key }),
    evictAfterMs: config.HUB_ACTOR_IDLE_MS,
  });

  // The writer's storage generation this shard's memory was loaded at (stamped on every unit), and the
  // loads that keep it level with the writer's after a failed commit (retried until one succeeds).
  const reloader = new ShardReloader({
    load: () => writer.request('load', { shard: index, shards, scope: 'grants' }),
    apply: (loaded) => host.load(loaded.seed, loaded.following === true),
    clock: systemClock,
    log,
    count: (outcome) => metrics.shardReload(outcome),
  });
  writer.serve({
    requests: {},
    events: (event) => {
      switch (event.type) {
        case 'committed':
          host.committed(event.input.txIds);
          return;
        case 'rollback':
          // A commit failed: drop what the actors believe and reload what SQLite holds. Units sent
          // meanwhile carry the old generation and are refused by the writer (retryable), so none of
          // them builds on state that was never stored.
          reloader.rollback(event.input.generation);
          return;
        case 'loaded_key':
          host.loaded(event.input.key, event.input.seed);
          return;
        case 'refresh':
          host.refresh(event.input);
          return;
        default: {
          const unreachable: never = event;
          throw new Error(`unknown writer event ${JSON.stringify(unreachable)}`);
        }
      }
    },
  });

  await reloader.reload();
  log.info({ actors: host.actorCount }, 'shard ready');

  // A batch's actor inputs run together and flush once; a request first runs the inputs before it.
  const work: ShardInput[] = [];
  front.serve({
    requests: {
      quiesce: async () => {
        host.handleBatch(work.splice(0));
        host.stop();
        await reloader.reload();
        host.stop();
        return null;
      },
      reload: async () => {
        host.handleBatch(work.splice(0));
        await reloader.reload();
        return { actors: host.actorCount };
      },
      catch_up: ({ generation: next, refresh, seeds }) => {
        host.handleBatch(work.splice(0));
        host.catchUp(refresh, seeds);
        reloader.caughtUp(next);
        return { actors: host.actorCount };
      },
      collect_metrics: () => {
        host.handleBatch(work.splice(0));
        return snapshotThreadMetrics();
      },
      stop: () => {
        host.handleBatch(work.splice(0));
        host.stop();
        reloader.stop();
        return null;
      },
    },
    events: (event) => {
      work.push(event);
    },
    afterBatch: () => host.handleBatch(work.splice(0)),
  });
  port.on('message', (batch: unknown) => front.receive(batch));
  front.emit('ready', { actors: host.actorCount });
}

await main();
