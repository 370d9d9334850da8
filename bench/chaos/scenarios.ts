/**
 * The chaos suite's serving-time scenarios against real hubs on 127.0.0.1: SIGKILL cycles under write
 * load, a slow consumer, Odoo down / hung / black-holed during finalize traffic, and a flood of sockets
 * that never sign in. Each returns plain figures and the invariants it checked; every loop is bounded in
 * count and time. Start-up faults and the full disk live in startup-faults.ts and disk-full.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { startHub, type StartedHub } from '../../test/helpers/start-hub.js';
import { paidSnapshot } from '../../test/helpers/odoo-forward-queue.js';
import { HUB_LOGIN, HUB_PASSWORD, SIM_DB, SIM_POS_CONFIG, startOdooSim } from '../../test/helpers/odoo-sim.js';
import { TestTerminal, snapshot, snapshotWithLines, type Msg } from '../../test/helpers/terminal.js';

const START_ATTEMPTS = 3;
/** A child hub compiles its TypeScript at start: on a machine shared by many jobs that can take 20 s. */
const START_LIMIT_MS = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `check` every 100 ms until true or `limitMs` passes; returns whether it became true. */
async function until(check: () => Promise<boolean> | boolean, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

// ---- SIGKILL cycles -------------------------------------------------------------------------

export interface KillCyclesResult {
  readonly cycles: number;
  readonly sent: number;
  readonly acked: number;
  readonly ackedLost: number;
  /** Sent, never acked, yet committed (the kill came between commit and ack): allowed, counted. */
  readonly unackedPresent: number;
  readonly duplicateMutationIds: number;
  readonly seqGapsOnResume: number;
  readonly resumes: number;
  readonly integrity: string;
  /** Child hubs that missed the 60 s start limit on a loaded machine and were started again. */
  readonly slowStarts: number;
}

/**
 * `cycles` times: a child-process hub on one database, a writer with `inFlight` snapshots always
 * outstanding, SIGKILL after a varying number of acks, restart. An observer resumes from its lastSeq
 * each cycle; the seqs it saw must cover 1..final seq with no hole.
 */
/** A loaded machine can make a child hub miss even the 60 s start limit: try again, and count it. */
async function startChildHub(dbPath: string, slowStarts: { n: number }): Promise<StartedHub> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startHub({ mode: 'child-process', dbPath, startLimitMs: START_LIMIT_MS });
    } catch (error) {
      if (attempt >= START_ATTEMPTS || !String(error).includes('did not start')) throw error;
      slowStarts.n += 1;
    }
  }
}

