/**
 * Starting a worker thread from its source: the .ts file through tsx when the hub itself runs from source
 * (tests, `npm run dev`), the compiled .js otherwise. Paths are relative to src/hub/. Each thread names
 * itself first (Linux: /proc/thread-self/comm), so `top -H`, /proc/<pid>/task/<tid>/comm and the bench's
 * per-thread CPU and run-queue figures can tell the writer and the shards from V8's and libuv's helpers.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** Linux keeps 15 bytes of a thread's name. */
const THREAD_NAME_MAX = 15;

/** `threadName`: what the thread calls itself (`pos-writer`, `pos-shard-0`); cut to 15 bytes. */
export function spawn(relative: string, workerData: object, transfer: TransferListItem[], threadName?: string): Worker {
  const isTs = import.meta.url.endsWith('.ts');
  const entry = new URL(`${relative}${isTs ? '.ts' : '.js'}`, import.meta.url);
  if (!isTs && threadName === undefined) return new Worker(entry, { workerData, transferList: transfer });
  const require = createRequire(import.meta.url);
  const tsx = isTs ? pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href : null;
  // Named after tsx's register(), whose loader thread would otherwise inherit the name. Best effort: no /proc
  // (another OS, a locked-down container) leaves the thread as `node`.
  const boot = `const { workerData } = require('node:worker_threads');
const name = () => { if (workerData.__thread) try { require('node:fs').writeFileSync('/proc/thread-self/comm', workerData.__thread); } catch {} };
(workerData.__tsx ? import(workerData.__tsx).then((m) => m.register()) : Promise.resolve()).then(() => { name(); return import(workerData.__entry); });`;
  return new Worker(boot, {
    eval: true,
    workerData: {
      ...workerData,
      __tsx: tsx,
      __entry: entry.href,
      __thread: threadName === undefined ? null : threadName.slice(0, THREAD_NAME_MAX),
    },
    transferList: transfer,
  });
}
