/**
 * The faults of issue 18's failover suite, each an injector over the cluster and the driver, with what it
 * expects (a failover, or none) and how it is made on this machine (no netem, no iptables): kill -9 and
 * SIGKILL of a process group for crashes and power loss, our link proxies (proxy.ts) for partitions, delay
 * and loss, the driver itself for terminals cut off, pg_autoctl for the switchover. An injector leaves
 * whatever it stopped in `ctx.stopped`; the harness starts it again and heals every link afterwards.
 */
import { LINKS, linksOf, otherNode, waitMonitor, type FailoverCluster, type Member, type NodeName } from './cluster.js';
import type { WriteDriver } from './driver.js';
import type { RunExpectation } from './run-log.js';

export interface FaultContext {
  readonly cluster: FailoverCluster;
  readonly driver: WriteDriver;
  /** The primary when the fault began. */
  readonly primary: NodeName;
  /** Members the fault stopped: started again by the harness after the fault, in this order. */
  readonly stopped: Member[];
  /** The fault is in effect from now (the gap is measured from here). */
  mark(): void;
  /** Wait until `count` more acks arrive; false if `limitMs` passed first. */
  acksAfter(count: number, limitMs: number): Promise<boolean>;
  hold(ms: number): Promise<void>;
  log(line: string): void;
}

export interface FaultOutcome {
  readonly quiet: RunExpectation['quiet'];
}

export interface Fault {
  readonly name: string;
  /** How the fault is made here, and how honest a stand-in it is. */
  readonly how: string;
  readonly primaryChanges: boolean | null;
  /** Only with the hub driver (it kills a hub). */
  readonly needsHub: boolean;
  inject(ctx: FaultContext): Promise<FaultOutcome>;
}

export interface FaultTimings {
  /** A failover, or writes resuming after one, must happen within this. */
  readonly recoverMs: number;
  /** How long a no-failover fault (monitor down, lagging standby) holds the primary dead. */
  readonly deadHoldMs: number;
  readonly cutOffMs: number;
  readonly degradeMs: number;
  /** How long a partitioned old primary stays cut off after the new one took writes. */
  readonly partitionHoldMs: number;
}

export const DEFAULT_TIMINGS: FaultTimings = {
  recoverMs: 90_000,
  deadHoldMs: 15_000,
  cutOffMs: 30_000,
  degradeMs: 20_000,
  partitionHoldMs: 5_000,
};

const noQuiet: FaultOutcome = { quiet: null };
/** deploy/pos-hub.service: Restart=on-failure, RestartSec=2s. */
const HUB_RESTART_MS = 2000;
/** A hub box that lost power is back after roughly this (a Pi 5 booting from NVMe, systemd starting the hub). */
const BOX_BOOT_MS = 15_000;
/**
 * A quiet window starts this long after the kill returned: an answer the dead primary sent just before it died
 * may still be on its way through the driver's event loop (seen: 1 ms after, on a box at load 20).
 */
const QUIET_GRACE_MS = 1000;

async function recovered(ctx: FaultContext, limitMs: number, what: string): Promise<void> {
  if (!(await ctx.acksAfter(20, limitMs)))
    throw new Error(
      `${what}: writes did not resume within ${limitMs} ms; cluster: ${(await ctx.cluster.state()).replace(/\n/g, '; ')}; driver: ${ctx.driver.diagnose()}`,
    );
}

