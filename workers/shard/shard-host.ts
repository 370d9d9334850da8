/**
 * A shard: the table actors whose keys hash here, the expiry timer that ticks them, and the batch of
 * Units they produced this turn, handed to the writer in one message. The same class runs inside the
 * shard worker and in-process (unit tests); only the `sink` differs.
 */
import type { Logger } from '../../src/adapters/log/logger.js';
import type { Clock, TimerHandle } from '../../src/ports/clock.js';
import type { HubMetrics } from '../../src/ports/metrics.js';
import { nextDeadline, type TableEnv, type TableSeed } from '../../actors/table/context.js';
import { startTableActor, type TableActor } from '../../actors/table/table.machine.js';
import type { StepResult, TableEvent } from '../../actors/table/table-logic.js';
import { tableKey } from '../shard-key.js';
import type { ActorKey, FrontToShard, ShardSeed, Unit } from '../protocol.js';

export interface ShardHostDeps {
  readonly index: number;
  readonly env: TableEnv;
  readonly clock: Clock;
  readonly metrics: HubMetrics;
  readonly log: Logger;
  /** Receives every turn's units, in order, as one batch. */
  readonly sink: (units: Unit[]) => void;
}

type SeedParts = {
  orders: NonNullable<TableSeed['orders']>[number][];
  leases: NonNullable<TableSeed['leases']>[number][];
  lock: TableSeed['lock'];
  table: TableSeed['table'];
  epochs: { key: string; epoch: number }[];
  mutations: { terminalId: string; mutationId: string }[];
  finalizing: string[];
};

export class ShardHost {
  private readonly actors = new Map<ActorKey, TableActor>();
  private seeds = new Map<ActorKey, SeedParts>();
  private pending: Unit[] = [];
  private timer: TimerHandle | null = null;
  private timerAt: number | null = null;

  constructor(private readonly deps: ShardHostDeps) {}

  get actorCount(): number {
    return this.actors.size;
  }

  /** Replace all memory with the persisted rows (start and reset). Actors are rebuilt lazily. */
  load(seed: ShardSeed): void {
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
    const seeds = new Map<ActorKey, SeedParts>();
    const parts = (key: ActorKey): SeedParts => {
      let p = seeds.get(key);
      if (!p) {
        p = { orders: [], leases: [], lock: null, table: null, epochs: [], mutations: [], finalizing: [] };
        seeds.set(key, p);
      }
      return p;
    };
    for (const o of seed.orders) parts(o.homeKey).orders.push(o);
    for (const l of seed.leases) parts(l.homeKey).leases.push(l);
    for (const l of seed.locks) parts(tableKey(l.tableId)).lock = l;
    for (const t of seed.tables) parts(tableKey(t.tableId)).table = { status: t.status, posReference: t.posReference };
    for (const e of seed.epochs) parts(e.homeKey).epochs.push(e);
    for (const m of seed.mutations) parts(m.homeKey).mutations.push(m);
    for (const f of seed.finalizing) parts(f.homeKey).finalizing.push(f.posReference);
    this.seeds = seeds;
    // Actors holding grants must exist now so their expiry ticks run even if nobody writes to them.
    for (const [key, p] of seeds) if (p.leases.length > 0 || p.lock) this.actor(key);
    this.reschedule();
  }

  private actor(key: ActorKey): TableActor {
    let actor = this.actors.get(key);
    if (actor) return actor;
    const p = this.seeds.get(key);
    this.seeds.delete(key);
    const seed: TableSeed = p ? { key, ...p } : { key };
    actor = startTableActor({ seed, env: this.deps.env }, (result) => this.collect(result));
    this.actors.set(key, actor);
    this.deps.metrics.actors(this.deps.index, this.actors.size);
    return actor;
  }

  private collect(result: StepResult): void {
    if (result.unit) this.pending.push(result.unit);
    for (const d of result.leaseDecisions) this.deps.metrics.leaseDecision(d);
    for (const d of result.lockDecisions) this.deps.metrics.lockDecision(d);
  }

  /** One batch from the front: every message, then one flush to the writer. */
  handleBatch(messages: readonly FrontToShard[]): void {
    const now = this.deps.clock.now();
    for (const m of messages) {
      switch (m.kind) {
        case 'terminal':
          this.actor(m.key).send({ type: 'terminal', now, from: m.from, msg: m.msg, receivedAt: m.receivedAt });
          break;
        case 'connected':
        case 'disconnected':
          this.broadcast({ type: m.kind, now, terminalId: m.terminalId });
          break;
        case 'request':
          // Requests are answered by the worker glue; they never reach the host.
          break;
        default: {
          const unreachable: never = m;
          throw new Error(`unknown shard input ${JSON.stringify(unreachable)}`);
        }
      }
    }
    this.flush();
  }

  private broadcast(event: TableEvent): void {
    for (const actor of this.actors.values()) actor.send(event);
  }

  /** Expire what is due; exposed so in-process tests can tick a simulated clock. */
  tick(): void {
    this.timer = null;
    this.timerAt = null;
    const now = this.deps.clock.now();
    for (const actor of this.actors.values()) {
      const due = nextDeadline(actor.getSnapshot().context.table);
      if (due !== null && due <= now) actor.send({ type: 'tick', now });
    }
    this.flush();
  }

  private flush(): void {
    if (this.pending.length > 0) {
      const units = this.pending;
      this.pending = [];
      this.deps.sink(units);
    }
    this.reschedule();
  }

  private reschedule(): void {
    let next: number | null = null;
    for (const actor of this.actors.values()) {
      const due = nextDeadline(actor.getSnapshot().context.table);
      if (due !== null && (next === null || due < next)) next = due;
    }
    if (next === this.timerAt) return;
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = next;
    if (next === null) return;
    // +1 ms: a grant is live while expiresAt > now, so tick just after it lapses.
    this.timer = this.deps.clock.setTimeout(() => this.tick(), Math.max(0, next - this.deps.clock.now() + 1));
  }

  stop(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = null;
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
  }
}
