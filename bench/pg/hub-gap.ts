/**
 * The failover gap as a terminal sees it. With leadership by data node (HUB_PG_NODE, docs/ha.md "Who
 * leads"), the deployment docs/ha.md describes: two hubs, each beside one data node, the one on the
 * primary's node leading; the terminal — which knows both hubs, as the SDK's hub book does — moves to the
 * other hub when its own answers NOT_LEADER or goes away. Without it (a hub that takes over once at start),
 * one hub, whose writer reconnects through the multi-host URL to whichever node is promoted.
 * One terminal writes one order, one request in flight; the primary's postmaster is killed with SIGKILL
 * (its keeper alive); a failed write is sent again with the same mutation id after signing in and leasing
 * again. The gap is the last ack before the kill → the first ack of a write sent after it.
 */
import WebSocket from 'ws';
import type { PgCluster, ClusterNode } from '../../test/helpers/pg-cluster.js';
import { monoUs, sleep } from '../lib/clock.js';
import { freePort } from '../lib/proc.js';
import type { BenchContext } from '../scenarios/context.js';
import { CONFIG_VARIABLES } from '../../src/config.js';
import { startHub, type ServerHandle } from '../venue/targets.js';
import { gapOf, type AckMark, type Gap } from './figures.js';
import { LEADER_LIMIT_MS, pgHubEnv, waitLeader } from './hub-level.js';

export interface HubGap extends Gap {
  readonly notMeasured: string | null;
  /** 2: a hub beside each data node (leadership by node); 1: one hub following the primary through its URL. */
  readonly hubs: 1 | 2;
  readonly acked: number;
  /** Writes sent again after a refusal, a lost socket or no answer. */
  readonly resent: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly primaryBefore: string | null;
  readonly primaryAfter: string | null;
}

export interface HubGapPlan {
  readonly warmMs: number;
  readonly limitMs: number;
  /** Pause between an ack and the next write. */
  readonly paceMs: number;
}

/** A write unanswered for this long is sent again (same mutation id). */
const RESEND_AFTER_MS = 3000;
/** After a refusal or a lost socket, before trying again. */
const RETRY_PAUSE_MS = 100;

/** host:port of a node as HUB_PG_URL writes it. */
const hostPort = (cluster: PgCluster, node: ClusterNode): string => new URL(cluster.nodeUrl(node)).host;

/** Whether this hub leads by its own data node (issue 18's leadership), rather than taking over once at start. */
export const LEADS_BY_NODE = 'HUB_PG_NODE' in CONFIG_VARIABLES;

async function hubBeside(ctx: BenchContext, cluster: PgCluster, node: ClusterNode): Promise<ServerHandle> {
  const port = await freePort();
  return startHub({
    odooUrl: ctx.odooUrl,
    env: {
      ...pgHubEnv(cluster),
      ...(LEADS_BY_NODE ? { HUB_PG_NODE: hostPort(cluster, node), HUB_ID: `127.0.0.1:${port}` } : {}),
      HUB_HTTP_PORT: String(port),
    },
  });
}

export async function hubFailoverGap(ctx: BenchContext, cluster: PgCluster, plan: HubGapPlan): Promise<HubGap> {
  const victim = await cluster.primary();
  const errors: Record<string, number> = {};
  const acks: AckMark[] = [];
  let resent = 0;
  const hubs = LEADS_BY_NODE ? 2 : 1;
  const result = async (notMeasured: string | null, faultUs: number | null): Promise<HubGap> => ({
    notMeasured,
    hubs,
    ...(faultUs === null ? { gapMs: null, faultToFirstAckMs: null } : gapOf(acks, faultUs)),
    acked: acks.length,
    resent,
    errors,
    primaryBefore: victim,
    primaryAfter: await cluster.primary(),
  });
  if (victim === null) return result(`no primary: ${await cluster.state()}`, null);
  const standby: ClusterNode = victim === 'node1' ? 'node2' : 'node1';
  const leader = await hubBeside(ctx, cluster, victim);
  try {
    const follower = hubs === 2 ? await hubBeside(ctx, cluster, standby) : null;
    try {
      if (!(await waitLeader(leader, LEADER_LIMIT_MS)))
        return await result(
          `the hub beside the primary (${victim}) did not become leader within ${LEADER_LIMIT_MS} ms`,
          null,
        );
      const urls = follower === null ? [leader.url] : [leader.url, follower.url];
      const writer = new GapWriter(urls, `bench-${ctx.runTag}-gap`, `Order ${ctx.runTag}-gap`);
      let faultUs: number | null = null;
      // A write sent after the fault can be acked by the dying postmaster's backends before the outage
      // begins; the run ends at the first ack of a write sent after the last failure (figures.ts gapOf).
      let lastFailureUs: number | null = null;
      const started = Date.now();
      try {
        while (Date.now() - started < plan.warmMs + plan.limitMs) {
          if (faultUs === null && Date.now() - started >= plan.warmMs) {
            faultUs = monoUs();
            await cluster.fault('kill', victim);
          }
          const outcome = await writer.writeOnce(RESEND_AFTER_MS);
          if (outcome.kind === 'acked') {
            acks.push({ atUs: outcome.atUs, startedUs: outcome.sentUs });
            if (lastFailureUs !== null && outcome.sentUs > lastFailureUs) break;
            await sleep(plan.paceMs);
          } else {
            errors[outcome.why] = (errors[outcome.why] ?? 0) + 1;
            if (faultUs !== null) lastFailureUs = monoUs();
            resent += 1;
            // Refused by a follower or cut off: try the other hub, as the SDK's hub book does.
            writer.nextHub();
            await sleep(RETRY_PAUSE_MS);
          }
        }
      } finally {
        writer.close();
      }
      if (faultUs === null)
        return await result(`no write was acked before the fault (errors ${JSON.stringify(errors)})`, null);
      return await result(null, faultUs);
    } finally {
      await follower?.stop();
    }
  } finally {
    await leader.stop();
  }
}

