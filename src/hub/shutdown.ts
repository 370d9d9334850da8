/**
 * The shutdown order: stop listening and admitting (frames that would start work get SHUTTING_DOWN), let
 * the shards hand the writer every unit they produced and the writer commit them, then close the sockets
 * (1001) and the dashboards, and stop the threads. A write the flush could not save is logged.
 */
import type { Logger } from '../adapters/log/logger.js';
import type { UwsServer } from '../adapters/uws/server.js';
import type { Front } from '../front/front.js';
import type { DashboardPush } from '../front/http-routes.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import type { FatalWatch } from './fatal.js';
import { requestAll } from './requests.js';
import type { StatusTimer } from './status-timer.js';
import type { HubWorkers } from './workers.js';

export interface ShutdownParts {
  readonly server: UwsServer;
  readonly front: Front;
  readonly dashboards: DashboardPush;
  readonly status: StatusTimer;
  readonly workers: HubWorkers;
  readonly fatal: FatalWatch;
  readonly log: Logger;
}

export async function shutdown(parts: ShutdownParts): Promise<void> {
  const { server, front, workers, log } = parts;
  parts.fatal.markClosing();
  server.stopListening();
  front.stopAccepting();
  front.stopRevalidation();
  parts.status.stop();
  try {
    // quiesce proves every unit a shard produced reached the writer; stop commits them.
    await requestAll(workers.shards, 'quiesce');
    const batching = await workers.writer.request('stop');
    log.info({ batching }, 'writer stopped');
  } catch (error) {
    log.error({ err: error }, 'shutdown could not flush every write');
  }
  front.closeAll(CLOSE_CODES.GOING_AWAY.code, 'hub is shutting down');
  parts.dashboards.closeAll(CLOSE_CODES.GOING_AWAY.code);
  await Promise.allSettled(workers.links.map((l) => l.terminate()));
}
