/**
 * Memory benchmark of the actor and table lifecycle: 10^6 writes spread across 10^5 distinct orders
 * (each order: lease, 9 snapshots, finalize, release) at a real hub in a child process, on loopback,
 * with the Odoo simulator confirming the finalized orders. Idle actors are evicted, closed orders pruned,
 * so the hub's RSS must stay flat. Writes bench/results/<date>-memory.json.
 *   npm run bench:memory -- --orders 100000 --writes-per-order 10 --terminals 4 --in-flight 16
 */
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startOdooSimServer } from '../../src/odoo-sim/server.js';
import { HUB_LOGIN, HUB_PASSWORD, SIM_DB, SIM_POS_CONFIG } from '../../src/odoo-sim/seed.js';
import { paidSnapshot } from '../../test/helpers/odoo-forward-queue.js';
import { sleep } from '../lib/clock.js';
import { machineInfo } from '../lib/machine.js';
import { writeResult } from '../lib/results.js';
import { startHubProcess } from '../fuzz/hub-process.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number`);
  return n;
}

const ORDERS = arg('orders', 100_000);
const WRITES = arg('writes-per-order', 10);
const TERMINALS = arg('terminals', 4);
const IN_FLIGHT = arg('in-flight', 16);
const MAX_MS = arg('max-ms', 40 * 60_000);
const MB = 2 ** 20;

/** The hub as a venue runs it, plus what makes the bench's few sockets act like a venue's many terminals. */
const HUB_ENV = (odooUrl: string): Record<string, string> => ({
  ODOO_URL: odooUrl,
  ODOO_DB: SIM_DB,
  ODOO_USER: HUB_LOGIN,
  ODOO_PASSWORD: HUB_PASSWORD,
  HUB_SHARDS: '2',
  HUB_FORWARD_BATCH_SIZE: '500',
  HUB_FORWARD_INTERVAL_MS: '500',
  HUB_ACTOR_IDLE_MS: '5000',
  HUB_PRUNE_INTERVAL_MS: '5000',
  HUB_CLOSED_ORDERS_RETAINED: '10000',
  // Four sockets stand for a venue's terminals: the per-terminal rate limits and key caps are lifted.
  HUB_RATE_WRITES: '1000000/1000000',
  HUB_RATE_GRANTS: '1000000/1000000',
  HUB_MAX_KEYS_PER_TERMINAL: '1000000',
  HUB_MAX_LEASES_PER_TERMINAL: '10000',
});

interface Sample {
  readonly atS: number;
  readonly rssMb: number;
  readonly writesDone: number;
}

const sim = await startOdooSimServer({ host: '127.0.0.1', port: 0 });
const hub = await startHubProcess(HUB_ENV(sim.url));
const started = performance.now();
let writesDone = 0;
let ordersDone = 0;
let failures = 0;
const failureKinds = new Map<string, number>();
let nextOrder = 0;