export function faults(t: FaultTimings = DEFAULT_TIMINGS): readonly Fault[] {
  const partition = (name: string, existing: 'stall' | 'reset'): Fault => ({
    name,
    how:
      existing === 'reset'
        ? "the primary's links to the standby and the monitor cut at our proxies: open connections reset (as TCP keepalives or retransmission timeouts end them), new ones hang; the hubs still reach it directly, so it stays alive and reachable by clients while isolated"
        : "as partition, but open connections stall instead of being reset (our proxies' kernel still acknowledges, so the peers' TCP timeouts never fire): the keeper's open monitor connection blocks",
    primaryChanges: true,
    needsHub: false,
    async inject(ctx) {
      for (const link of linksOf(ctx.primary)) ctx.cluster.link(link, { kind: 'cut', existing });
      ctx.mark();
      await recovered(ctx, t.recoverMs, name);
      // The old primary stays alive and cut off a while longer, with the sampler watching both nodes.
      await ctx.hold(t.partitionHoldMs);
      return noQuiet;
    },
  });
  return [
    {
      name: 'kill-postmaster',
      how: "kill -9 of the primary's postmaster (cluster.sh kill); its keeper lives and reports it down, so the monitor fails over or the keeper restarts it in place — either is correct",
      primaryChanges: null,
      needsHub: false,
      async inject(ctx) {
        await ctx.cluster.act('kill', ctx.primary);
        ctx.mark();
        await recovered(ctx, t.recoverMs, 'kill-postmaster');
        return noQuiet;
      },
    },
    {
      name: 'node-loss',
      how: "SIGKILL of the primary node's whole process group, keeper and Postgres (cluster.sh stop): the box loses power; it is started again once the standby took over, and rejoins as its standby",
      primaryChanges: true,
      needsHub: false,
      async inject(ctx) {
        await ctx.cluster.act('stop', ctx.primary);
        ctx.stopped.push(ctx.primary);
        ctx.mark();
        await recovered(ctx, t.recoverMs, 'node-loss');
        return noQuiet;
      },
    },
    partition('partition', 'reset'),
    partition('partition-silent', 'stall'),
    {
      name: 'monitor-down-then-primary-killed',
      how: "SIGKILL of the monitor group, then of the primary node group: nobody may promote the standby, so no write is acked and no node is writable until the monitor is back; then the monitor and the primary are started (pg_autoctl 2.0's keeper does not start without its monitor), and writes resume — on the old primary, or on the standby if the monitor, back first, fails over to it: both are correct once it is back",
      primaryChanges: null,
      needsHub: false,
      async inject(ctx) {
        await ctx.cluster.act('stop', 'monitor');
        await ctx.hold(2000);
        await ctx.cluster.act('stop', ctx.primary);
        ctx.mark();
        const from = Date.now() + QUIET_GRACE_MS;
        await ctx.hold(t.deadHoldMs);
        const to = Date.now();
        await ctx.cluster.act('start', 'monitor');
        await waitMonitor(ctx.cluster.base);
        await ctx.cluster.act('start', ctx.primary);
        await recovered(ctx, t.recoverMs, 'monitor-down-then-primary-killed');
        return { quiet: { from, to } };
      },
    },
    {
      name: 'standby-behind-then-primary-killed',
      how: 'SIGKILL of the standby group; the primary goes on alone (wait_primary) and acks more writes; the standby is started and at once the primary group is SIGKILLed, before the standby can catch up: it must not be promoted, so writes stop until the primary is back',
      primaryChanges: false,
      needsHub: false,
      async inject(ctx) {
        const standby = otherNode(ctx.primary);
        await ctx.cluster.act('stop', standby);
        await recovered(ctx, t.recoverMs, 'standby stopped');
        await ctx.hold(2000);
        await ctx.cluster.act('start', standby);
        await ctx.cluster.act('stop', ctx.primary);
        ctx.mark();
        const from = Date.now() + QUIET_GRACE_MS;
        await ctx.hold(t.deadHoldMs);
        const to = Date.now();
        await ctx.cluster.act('start', ctx.primary);
        await recovered(ctx, t.recoverMs, 'standby-behind-then-primary-killed');
        return { quiet: { from, to } };
      },
    },
    {
      name: 'terminals-cut-off',
      how: "the driver's side: every writer's write in flight is committed but its answer lost, nothing is sent for the cut, then each resends its unanswered write with the same mutation id (answered from memory) and carries on",
      primaryChanges: false,
      needsHub: false,
      async inject(ctx) {
        await ctx.driver.cutOff();
        ctx.mark();
        await ctx.hold(t.cutOffMs);
        await ctx.driver.reconnect();
        await recovered(ctx, t.recoverMs, 'terminals-cut-off');
        return noQuiet;
      },
    },
    {
      name: 'delay-and-loss',
      how: 'every link between the nodes and the monitor through our proxies with 20 ms ± 20 ms one-way delay and 3% of chunks held 300 ms (a retransmission as TCP shows it; a stream proxy cannot drop bytes): no failover may follow',
      primaryChanges: false,
      needsHub: false,
      async inject(ctx) {
        for (const link of LINKS)
          ctx.cluster.link(link, { kind: 'degraded', how: { delayMs: 20, jitterMs: 20, lossRate: 0.03, retransmitMs: 300 } });
        ctx.mark();
        await ctx.hold(t.degradeMs);
        ctx.cluster.healLinks();
        return noQuiet;
      },
    },
    {
      name: 'switchover',
      how: '`pg_autoctl perform switchover` through the monitor: the primary drains and hands over to the standby, then rejoins as its standby',
      primaryChanges: true,
      needsHub: false,
      async inject(ctx) {
        ctx.mark();
        await ctx.cluster.switchover();
        await recovered(ctx, t.recoverMs, 'switchover');
        return noQuiet;
      },
    },
    {
      name: 'kill-hub-and-postmaster',
      how: "kill -9 of the leader hub process and of the primary's postmaster at once (the hub box crashing): the follower hub takes over, terminals follow it",
      primaryChanges: null,
      needsHub: true,
      async inject(ctx) {
        await Promise.all([ctx.driver.killLeaderHub(HUB_RESTART_MS), ctx.cluster.act('kill', ctx.primary)]);
        ctx.mark();
        await recovered(ctx, t.recoverMs, 'kill-hub-and-postmaster');
        return noQuiet;
      },
    },
    {
      name: 'hub-box-loss',
      how: "SIGKILL of the leader hub process and of the primary node's whole process group at once (the leader's box loses power: hub, keeper and Postgres): the standby is promoted and the follower hub takes over; the killed hub is started again 15 s later (the box booting), its node once writes resumed, as its standby",
      primaryChanges: true,
      needsHub: true,
      async inject(ctx) {
        await Promise.all([ctx.driver.killLeaderHub(BOX_BOOT_MS), ctx.cluster.act('stop', ctx.primary)]);
        ctx.stopped.push(ctx.primary);
        ctx.mark();
        await recovered(ctx, t.recoverMs, 'hub-box-loss');
        return noQuiet;
      },
    },
  ];
}
