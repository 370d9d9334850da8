/**
 * The hub's threads: one writer worker (the only store user: SQLite or Postgres) and N shard workers (table actors), each
 * shard with its own MessageChannel to the writer. Start-up waits for every worker's ready signal and
 * fails fast, with the most telling cause, if any dies first.
 */
import { MessageChannel, type Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import type { HubMetrics } from '../ports/metrics.js';
import type { Logger } from '../adapters/log/logger.js';
import { HubError } from '../protocol/errors.js';
import { WorkerLink } from '../front/worker-link.js';
import type { Relay } from '../threads/actor-io.js';
import type { FrontNotice, FrontToShard, FrontToWriter, ShardToFront, WriterToFront } from '../threads/contract.js';
import { FATAL_GATHER_MS, type FatalWatch } from './fatal.js';
import { spawn } from './spawn.js';

export type WriterLink = WorkerLink<FrontToWriter, WriterToFront>;
export type ShardLink = WorkerLink<FrontToShard, ShardToFront>;

export interface HubWorkers {
  readonly writer: WriterLink;
  readonly shards: readonly ShardLink[];
  /** Every link, writer first: terminated together. */
  readonly links: ReadonlyArray<{ terminate(): Promise<void> }>;
}

export interface WorkersDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  readonly fatal: FatalWatch;
  /** Every writer message once the front exists (earlier ones are counters it will ask for afresh). */
  readonly onWriterMessage: (message: FrontNotice) => void;
  /** ORDER_TRANSFER steps between actors on different shards. */
  readonly onRelay: (relays: readonly Relay[]) => void;
}

/** Spawn every worker and resolve once all are ready; a death first rejects with its cause, every worker stopped. */
export async function startWorkers(deps: WorkersDeps): Promise<HubWorkers> {
  const { config, log, metrics, fatal } = deps;
  const shardCount = config.HUB_SHARDS;
  // A message to a worker that cannot be cloned is left out, logged and counted — never a front-thread crash.
  const onUnsendable = (error: HubError): void => {
    metrics.quarantined('message');
    log.error({ err: error }, 'message to a worker could not be cloned; left out');
  };
  const onDeath = (error: HubError): void => fatal.report(error);

  const channels = Array.from({ length: shardCount }, () => new MessageChannel());
  const writerWorker = spawn(
    '../../workers/writer/writer.worker',
    { config, shards: shardCount, shardPorts: channels.map((c) => c.port1) },
    channels.map((c) => c.port1),
    'pos-writer',
  );
  const writerReady = signal();
  const writer: WriterLink = new WorkerLink<FrontToWriter, WriterToFront>({
    name: 'writer',
    worker: writerWorker,
    onEvent: (message) => {
      if (message.type === 'stats') writerReady.fire();
      deps.onWriterMessage(message);
    },
    onDeath,
    onUnsendable,
  });

  const shardWorkers: Worker[] = [];
  const shardReady = channels.map(() => signal());
  const shards = channels.map((channel, index) => {
    const worker = spawn(
      '../../workers/shard/shard.worker',
      { config, index, shards: shardCount, writerPort: channel.port2 },
      [channel.port2],
      `pos-shard-${index}`,
    );
    shardWorkers.push(worker);
    return new WorkerLink<FrontToShard, ShardToFront>({
      name: `shard-${index}`,
      worker,
      onEvent: (message) => {
        switch (message.type) {
          case 'ready':
            shardReady[index]?.fire();
            return;
          case 'fatal':
            fatal.report(HubError.fromData(message.input));
            return;
          case 'relay':
            deps.onRelay(message.input);
            return;
          default: {
            const unreachable: never = message;
            throw new Error(`unknown shard message ${JSON.stringify(unreachable)}`);
          }
        }
      },
      onDeath,
      onUnsendable,
    });
  });
  const links = [writer, ...shards];

  // Start-up fails fast if any worker dies before it is ready.
  const startupWorkers = [writerWorker, ...shardWorkers];
  let onStartupExit: (code: number) => void = () => undefined;
  const died = new Promise<never>((_, reject) => {
    onStartupExit = (code) =>
      reject(fatal.cause ?? new HubError('WORKER_DIED', `a worker exited during start-up (code ${code})`));
    for (const w of startupWorkers) w.once('exit', onStartupExit);
  });
  try {
    await Promise.race([Promise.all([writerReady.fired, ...shardReady.map((s) => s.fired)]), died]);
    for (const w of startupWorkers) w.off('exit', onStartupExit);
  } catch (error) {
    fatal.markClosing();
    // Let the other deaths arrive, so the thrown cause is the most specific one.
    await new Promise((resolve) => setTimeout(resolve, FATAL_GATHER_MS));
    await Promise.allSettled(links.map((l) => l.terminate()));
    throw fatal.cause ?? error;
  }
  fatal.markStarted();
  return { writer, shards, links };
}

function signal(): { fire: () => void; fired: Promise<void> } {
  let fire: () => void = () => undefined;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fire, fired };
}
