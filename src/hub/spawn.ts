/**
 * Starting a worker thread from its source: the .ts file through tsx when the hub itself runs from source
 * (tests, `npm run dev`), the compiled .js otherwise. Paths are relative to src/hub/.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export function spawn(relative: string, workerData: object, transfer: TransferListItem[]): Worker {
  const isTs = import.meta.url.endsWith('.ts');
  const entry = new URL(`${relative}${isTs ? '.ts' : '.js'}`, import.meta.url);
  if (!isTs) return new Worker(entry, { workerData, transferList: transfer });
  const require = createRequire(import.meta.url);
  const tsx = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `const { workerData } = require('node:worker_threads');
import(workerData.__tsx).then((m) => { m.register(); return import(workerData.__entry); });`;
  return new Worker(boot, {
    eval: true,
    workerData: { ...workerData, __tsx: tsx, __entry: entry.href },
    transferList: transfer,
  });
}
