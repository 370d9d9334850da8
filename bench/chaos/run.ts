/**
 * `npm run chaos [full|small]`: runs the chaos suite and writes its report as JSON next to the
 * benchmark results (bench/results/<date>-chaos.json for `full`; `small` writes to a scratch folder
 * unless --out is given). Exits 1 when any scenario fails. Loopback only.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from '../lib/machine.js';
import { writeResult } from '../lib/results.js';
import { runChaos, SIZES, type ChaosSize } from './suite.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const size = (args[0] === undefined || args[0].startsWith('--') ? 'full' : args[0]) as ChaosSize;
  if (!(size in SIZES)) throw new Error(`usage: npm run chaos [full|small] [--out DIR] (got ${size})`);
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 ? (args[outIndex + 1] ?? '') : join(ROOT, size === 'full' ? 'bench/results' : '.test-results/chaos');
  const startedAt = new Date();
  const report = await runChaos(size, (line) => process.stdout.write(`${line}\n`));
  const file = writeResult(out, {
    scenario: 'chaos',
    mode: size === 'full' ? 'all' : 'smoke',
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    machine: machineInfo(),
    config: SIZES[size],
    results: report,
    notes: ['Loopback only; real hubs (child processes for SIGKILL and start-up faults), the Odoo simulator for Odoo.'],
  });
  const failed = report.verdicts.filter((v) => v.ok === false);
  process.stdout.write(`\nacked writes lost: ${report.totals.ackedWritesLost}, duplicate Odoo orders: ${report.totals.duplicateOdooOrders}\n`);
  process.stdout.write(`${failed.length === 0 ? 'chaos: all scenarios held' : `chaos: ${failed.length} scenario(s) failed`} — ${file}\n`);
  process.exit(failed.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