async function terminal(index: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${hub.port}`);
  const waiting = new Map<string, () => void>();
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    // Most frames are other terminals' broadcasts: parse only the replies this terminal waits for.
    if (
      !text.includes('"LEASE_RELEASED"') &&
      !text.includes('"ERROR"') &&
      !text.includes('"LEASE_DENIED"') &&
      !text.includes('"CONFLICT"')
    )
      return;
    const msg = JSON.parse(text) as {
      type: string;
      posReference?: string;
      code?: string;
      ref?: { posReference?: string };
    };
    const ref = msg.posReference ?? msg.ref?.posReference;
    if (msg.type !== 'LEASE_RELEASED') {
      failures += 1;
      const kind = `${msg.type}:${msg.code ?? ''}`;
      failureKinds.set(kind, (failureKinds.get(kind) ?? 0) + 1);
      if (msg.type !== 'ERROR' && msg.type !== 'CONFLICT') return;
    }
    if (ref !== undefined && msg.type === 'LEASE_RELEASED') {
      waiting.get(ref)?.();
      waiting.delete(ref);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'AUTH', token: `dev:cashier:bench${index}`, deviceId: `memory-bench-${index}` }));
  await sleep(200);
  const one = async (): Promise<void> => {
    while (nextOrder < ORDERS && performance.now() - started < MAX_MS) {
      const n = nextOrder++;
      const ref = `MEM-${n}`;
      const paid = paidSnapshot(ref);
      const editing = { ...paid, tableId: null, state: 'editing', kitchenStatus: 'open', payments: [], amountPaid: 0 };
      const done = new Promise<void>((resolve) => {
        waiting.set(ref, resolve);
        setTimeout(resolve, 30_000);
      });
      ws.send(JSON.stringify({ type: 'LEASE_ACQUIRE', posReference: ref, baseVersion: 0 }));
      for (let v = 0; v < WRITES - 1; v++)
        ws.send(
          JSON.stringify({
            type: 'ORDER_SNAPSHOT',
            posReference: ref,
            baseVersion: v,
            snapshot: editing,
            mutationId: `${ref}-${v}`,
          }),
        );
      ws.send(
        JSON.stringify({
          type: 'ORDER_FINALIZE',
          posReference: ref,
          snapshot: { ...paid, tableId: null },
          configId: SIM_POS_CONFIG.id,
          mutationId: `${ref}-f`,
        }),
      );
      ws.send(JSON.stringify({ type: 'LEASE_RELEASE', posReference: ref }));
      await done;
      writesDone += WRITES;
      ordersDone += 1;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, () => one()));
  ws.close(1000);
}

const samples: Sample[] = [];
const sampler = setInterval(() => {
  samples.push({
    atS: Math.round((performance.now() - started) / 100) / 10,
    rssMb: Math.round((hub.rss() / MB) * 10) / 10,
    writesDone,
  });
  const last = samples.at(-1);
  if (last && samples.length % 10 === 0)
    console.log(
      `  ${last.atS} s: ${writesDone} writes, ${ordersDone} orders, RSS ${last.rssMb} MB, failures ${failures}`,
    );
}, 1000);
await sleep(2000);
const rssBefore = hub.rss();
await Promise.all(Array.from({ length: TERMINALS }, (_, i) => terminal(i)));
const elapsedS = (performance.now() - started) / 1000;
const rssEnd = hub.rss();
// Let Odoo confirm the last orders, the prune run and the idle actors go.
await sleep(20_000);
clearInterval(sampler);
const rssAfter = hub.rss();
const during = samples.filter((s) => s.writesDone > 0 && s.writesDone < ORDERS * WRITES);
const tenth = (f: number): Sample | undefined => during.find((s) => s.writesDone >= ORDERS * WRITES * f);
const result = {
  orders: ordersDone,
  writes: writesDone,
  failures,
  failureKinds: Object.fromEntries(failureKinds),
  seconds: Math.round(elapsedS),
  writesPerSecond: Math.round(writesDone / elapsedS),
  rssBeforeMb: Math.round((rssBefore / MB) * 10) / 10,
  rssDuringMb: {
    min: Math.min(...during.map((s) => s.rssMb)),
    max: Math.max(...during.map((s) => s.rssMb)),
    at10: tenth(0.1)?.rssMb,
    at50: tenth(0.5)?.rssMb,
    at90: tenth(0.9)?.rssMb,
  },
  rssEndMb: Math.round((rssEnd / MB) * 10) / 10,
  rssAfterMb: Math.round((rssAfter / MB) * 10) / 10,
  // Exactly once in Odoo: how many orders it holds and how many it was sent twice.
  odooOrders: {
    orders: Object.keys(sim.sim.orderCounts()).length,
    createdMoreThanOnce: Object.values(sim.sim.orderCounts()).filter((n) => n > 1).length,
  },
  samples,
};
console.log(
  `memory: ${writesDone} writes over ${ordersDone} orders in ${result.seconds} s (${result.writesPerSecond} writes/s); RSS before ${result.rssBeforeMb} MB, during ${result.rssDuringMb.min}–${result.rssDuringMb.max} MB ` +
    `(10% ${result.rssDuringMb.at10}, 50% ${result.rssDuringMb.at50}, 90% ${result.rssDuringMb.at90}), end ${result.rssEndMb} MB, after ${result.rssAfterMb} MB; failures ${failures} ${JSON.stringify(result.failureKinds)}`,
);
await hub.stop();
await sim.close();
const startedAt = new Date();
const file = writeResult(fileURLToPath(new URL('../results/', import.meta.url)), {
  scenario: 'memory',
  mode: ORDERS * WRITES >= 1_000_000 ? 'all' : 'smoke',
  date: startedAt.toISOString().slice(0, 10),
  startedAt: startedAt.toISOString(),
  machine: machineInfo(),
  config: {
    orders: ORDERS,
    writesPerOrder: WRITES,
    terminals: TERMINALS,
    inFlight: IN_FLIGHT,
    hubEnv: HUB_ENV('(simulator)'),
  },
  results: result,
  notes: [
    'Each order: LEASE_ACQUIRE, (writes-1) ORDER_SNAPSHOT, ORDER_FINALIZE, LEASE_RELEASE. Closed orders leave actor memory (idle eviction) and SQLite (pruning beyond HUB_CLOSED_ORDERS_RETAINED).',
  ],
});
console.log(`memory: wrote ${file}`);
