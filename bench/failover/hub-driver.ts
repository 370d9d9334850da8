/**
 * Driver (b) of the failover suite: two real hub processes (test/helpers/spawn-hub.ts) on the cluster
 * (HUB_STORE=postgres, HUB_PG_URL naming both nodes), each with its own port, and N terminals on the SDK
 * (src/client) that know both hubs, follow NOT_LEADER and resend unacked writes with their mutation ids.
 * Each write is a new order (one line) on the terminal's own table; the SDK's socket is wrapped so every
 * ORDER_ACK (mutation id, seq, which hub) and every ORDER_UPDATED seq a terminal received is logged.
 * It needs the hub's writer on the store port with leader and follower roles (issue 18 items 1 and 3):
 * on a hub without them, start() fails with the reason rather than measuring the wrong thing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';
import { parsePgUrl } from '../../src/adapters/postgres/connection.js';
import { PgStore } from '../../src/adapters/postgres/store.js';
import { createTransport } from '../../src/client/create-transport.js';
import type { WebSocketCtor } from '../../src/client/deps.js';
import { memoryHubBookStore } from '../../src/client/hub-book.js';
import type { HubTransport } from '../../src/client/hub-transport.js';
import { memoryOutboxStore } from '../../src/client/outbox-store.js';
import type { OrderSnapshot } from '../../src/protocol/snapshot.js';
import { freePort } from '../../test/helpers/pg-server.js';
import { spawnHub, type SpawnedHub } from '../../test/helpers/spawn-hub.js';
import type { DriverLog, WriteDriver } from './driver.js';
import type { Ack, FinalState, Seen, StoredWrite } from './run-log.js';

export interface HubDriverOptions {
  readonly url: string;
  /** HUB_PG_MONITOR_URL for every hub (a commit made alone is checked with the monitor); none: unset. */
  readonly monitorUrl?: string;
  readonly terminals?: number;
  /** Two (leader and follower, the venue layout) or one (the database faults only: no hub to fail over to). */
  readonly hubs?: 1 | 2;
  /** Pause between writes per terminal, and how many may wait unacked in its outbox. */
  readonly intervalMs?: number;
  readonly maxUnacked?: number;
  readonly log: (line: string) => void;
}

interface HubProcess {
  readonly name: string;
  readonly dir: string;
  /** Fixed before the first start, so its id (HUB_ID) and a restart keep the address terminals know. */
  readonly port: number;
  /** host:port of this hub's own data node in HUB_PG_URL: hub-a on node1, hub-b on node2. */
  readonly pgNode: string;
  process: SpawnedHub | null;
}

interface Pending {
  readonly posReference: string;
  readonly firstSentAt: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function snapshotOf(posReference: string, tableId: number, uid: string): OrderSnapshot {
  return {
    posReference,
    tableId,
    state: 'editing',
    kitchenStatus: 'open',
    sessionId: 42,
    userId: 7,
    lines: [{ uid, productId: 101, name: `item ${uid}`, qty: 1, priceUnit: 100, discount: 0, taxIds: [], priceSubtotal: 100, priceSubtotalIncl: 100 }],
    payments: [],
    amountTotal: 100,
    amountTax: 0,
    amountPaid: 0,
    amountReturn: 0,
    createdAt: new Date().toISOString(),
  };
}

async function startHubProcess(hub: HubProcess, url: string, monitorUrl = ''): Promise<void> {
  const spawned = await spawnHub({
    env: {
      HUB_HTTP_PORT: String(hub.port),
      // Where a follower sends terminals (NOT_LEADER), as they dial it; and the data node it leads with.
      HUB_ID: `ws://127.0.0.1:${hub.port}`,
      HUB_PG_NODE: hub.pgNode,
      HUB_DB_PATH: join(hub.dir, 'hub.sqlite'),
      HUB_STORE: 'postgres',
      HUB_PG_URL: url,
      HUB_PG_MONITOR_URL: monitorUrl,
      HUB_LOG_LEVEL: process.env.FAILOVER_HUB_LOG ?? 'silent',
    },
  });
  hub.process = spawned;
}

/**
 * A hub's own log (FAILOVER_HUB_LOG sets its level) kept in FAILOVER_HUB_LOG_DIR when set, one file per
 * process life, written when the process is killed or the driver closes: what a failed run is read from.
 */
function keepLog(hub: HubProcess): void {
  const dir = process.env.FAILOVER_HUB_LOG_DIR;
  if (dir === undefined || dir === '' || hub.process === null) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${hub.name}-${Date.now()}.log`), hub.process.stdout() + hub.process.stderr());
}

/** What /health says of the hub's role (issue 18: cluster.role), or null when it does not answer. */
async function roleOf(hub: HubProcess): Promise<string | null> {
  if (hub.process === null) return null;
  try {
    const response = await fetch(`http://127.0.0.1:${hub.port}/health`, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { cluster?: { role?: unknown } };
    return typeof body.cluster?.role === 'string' ? body.cluster.role : null;
  } catch {
    return null;
  }
}

