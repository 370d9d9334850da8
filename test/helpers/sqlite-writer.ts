/**
 * A WriterCore on a real SQLite file with a fixed clock, silent log and no metrics: what the writer tests
 * that hold rows and deliveries together build (the broadcast text, the resume window). `toFront` gets the
 * writer's notices as the worker's glue would (with the texts the store already encoded).
 */
import { createLogger } from '../../src/adapters/log/logger.js';
import { HubStore } from '../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../src/adapters/sqlite/store-port.js';
import type { Config } from '../../src/config.js';
import { noopMetrics } from '../../src/ports/metrics.js';
import { WriterCore, type WriterDeps } from '../../workers/writer/writer-core.js';
import { fixedClock, writerClock } from './clocks.js';

export function sqliteWriter(
  path: string,
  config: Config,
  toFront: WriterDeps['toFront'] = () => undefined,
  sync: 'full' | 'normal' = 'normal',
): { store: HubStore; core: WriterCore } {
  const store = new HubStore({ path, sync });
  const core = new WriterCore({ store: new SqliteStorePort(store), config, clock: writerClock(fixedClock()), log: createLogger({ level: 'silent' }), metrics: noopMetrics, toFront });
  return { store, core };
}
