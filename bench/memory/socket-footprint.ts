/**
 * What one signed-in terminal costs the front thread, by constructor: the hub in this process (real worker
 * threads, uWS, SQLite), N terminals from the bench's generator processes, a heap snapshot of the front
 * before and after (each after a full GC), diffed and divided by N. Deterministic where the idle scenario's
 * RSS growth is not (that one also counts garbage from the sign-in storm), so it is the figure to shrink.
 *   node --expose-gc --import tsx bench/memory/socket-footprint.ts --terminals 1000 [--top 25] [--retainers]
 */
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubInProcess } from '../../test/helpers/hub-in-process.js';
import { sleep } from '../lib/clock.js';
import { GeneratorPool } from '../venue/pool.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number`);
  return n;
}

const TERMINALS = arg('terminals', 1000);
const TOP = arg('top', 25);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

interface Snapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: string[];
      readonly node_types: [string[], ...unknown[]];
      readonly edge_fields: string[];
      readonly edge_types: [string[], ...unknown[]];
    };
  };
  readonly nodes: number[];
  readonly edges: number[];
  readonly strings: string[];
}

type Census = Map<string, { count: number; bytes: number }>;

function bump(into: Census, key: string, bytes: number): void {
  const row = into.get(key) ?? { count: 0, bytes: 0 };
  row.count += 1;
  row.bytes += bytes;
  into.set(key, row);
}

/**
 * The front's heap after a full GC: `type:name` → {count, self bytes} over every node, and (`edges`) each
 * strong reference as `child <- parent.edge`, which says who holds what.
 */
function snapshot(): string {
  for (let i = 0; i < 3; i++) gc!();
  return writeHeapSnapshot(join(tmpdir(), `pos-hub-footprint-${process.pid}-${Date.now()}.heapsnapshot`));
}

/** Read only once both snapshots are on disk: a census held in the heap would count itself. */
function census(file: string): { nodes: Census; edges: Census } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  rmSync(file);
  const {
    node_fields: fields,
    node_types: nodeTypes,
    edge_fields: edgeFields,
    edge_types: edgeTypes,
  } = snap.snapshot.meta;
  const types = nodeTypes[0];
  const eTypes = edgeTypes[0];
  const width = fields.length;
  const eWidth = edgeFields.length;
  const [iType, iName, iSize, iEdges] = [
    fields.indexOf('type'),
    fields.indexOf('name'),
    fields.indexOf('self_size'),
    fields.indexOf('edge_count'),
  ];
  const [eType, eName, eTo] = [
    edgeFields.indexOf('type'),
    edgeFields.indexOf('name_or_index'),
    edgeFields.indexOf('to_node'),
  ];
  const keyOf = (i: number): string => {
    const type = types[snap.nodes[i + iType]!] ?? '?';
    // Strings are named by their content: lump them by type so a thousand terminal ids make one row.
    const name = type.includes('string') || type === 'number' ? '' : (snap.strings[snap.nodes[i + iName]!] ?? '?');
    return `${type}:${name.length > 50 ? `${name.slice(0, 47)}...` : name}`;
  };
  const nodes: Census = new Map();
  const edges: Census = new Map();
  let e = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const parent = keyOf(i);
    bump(nodes, parent, snap.nodes[i + iSize]!);
    const count = snap.nodes[i + iEdges]!;
    for (let k = 0; k < count; k++, e += eWidth) {
      const kind = eTypes[snap.edges[e + eType]!] ?? '?';
      if (kind === 'weak' || kind === 'shortcut') continue;
      const to = snap.edges[e + eTo]!;
      const nameOrIndex = snap.edges[e + eName]!;
      const edge = kind === 'element' || kind === 'hidden' ? `[${kind}]` : (snap.strings[nameOrIndex] ?? '?');
      bump(edges, `${keyOf(to)} <- ${parent}.${edge}`, snap.nodes[to + iSize]!);
    }
  }
  return { nodes, edges };
}

/** Committed bytes per V8 heap space of this thread. */
function spaces(): Record<string, number> {
  return Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
}

function diff(after: Census, before: Census, per: number): Array<{ key: string; count: number; bytes: number }> {
  const rows = [...new Set([...before.keys(), ...after.keys()])].map((key) => {
    const a = after.get(key) ?? { count: 0, bytes: 0 };
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: (a.count - b.count) / per, bytes: (a.bytes - b.bytes) / per };
  });
  return rows.sort((x, y) => y.bytes - x.bytes);
}

const hub = await startHubInProcess({
  env: {
    HUB_MAX_UNAUTH_PER_ADDRESS: '100000',
    HUB_RATE_AUTH_PER_ADDRESS: '1000000/1000000',
  },
});
try {
  await sleep(1000);
  const beforeFile = snapshot();
  gc();
  const heapBefore = process.memoryUsage();
  const spacesBefore = spaces();
  const pool = GeneratorPool.start({
    processes: 2,
    terminals: TERMINALS,
    tables: 120,
    target: { kind: 'ws', url: hub.wsUrl, encoding: 'json' },
    runId: `footprint${process.pid}`,
    connectTimeoutMs: 60_000,
  });
  try {
    const connect = await pool.connect();
    if (connect.ok !== TERMINALS)
      throw new Error(`only ${connect.ok} of ${TERMINALS} terminals signed in: ${JSON.stringify(connect.errors)}`);
    await sleep(1000);
    const heapAfter = process.memoryUsage();
    const spacesAfter = spaces();
    const after = census(snapshot());
    const before = census(beforeFile);
    const rows = diff(after.nodes, before.nodes, TERMINALS);
    const total = rows.reduce((s, r) => s + r.bytes, 0);
    const objects = rows.reduce((s, r) => s + r.count, 0);
    console.log(
      `front heap per signed-in terminal (${TERMINALS} terminals): ${total.toFixed(0)} B in ${objects.toFixed(1)} heap nodes`,
    );
    console.log(
      `RSS Δ ${((heapAfter.rss - heapBefore.rss) / TERMINALS / 1024).toFixed(1)} kB/terminal (whole process, noisy)`,
    );
    console.log(
      `front heap spaces committed before → after the sign-ins (no GC in between), kB/terminal: ${Object.keys(
        spacesAfter,
      )
        .map((k) => `${k} ${(((spacesAfter[k] ?? 0) - (spacesBefore[k] ?? 0)) / TERMINALS / 1024).toFixed(1)}`)
        .join(', ')}`,
    );
    console.log('   B/term  nodes/term  type:constructor');
    for (const r of rows.slice(0, TOP))
      console.log(`${r.bytes.toFixed(1).padStart(9)} ${r.count.toFixed(2).padStart(11)}  ${r.key}`);
    if (process.argv.includes('--retainers')) {
      console.log('   B/term  refs/term  child <- parent.edge');
      for (const r of diff(after.edges, before.edges, TERMINALS).slice(0, TOP * 20))
        console.log(`${r.bytes.toFixed(1).padStart(9)} ${r.count.toFixed(2).padStart(10)}  ${r.key}`);
    }
  } finally {
    await pool.close();
  }
} finally {
  await hub.stop();
}