export async function hubDriver(options: HubDriverOptions): Promise<WriteDriver> {
  const terminals = options.terminals ?? 4;
  const intervalMs = options.intervalMs ?? 50;
  const maxUnacked = options.maxUnacked ?? 2;
  const nodes = parsePgUrl(options.url).hosts.map((h) => `${h.host}:${h.port}`);
  const hubs: HubProcess[] = [];
  for (const [i, name] of ['hub-a', 'hub-b'].slice(0, options.hubs ?? 2).entries())
    hubs.push({ name, dir: mkdtempSync(join(tmpdir(), `pos-hub-failover-${name}-`)), port: await freePort(), pgNode: nodes[i] ?? '', process: null });
  // Hub A first: it takes the first takeover and leads; B follows.
  for (const hub of hubs) await startHubProcess(hub, options.url, options.monitorUrl);

  let acks: Ack[] = [];
  let seen: Seen[] = [];
  const pending = new Map<string, Pending>();
  const posToMutation = new Map<string, string>();
  let transports: HubTransport[] = [];
  let loops: Promise<void>[] = [];
  let running = false;
  let cut = false;
  let runStart = 0;
  /** A killed hub coming back (systemd's restart), and whether the driver closed meanwhile. */
  let restarting: Promise<void> = Promise.resolve();
  let closed = false;
  /** The latest takeover's epoch when the run began (currentSeq). */
  let epochAtStart = 0;
  /** The ERROR frames the terminals received (bounded): what a failed run reports. */
  const refusals: string[] = [];

  /** The SDK's socket, with every frame it receives logged against the terminal and the hub it came from. */
  const recording = (terminal: string): WebSocketCtor => {
    class Recording extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        this.addEventListener('message', (event) => {
          if (typeof event.data !== 'string') return;
          let frame: { type?: unknown; mutationId?: unknown; seq?: unknown; posReference?: unknown };
          try {
            frame = JSON.parse(event.data) as typeof frame;
          } catch {
            return;
          }
          const at = Date.now();
          if (frame.type === 'ERROR') {
            refusals.push(`${new Date(at).toISOString().slice(11, 23)} ${terminal} ${event.data.slice(0, 160)}`);
            if (refusals.length > 50) refusals.shift();
          }
          if (frame.type === 'ORDER_ACK' && typeof frame.mutationId === 'string' && typeof frame.seq === 'number') {
            const p = pending.get(frame.mutationId);
            if (p === undefined) return;
            acks.push({ writer: terminal, mutationId: frame.mutationId, seq: frame.seq, by: url, firstSentAt: p.firstSentAt, lastSentAt: p.firstSentAt, ackAt: at, attempts: 1, duplicate: false });
          } else if (frame.type === 'ORDER_UPDATED' && typeof frame.seq === 'number') {
            const mutationId = typeof frame.posReference === 'string' ? (posToMutation.get(frame.posReference) ?? null) : null;
            seen.push({ writer: terminal, seq: frame.seq, mutationId, at });
          }
        });
      }
    }
    return Recording as unknown as WebSocketCtor;
  };

  const terminalLoop = async (t: HubTransport, k: number, runId: string): Promise<void> => {
    let n = 0;
    while (running) {
      if (!cut && t.outboxCount < maxUnacked) {
        n += 1;
        const posReference = `NU/FO${k}/S42/${runStart}-${n.toString(16).padStart(4, '0')}`;
        const mutationId = t.sendOrderSnapshot(posReference, 0, snapshotOf(posReference, 100 + k, `${runId}-${k}-${n}`));
        pending.set(mutationId, { posReference, firstSentAt: Date.now() });
        posToMutation.set(posReference, mutationId);
      }
      await sleep(intervalMs);
    }
  };

  /** A new order's first version is the write: a second apply of the same write would store another. */
  const writeOf = (payload: unknown): string | null => {
    const p = payload as { type?: unknown; posReference?: unknown } | null;
    return p?.type === 'ORDER_UPDATED' && typeof p.posReference === 'string' ? (posToMutation.get(p.posReference) ?? null) : null;
  };

  const driver: WriteDriver = {
    kind: 'hub',
    writeOf,
    async start(runId) {
      acks = [];
      seen = [];
      pending.clear();
      posToMutation.clear();
      await restarting;
      for (const hub of hubs) if (hub.process === null) await startHubProcess(hub, options.url, options.monitorUrl);
      const roles = await Promise.all(hubs.map(roleOf));
      if (!roles.includes('leader'))
        throw new Error(`the hub driver needs a hub leading on Postgres (issue 18 items 1 and 3); /health roles: ${roles.join(', ')}`);
      runStart = Date.now();
      const leader = hubs[roles.indexOf('leader')] ?? hubs[0];
      const book = memoryHubBookStore();
      // Every terminal has met every hub once (the book is its storage), and is configured for the leader.
      for (const hub of hubs) {
        const once = createTransport(
          { nu_hub_enabled: true, nu_hub_url: `ws://127.0.0.1:${hub.port}`, deviceId: 'till-book' },
          { WebSocket: WebSocket as unknown as WebSocketCtor, outboxStore: memoryOutboxStore(), hubBookStore: book, pageOrigin: null },
        ) as HubTransport;
        await once.connect();
        once.disconnect();
      }
      transports = [];
      for (let k = 1; k <= terminals; k++) {
        const t = createTransport(
          { nu_hub_enabled: true, nu_hub_url: `ws://127.0.0.1:${leader?.port ?? 0}`, deviceId: `till-${k}`, session_id: 42, odoo_url: 'http://127.0.0.1:9', hubLossFallbackMs: 600_000, reconnectBackoff: { baseMs: 100, factor: 2, maxMs: 1000 }, outboxBackoff: { baseMs: 250, factor: 2, maxMs: 2000 } },
          { WebSocket: recording(`till-${k}`), outboxStore: memoryOutboxStore(), hubBookStore: book, pageOrigin: null },
        ) as HubTransport;
        await t.connect();
        transports.push(t);
      }
      running = true;
      cut = false;
      loops = transports.map((t, i) => terminalLoop(t, i + 1, runId));
    },
    ackCount: () => acks.length,
    diagnose: () =>
      `terminals: ${transports.map((t) => `${t.state}/${t.outboxCount} unacked`).join(', ')}; last refusals: ${refusals.splice(0).slice(-3).join(' | ') || 'none'}`,
    lastAckAt: () => acks.at(-1)?.ackAt ?? null,
    async cutOff() {
      cut = true;
      for (const t of transports) t.disconnect();
    },
    async reconnect() {
      for (const t of transports) await t.connect();
      cut = false;
    },
    async stop(limitMs): Promise<DriverLog> {
      running = false;
      await Promise.all(loops);
      const until = Date.now() + limitMs;
      while (transports.some((t) => t.outboxCount > 0) && Date.now() < until) await sleep(50);
      for (const t of transports) t.disconnect();
      transports = [];
      return { acks: [...acks], seen: [...seen] };
    },
    async readFinal(url, node, afterSeq): Promise<FinalState> {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, query_timeout: 30_000 });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string; payload: string | null }>('SELECT id, payload FROM events WHERE id > $1 ORDER BY id', [afterSeq]);
        const writes: StoredWrite[] = [];
        for (const r of rows) {
          const mutationId = r.payload === null ? null : writeOf(JSON.parse(r.payload));
          if (mutationId !== null) writes.push({ mutationId, seq: Number(r.id) });
        }
        // A write stored twice: what each copy and the mutation rows say, for the run log (a broken run's cause).
        const counts = new Map<string, number>();
        for (const w of writes) counts.set(w.mutationId, (counts.get(w.mutationId) ?? 0) + 1);
        for (const [mutationId, n] of counts) {
          if (n < 2) continue;
          const pos = [...posToMutation].find(([, m]) => m === mutationId)?.[0] ?? '';
          const ev = await client.query('SELECT id, source_terminal, created_at, payload FROM events WHERE pos_reference = $1 ORDER BY id', [pos]);
          const mu = await client.query('SELECT terminal_id, owner, mutation_id, created_at, result FROM mutations WHERE pos_reference = $1', [pos]);
          const tk = await client.query('SELECT epoch, node, taken_at FROM takeovers ORDER BY epoch DESC LIMIT 3');
          options.log(`  stored twice ${mutationId} (${pos}): events ${JSON.stringify(ev.rows).slice(0, 1500)}; mutations ${JSON.stringify(mu.rows).slice(0, 800)}; takeovers ${JSON.stringify(tk.rows)}; acks ${JSON.stringify(acks.filter((a) => a.mutationId === mutationId))}; pending since ${pending.get(mutationId)?.firstSentAt ?? '?'}`);
        }
        const epoch = await client.query<{ e: string | null }>('SELECT max(epoch)::text AS e FROM takeovers');
        const takeovers = Number(epoch.rows[0]?.e ?? 0) - epochAtStart;
        return { node, afterSeq, seqs: rows.map((r) => Number(r.id)), writes, takeovers };
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async currentSeq(url) {
      const store = await PgStore.open({ url, connectTimeoutMs: 5000 });
      try {
        epochAtStart = Number(await store.currentEpoch());
        return store.highWaterMark();
      } finally {
        await store.close();
      }
    },
    async killLeaderHub(restartAfterMs) {
      for (const hub of hubs)
        if ((await roleOf(hub)) === 'leader') {
          options.log(`  kill -9 of ${hub.name} (leader)`);
          keepLog(hub);
          await hub.process?.kill('SIGKILL');
          hub.process = null;
          // Started again as systemd would (deploy/pos-hub.service: Restart=on-failure, RestartSec=2s), or as
          // the box does when it boots again: when the keeper restarts the postmaster in place, the primary
          // stays on this hub's node and only this hub may lead there again.
          restarting = sleep(restartAfterMs)
            .then(() => (hub.process === null && !closed ? startHubProcess(hub, options.url, options.monitorUrl) : undefined))
            .catch((error: unknown) => options.log(`  restart of ${hub.name} failed: ${String(error)}`));
          return;
        }
      throw new Error('no leader hub to kill');
    },
    async close() {
      running = false;
      closed = true;
      await restarting;
      for (const t of transports) t.disconnect();
      for (const hub of hubs) {
        keepLog(hub);
        await hub.process?.kill('SIGTERM').catch(() => undefined);
        rmSync(hub.dir, { recursive: true, force: true });
      }
    },
  };
  return driver;
}
