/**
 * Shard worker entry: rebuilds its table actors from the writer (over its own MessagePort), then
 * takes batches from the front and sends each turn's Units to the writer in one message.
 * An uncaught failure ends the thread; the hub treats that as fatal and restarts from SQLite.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLogger } from '../../src/adapters/log/logger.js';
import type { Config } from '../../src/config.js';
import { systemClock } from '../../src/ports/clock.js';
import { toHubError } from '../../src/protocol/errors.js';
import { createThreadMetrics, snapshotThreadMetrics } from '../../src/adapters/metrics/index.js';
import { validateSnapshotChange } from '../../src/domain/index.js';
import type { FrontToShard, ShardToFront, ShardToWriter, WriterToShard } from '../protocol.js';
import { ShardHost } from './shard-host.js';

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
        validateSnapshotChange(previous, next, { ...options, values: { maxQty: config.HUB_ORDER_MAX_QTY, maxPrice: config.HUB_ORDER_MAX_PRICE } }),
    },
    sink: (units) => {
      try {
        writerPort.postMessage({ kind: 'units', units, generation } satisfies ShardToWriter);
      } catch {
        // One unit that cannot be cloned must not take the others (or this thread) with it.
        for (const unit of units) {
          try {
            writerPort.postMessage({ kind: 'units', units: [unit], generation } satisfies ShardToWriter);
          } catch (error) {
            metrics.quarantined('unit');
            log.error({ err: toHubError(error), ops: unit.ops.map((o) => o.op) }, 'write unit could not be sent to the writer; quarantined');
          }
        }
      }
    },
    relay: (relays) => {
      try {
        port.postMessage({ kind: 'relay', relays } satisfies ShardToFront);
      } catch (error) {
        metrics.quarantined('message');
        log.error({ err: toHubError(error), relays: relays.length }, 'transfer steps could not be sent to the front; left out');
      }
    },
    // Idle actors leave memory and come back from SQLite on demand (the writer answers on this port, in order).
    loadKey: (key) => writerPort.postMessage({ kind: 'load_key', key } satisfies ShardToWriter),
    evictAfterMs: config.HUB_ACTOR_IDLE_MS,
  });

  /** The writer's storage generation this shard's memory was loaded at; stamped on every unit. */
  let generation = 0;
  let loadSeq = 0;
  const loads = new Map<number, () => void>();
  const reload = (): Promise<void> =>
    new Promise((resolve) => {
      const reqId = ++loadSeq;
      loads.set(reqId, resolve);
      writerPort.postMessage({ kind: 'load', reqId, shard: index, shards, scope: 'grants' } satisfies ShardToWriter);
    });
  writerPort.on('message', (message: WriterToShard) => {
    switch (message.kind) {
      case 'loaded':
        host.load(message.seed);
        generation = message.generation;
        loads.get(message.reqId)?.();
        loads.delete(message.reqId);
        return;
      case 'committed':
        host.committed(message.txIds);
        return;
      case 'rollback':
        // A commit failed: drop what the actors believe and reload what SQLite holds. Units sent
        // meanwhile carry the old generation and are refused by the writer (retryable), so none of
        // them builds on state that was never stored.
        if (message.generation > generation) {
          reload().then(
            () => log.warn({ generation }, 'shard reloaded from SQLite after a failed commit'),
            (error: unknown) => log.error({ err: error }, 'shard reload failed'),
          );
        }
        return;
      case 'loaded_key':
        host.loaded(message.key, message.seed);
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`unknown writer message ${JSON.stringify(unreachable)}`);
      }
    }
  });

  await reload();
  log.info({ actors: host.actorCount }, 'shard ready');

  const reply = (m: ShardToFront): void => port.postMessage(m);
  port.on('message', (batch: FrontToShard[]) => {
    const work: FrontToShard[] = [];
    for (const m of batch) {
      if (m.kind !== 'request') {
        work.push(m);
        continue;
      }
      host.handleBatch(work.splice(0));
      const { reqId, req } = m;
      const answer = async (): Promise<unknown> => {
        switch (req.type) {
          case 'quiesce':
            host.stop();
            await reload();
            host.stop();
            return null;
          case 'reload':
            await reload();
            return { actors: host.actorCount };
          case 'collect_metrics':
            return await snapshotThreadMetrics();
          case 'stop':
            host.stop();
            return null;
          default: {
            const unreachable: never = req;
            throw new Error(`unknown shard request ${JSON.stringify(unreachable)}`);
          }
        }
      };
      answer().then(
        (value) => reply({ kind: 'reply', reqId, ok: true, value }),
        (error: unknown) => reply({ kind: 'reply', reqId, ok: false, error: toHubError(error).toData() }),
      );
    }
    host.handleBatch(work);
  });
  reply({ kind: 'ready', actors: host.actorCount });
}

await main();