export async function killCycles(opts: { cycles: number; inFlight?: number; acksPerCycle?: number; log?: (line: string) => void }): Promise<KillCyclesResult> {
  const inFlight = opts.inFlight ?? 8;
  const base = opts.acksPerCycle ?? 60;
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-chaos-kill-'));
  const dbPath = join(dir, 'hub.sqlite');
  const ref = 'Chaos-1';
  const acked = new Set<string>();
  const sentIds: string[] = [];
  const observed = new Set<number>();
  let observerSeq: number | undefined;
  let resumes = 0;
  let resumeGaps = 0;
  let version = 0;
  const slowStarts = { n: 0 };
  try {
    for (let cycle = 0; cycle < opts.cycles; cycle++) {
      const hub = await startChildHub(dbPath, slowStarts);
      try {
        const observer = await TestTerminal.connect(hub.wsUrl, observerSeq === undefined ? { deviceId: 'chaos-observer' } : { deviceId: 'chaos-observer', lastSeq: observerSeq });
        const sync = observer.messages[1]!;
        if (sync.type === 'SYNC_RESUME') {
          resumes += 1;
          const seqs = observer.messages.slice(2, 2 + Number(sync.count)).map((m) => Number(m.seq));
          // A resume is exact: fromSeq..toSeq in order, nothing missing.
          for (let i = 0; i < seqs.length; i++) if (seqs[i] !== Number(sync.fromSeq) + i) resumeGaps += 1;
        }
        const writer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'chaos-writer' });
        const init = writer.messages[1]!;
        const order = (init.orders as Array<{ posReference: string; version: number }> | undefined)?.find((o) => o.posReference === ref);
        version = order?.version ?? 0;
        writer.send({ type: 'LEASE_ACQUIRE', posReference: ref, baseVersion: version, tableId: 7 });
        await writer.awaitType('LEASE_GRANTED');
        let next = version;
        const send = (): void => {
          next += 1;
          const id = `c${cycle}-v${next}`;
          sentIds.push(id);
          writer.send({ type: 'ORDER_SNAPSHOT', posReference: ref, baseVersion: next - 1, mutationId: id, snapshot: snapshot(ref, 7, { staffName: id }) });
        };
        for (let i = 0; i < inFlight; i++) send();
        const killAfter = base + ((cycle * 37) % base);
        for (let n = 0; n < killAfter; n++) {
          const ack = await writer.awaitType('ORDER_ACK');
          acked.add(String(ack.mutationId));
          send();
        }
        await hub.kill('SIGKILL');
        await Promise.all([writer.closed, observer.closed]);
        for (const m of writer.messages) if (m.type === 'ORDER_ACK') acked.add(String(m.mutationId));
        for (const m of observer.messages) if (typeof m.seq === 'number' && m.type !== 'HUB_STATUS' && m.type !== 'AUTH_OK' && m.type !== 'SYNC_INIT') observed.add(m.seq);
        observerSeq = Math.max(observerSeq ?? 0, ...[...observed]);
        opts.log?.(`  cycle ${cycle + 1}/${opts.cycles}: ${acked.size} acked so far, observer at seq ${observerSeq}`);
      } finally {
        await hub.close();
      }
    }
    const db = new Database(dbPath, { readonly: true });
    try {
      const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
      const stored = new Set((db.prepare(`SELECT mutation_id FROM mutations WHERE terminal_id = 'chaos-writer'`).all() as { mutation_id: string }[]).map((r) => r.mutation_id));
      const staff = (db.prepare(`SELECT payload FROM events WHERE type = 'ORDER_UPDATED' AND pos_reference = ?`).all(ref) as { payload: string }[]).map(
        (r) => (JSON.parse(r.payload) as { snapshot: { staffName: string } }).snapshot.staffName,
      );
      const duplicates = staff.length - new Set(staff).size;
      const ids = (db.prepare(`SELECT id FROM events ORDER BY id`).all() as { id: number }[]).map((r) => r.id);
      const finalSeq = ids.at(-1) ?? 0;
      // Every seq up to the last one the observer could have seen must have reached it (live or resumed).
      const seen = Math.max(0, ...observed);
      let missing = 0;
      for (let s = 1; s <= Math.min(seen, finalSeq); s++) if (!observed.has(s)) missing += 1;
      return {
        cycles: opts.cycles,
        sent: sentIds.length,
        acked: acked.size,
        ackedLost: [...acked].filter((id) => !stored.has(id)).length,
        unackedPresent: [...stored].filter((id) => !acked.has(id)).length,
        duplicateMutationIds: duplicates,
        seqGapsOnResume: resumeGaps + missing,
        resumes,
        integrity,
        slowStarts: slowStarts.n,
      };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- slow consumer --------------------------------------------------------------------------

export interface SlowConsumerResult {
  readonly closedCode: number | null;
  readonly writerAcks: number;
  readonly hubServedAfter: boolean;
  readonly resumedAfter: string | null;
}

/** A terminal that stops reading while big broadcasts flow: it is closed, the writer never waits on it. */
export async function slowConsumer(): Promise<SlowConsumerResult> {
  const hub = await startHub({ env: { HUB_MAX_BACKPRESSURE: '1024' } });
  try {
    const writer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'slow-writer' });
    const slow = await TestTerminal.connect(hub.wsUrl, { deviceId: 'slow-reader' });
    writer.send({ type: 'LEASE_ACQUIRE', posReference: 'Slow-1', baseVersion: 0, tableId: 9 });
    await writer.awaitType('LEASE_GRANTED');
    slow.ws.pause();
    const connected = async (): Promise<number> => ((await (await fetch(`${hub.url}/health`)).json()) as { connectedTerminals: number }).connectedTerminals;
    let acks = 0;
    for (let v = 1; v <= 60 && (await connected()) === 2; v++) {
      writer.send({ type: 'ORDER_SNAPSHOT', posReference: 'Slow-1', baseVersion: v - 1, snapshot: snapshotWithLines('Slow-1', 9, 1500 + v) });
      await writer.awaitType('ORDER_ACK', (m) => m.version === v);
      acks = v;
    }
    slow.ws.resume();
    const closed = await Promise.race([slow.closed, sleep(10_000).then(() => null)]);
    const lastSeq = slow.lastSeq;
    const again = await TestTerminal.connect(hub.wsUrl, { deviceId: 'slow-reader', lastSeq }).catch(() => null);
    const resumedAfter = again === null ? null : String(again.messages[1]?.type);
    await again?.close();
    const served = (await fetch(`${hub.url}/health`)).ok;
    await writer.close();
    return { closedCode: closed?.code ?? null, writerAcks: acks, hubServedAfter: served, resumedAfter };
  } finally {
    await hub.close();
  }
}

// ---- Odoo down / hung / black-holed ---------------------------------------------------------

export interface OdooFaultResult {
  readonly fault: 'down' | 'hung' | 'black-holed';
  readonly orders: number;
  readonly acked: number;
  readonly forwarded: number;
  readonly lost: number;
  readonly duplicates: number;
}

