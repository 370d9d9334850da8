/**
 * The admin reset (POST /api/reset, `pos-hub reset`): close every terminal (4005), let the shards hand the
 * writer all they produced, empty SQLite, reload the shards from it, forget the routes, admit again.
 * Concurrent calls share one reset.
 */
import type { Logger } from '../adapters/log/logger.js';
import type { Front } from '../front/front.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import type { WriterStats } from '../../workers/protocol.js';
import type { HubWorkers } from './workers.js';
import { requestAll, writerRequest } from './requests.js';

export function createReset(workers: HubWorkers, front: Front, log: Logger): () => Promise<void> {
  let resetting: Promise<void> | null = null;
  return () => {
    resetting ??= (async () => {
      front.stopAccepting();
      front.closeAll(CLOSE_CODES.RESET.code, 'hub data was reset');
      await requestAll(workers.shards, { type: 'quiesce' });
      // The writer answers with its post-reset counts; /health must show them at once, not at the next write.
      front.onWriterMessage({
        kind: 'stats',
        stats: await writerRequest<WriterStats>(workers.writer, { type: 'reset' }),
      });
      await requestAll(workers.shards, { type: 'reload' });
      front.clearRoutes();
      front.startAccepting();
      log.warn('hub data reset by the admin API');
    })().finally(() => {
      resetting = null;
    });
    return resetting;
  };
}