type WriteOutcome =
  | { readonly kind: 'acked'; readonly sentUs: number; readonly atUs: number }
  | { readonly kind: 'failed'; readonly why: string };

/**
 * One terminal writing one order over a raw socket to one of the hubs it knows: signs in (dev auth,
 * loopback), leases the order, then each writeOnce sends the next version's snapshot and waits for its
 * ORDER_ACK. A write that failed is sent again with the same mutation id and base version, so a commit
 * that was in doubt is answered by the hub, not applied twice.
 */
export class GapWriter {
  private ws: WebSocket | null = null;
  private ready: Promise<void> | null = null;
  private hub = 0;
  private version = 0;
  private mutation = 0;
  private pendingId: string | null = null;
  private waiter: ((m: Record<string, unknown> | null) => void) | null = null;

  constructor(
    private readonly urls: readonly string[],
    private readonly deviceId: string,
    private readonly posReference: string,
  ) {}

  /** Drop the socket and sign in at the next hub on the next write. */
  nextHub(): void {
    this.close();
    this.hub = (this.hub + 1) % this.urls.length;
  }

  private connect(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.urls[this.hub]!);
      this.ws = ws;
      let stage: 'auth' | 'sync' | 'lease' | 'open' = 'auth';
      ws.on('open', () => ws.send(JSON.stringify({ type: 'AUTH', token: '', deviceId: this.deviceId })));
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        if (stage === 'auth' && m.type === 'AUTH_OK') stage = 'sync';
        else if (stage === 'auth' && m.type === 'AUTH_FAIL') reject(new Error(`AUTH_FAIL ${JSON.stringify(m)}`));
        else if (stage === 'sync' && (m.type === 'SYNC_INIT' || m.type === 'SYNC_RESUME')) {
          const orders = (m.orders as { posReference: string; version: number }[] | undefined) ?? [];
          this.version = Math.max(this.version, orders.find((o) => o.posReference === this.posReference)?.version ?? 0);
          stage = 'lease';
          ws.send(
            JSON.stringify({
              type: 'LEASE_ACQUIRE',
              posReference: this.posReference,
              baseVersion: this.version,
              tableId: 1,
            }),
          );
        } else if (stage === 'lease' && m.type === 'LEASE_GRANTED') {
          stage = 'open';
          resolve();
        } else if (stage === 'lease' && (m.type === 'LEASE_DENIED' || m.type === 'ERROR')) {
          const code = typeof m.code === 'string' ? m.code : String(m.type);
          reject(new Error(`lease refused: ${code}`));
        } else if (stage === 'open') this.waiter?.(m);
      });
      const lost = (): void => {
        reject(new Error('socket closed'));
        if (this.ws === ws) {
          this.ready = null;
          this.ws = null;
        }
        this.waiter?.(null);
      };
      ws.on('close', lost);
      ws.on('error', lost);
    });
    return this.ready;
  }

  async writeOnce(limitMs: number): Promise<WriteOutcome> {
    try {
      await this.connect();
    } catch (error) {
      this.close();
      return { kind: 'failed', why: `sign-in: ${error instanceof Error ? error.message : String(error)}` };
    }
    this.pendingId ??= `${this.deviceId}-w${++this.mutation}`;
    const mutationId = this.pendingId;
    const sentUs = monoUs();
    const answer = new Promise<Record<string, unknown> | null | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), limitMs);
      this.waiter = (m) => {
        if (m !== null && m.mutationId !== mutationId && m.type !== 'ERROR') return;
        clearTimeout(timer);
        this.waiter = null;
        resolve(m);
      };
    });
    this.ws?.send(
      JSON.stringify({
        type: 'ORDER_SNAPSHOT',
        posReference: this.posReference,
        baseVersion: this.version,
        mutationId,
        snapshot: gapSnapshot(this.posReference, mutationId),
      }),
    );
    const m = await answer;
    if (m === 'timeout') return { kind: 'failed', why: 'no answer' };
    if (m === null) return { kind: 'failed', why: 'socket closed' };
    if (m.type === 'ORDER_ACK') {
      this.version = Number(m.version);
      this.pendingId = null;
      return { kind: 'acked', sentUs, atUs: monoUs() };
    }
    const code = typeof m.code === 'string' ? m.code : '';
    return { kind: 'failed', why: `${String(m.type)} ${code}`.trim() };
  }

  close(): void {
    const ws = this.ws;
    this.ws = null;
    this.ready = null;
    ws?.close(1000);
  }
}

/** A valid editing snapshot with nothing in it; the staff name carries the mutation id, so each version differs. */
function gapSnapshot(posReference: string, staffName: string): Record<string, unknown> {
  return {
    posReference,
    tableId: 1,
    state: 'editing',
    kitchenStatus: 'open',
    sessionId: 1,
    userId: 1,
    staffName,
    lines: [],
    payments: [],
    amountTotal: 0,
    amountTax: 0,
    amountPaid: 0,
    amountReturn: 0,
    createdAt: '2026-01-01T10:00:00.000Z',
  };
}