/**
 * Finalize `orders` orders while Odoo is down (refusing connections), hung (accepts, never answers) or
 * black-holed (answers nothing and resets), then heal it: every finalize is acked at once by the hub,
 * every order reaches Odoo exactly once.
 */
export async function odooFault(fault: OdooFaultResult['fault'], orders: number): Promise<OdooFaultResult> {
  const odoo = await startOdooSim();
  const hub = await startHub({ env: { ODOO_URL: odoo.url, ODOO_DB: SIM_DB, ODOO_USER: HUB_LOGIN, ODOO_PASSWORD: HUB_PASSWORD, ODOO_TIMEOUT_MS: '1000', HUB_FORWARD_INTERVAL_MS: '200' } });
  try {
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: `odoo-${fault}` });
    switch (fault) {
      case 'down':
        await odoo.sim.refuse();
        break;
      case 'hung':
        odoo.sim.setFaults({ hang: { count: 1_000, match: 'pos.order' } });
        break;
      case 'black-holed':
        odoo.sim.setFaults({ reset: { count: 1_000, match: 'pos.order' }, latencyMs: 200 });
        break;
      default: {
        const unreachable: never = fault;
        throw new Error(`unknown fault ${String(unreachable)}`);
      }
    }
    const refs = Array.from({ length: orders }, (_, i) => `Chaos/${fault}/${String(i + 1).padStart(4, '0')}`);
    let acked = 0;
    for (const ref of refs) {
      t.send({ type: 'ORDER_FINALIZE', posReference: ref, snapshot: paidSnapshot(ref), configId: SIM_POS_CONFIG.id, mutationId: `fin-${ref}` });
      const reply = await t.awaitMessage((m: Msg) => (m.type === 'ORDER_ACK' || m.type === 'ERROR') && m.posReference === ref, `ack of ${ref}`).catch(() => null);
      if (reply?.type === 'ORDER_ACK') acked += 1;
    }
    await sleep(1500);
    if (fault === 'down') await odoo.sim.accept();
    odoo.sim.resetFaults();
    await until(async () => ((await (await fetch(`${hub.url}/health`)).json()) as { pendingForward: number }).pendingForward === 0, 60_000);
    const counts = refs.map((r) => odoo.sim.ordersFor(r));
    await t.close();
    return {
      fault,
      orders,
      acked,
      forwarded: counts.filter((c) => c >= 1).length,
      lost: counts.filter((c) => c === 0).length,
      duplicates: counts.reduce((n, c) => n + Math.max(0, c - 1), 0),
    };
  } finally {
    await hub.close();
    await odoo.close();
  }
}

// ---- a flood of unauthenticated sockets --------------------------------------------------------

export interface FloodResult {
  readonly sockets: number;
  readonly opened: number;
  readonly closedByHub: number;
  readonly closeCodes: Record<string, number>;
  readonly writerAcksDuringFlood: number;
  readonly healthOk: boolean;
}

/** `sockets` connections that never send AUTH, while a signed-in terminal keeps writing. */
export async function unauthenticatedFlood(sockets: number): Promise<FloodResult> {
  const hub = await startHub({ env: { HUB_AUTH_TIMEOUT_MS: '1500' } });
  const flood: WebSocket[] = [];
  try {
    const writer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'flood-writer' });
    writer.send({ type: 'LEASE_ACQUIRE', posReference: 'Flood-1', baseVersion: 0, tableId: 11 });
    await writer.awaitType('LEASE_GRANTED');
    const codes: Record<string, number> = {};
    let opened = 0;
    let closed = 0;
    const closedAll = new Promise<void>((resolve) => {
      for (let i = 0; i < sockets; i++) {
        const ws = new WebSocket(hub.wsUrl);
        flood.push(ws);
        ws.on('open', () => (opened += 1));
        ws.on('error', () => undefined);
        ws.on('close', (code) => {
          codes[String(code)] = (codes[String(code)] ?? 0) + 1;
          closed += 1;
          if (closed === sockets) resolve();
        });
      }
    });
    let acks = 0;
    for (let v = 1; v <= 50; v++) {
      writer.send({ type: 'ORDER_SNAPSHOT', posReference: 'Flood-1', baseVersion: v - 1, snapshot: snapshot('Flood-1', 11, { staffName: `f${v}` }) });
      await writer.awaitType('ORDER_ACK', (m) => m.version === v);
      acks = v;
    }
    await Promise.race([closedAll, sleep(20_000)]);
    const healthOk = (await fetch(`${hub.url}/health`)).ok;
    await writer.close();
    return { sockets, opened, closedByHub: closed, closeCodes: codes, writerAcksDuringFlood: acks, healthOk };
  } finally {
    for (const ws of flood) ws.terminate();
    await hub.close();
  }
}
