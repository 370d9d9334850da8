/**
 * A shard: the table actors whose keys hash here, the expiry timer that ticks them, and the batch of
 * Units they produced this turn, handed to the writer in one message. The same class runs inside the
 * shard worker and in-process (unit tests); only the `sink` differs. It also hosts this shard's side of
 * ORDER_TRANSFER: relaying transfer steps to other actors and fencing actors until the writer commits.
 */
import type { Logger } from '../../src/adapters/log/logger.js';
import type { MonotonicClock, TimerHandle } from '../../src/ports/clock.js';
import type { HubMetrics } from '../../src/ports/metrics.js';
import { nextDeadline, type TableEnv, type TableSeed } from '../../actors/table/context.js';
import { startTableActor, type TableActor } from '../../actors/table/table.machine.js';
import type { StepResult, TableEvent } from '../../actors/table/table-logic.js';
import { tableKey } from '../shard-key.js';
import type { HubMessage } from '../../src/protocol/hub-messages.js';
import type { ActorKey, FrontToShard, Relay, ShardMessage, ShardSeed, TransferMessage, Unit, UnitOrigin } from '../protocol.js';
import { GrantTime } from './grant-time.js';
import { TransferFences } from './transfer-fences.js';

export interface ShardHostDeps {
  readonly index: number;
  readonly env: TableEnv;
  /** Wall clock for what leaves the shard, monotonic reading for TTLs (see grant-time.ts). */
  readonly clock: MonotonicClock;
  readonly metrics: HubMetrics;
  readonly log: Logger;
  /** Receives every turn's units, in order, as one batch. */
  readonly sink: (units: Unit[]) => void;
  /** Receives every turn's transfer steps for other actors (the front routes them by key). */
  readonly relay?: (relays: Relay[]) => void;
}

/** The inputs that address one actor and may have to wait behind a transfer's fence. */
type ActorInput = Extract<FrontToShard, { kind: 'terminal' | 'transfer' | 'relay' }>;

type SeedParts = {
  orders: NonNullable<TableSeed['orders']>[number][];
  leases: NonNullable<TableSeed['leases']>[number][];
  lock: TableSeed['lock'];
  table: TableSeed['table'];
  epochs: { key: string; epoch: number }[];
  mutations: { terminalId: string; mutationId: string }[];
  finalizing: string[];
};

/** The terminal request behind an actor input, as the `ref` of an ERROR about it. */
function originOf(m: ActorInput): UnitOrigin {
  switch (m.kind) {
    case 'terminal':
      return { terminalId: m.from.terminalId, ref: refOfMessage(m.msg) };
    case 'transfer':
      return { terminalId: m.from.terminalId, ref: transferRef(m.msg) };
    case 'relay':
      return { terminalId: m.event.req.from.terminalId, ref: transferRef(m.event.req.msg) };
    default: {
      const unreachable: never = m;
      throw new Error(`unknown actor input ${JSON.stringify(unreachable)}`);
    }
  }
}

function transferRef(msg: TransferMessage): UnitOrigin['ref'] {
  return { type: 'ORDER_TRANSFER', posReference: msg.fromPosReference, ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }) };
}

function refOfMessage(msg: ShardMessage): UnitOrigin['ref'] {
  const m = msg as { type: string; posReference?: unknown; tableId?: unknown; mutationId?: unknown };
  return {
    type: m.type,
    ...(typeof m.posReference === 'string' ? { posReference: m.posReference } : {}),
    ...(typeof m.tableId === 'number' ? { tableId: m.tableId } : {}),
    ...(typeof m.mutationId === 'string' ? { mutationId: m.mutationId } : {}),
  };
}

export class ShardHost {
  private readonly actors = new Map<ActorKey, TableActor>();
  private seeds = new Map<ActorKey, SeedParts>();
  private pending: Unit[] = [];
  private timer: TimerHandle | null = null;
  private timerAt: number | null = null;
  private relays: Relay[] = [];
  private readonly fences = new TransferFences<ActorInput>();
  private nextTransfer = 0;
  private readonly time: GrantTime;

  constructor(private readonly deps: ShardHostDeps) {
    this.time = new GrantTime(deps.clock);
  }

  get actorCount(): number {
    return this.actors.size;
  }

  /** Replace all memory with the persisted rows (start and reset). Actors are rebuilt lazily. */
  load(seed: ShardSeed): void {
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
    this.fences.clear();
    this.relays = [];
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
    for (const l of seed.leases) parts(l.homeKey).leases.push({ ...l, expiresAt: this.time.fromWall(l.expiresAt) });
    for (const l of seed.locks) parts(tableKey(l.tableId)).lock = { ...l, expiresAt: this.time.fromWall(l.expiresAt) };
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
    if (result.unit) this.pending.push(this.time.toWall(result.unit));
    if (result.relays && result.relays.length > 0) this.relays.push(...result.relays);
    if (result.fence) this.fences.change(result.context.key, result.fence);
    for (const d of result.leaseDecisions) this.deps.metrics.leaseDecision(d);
    for (const d of result.lockDecisions) this.deps.metrics.lockDecision(d);
  }

  /** One batch from the front: every message, then one flush to the writer. */
  handleBatch(messages: readonly FrontToShard[]): void {
    const now = this.time.now();
    for (const m of messages) {
      switch (m.kind) {
        case 'terminal':
        case 'transfer':
        case 'relay':
          this.route(m, now);
          this.drainFences();
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

  /** An actor's input, unless a transfer fences that actor: then it waits, in arrival order. */
  private route(m: ActorInput, now: number): void {
    if (m.kind === 'relay') {
      // Steps of a transfer in flight are never deferred; only a new transfer's prepare may wait.
      if (m.event.type === 'transfer_prepare') {
        const verdict = this.fences.prepareVerdict(m.key, m.event.req.txId);
        if (verdict === 'defer') return this.fences.defer(m.key, m);
        if (verdict === 'refuse') return this.refuseBusy(m.key, m.event.req);
      }
      return this.run(m, now);
    }
    if (this.fences.isBlocked(m.key)) return this.fences.defer(m.key, m);
    this.run(m, now);
  }

  private run(m: ActorInput, now: number): void {
    const before = this.pending.length;
    this.dispatch(m, now);
    const origin = originOf(m);
    // The actor steps synchronously: units added now are this input's; tag who to tell if the disk refuses them.
    for (let i = before; i < this.pending.length; i++) {
      const unit = this.pending[i];
      if (unit && unit.origin === undefined) this.pending[i] = { ...unit, origin };
    }
  }

  private dispatch(m: ActorInput, now: number): void {
    switch (m.kind) {
      case 'terminal':
        this.actor(m.key).send({ type: 'terminal', now, from: m.from, msg: m.msg, receivedAt: m.receivedAt });
        return;
      case 'transfer': {
        const txId = `${this.deps.index}.${++this.nextTransfer}`;
        const req = { txId, from: m.from, msg: m.msg, fromKey: m.key, toKey: m.toKey, receivedAt: m.receivedAt };
        this.actor(m.key).send({ type: 'transfer_begin', now, req });
        return;
      }
      case 'relay':
        this.actor(m.key).send({ ...m.event, now });
        return;
      default: {
        const unreachable: never = m;
        throw new Error(`unknown actor input ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** The destination is itself waiting on its own transfer's prepare: waiting here could deadlock. */
  private refuseBusy(key: ActorKey, req: Extract<ActorInput, { kind: 'relay' }>['event']['req']): void {
    const { msg } = req;
    const refusal = {
      type: 'ERROR',
      code: 'TRANSFER_BUSY',
      message: `Table ${key} is busy with another transfer; retry`,
      ref: { type: 'ORDER_TRANSFER', posReference: msg.fromPosReference, ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }) },
    } as HubMessage;
    this.relays.push({ to: req.fromKey, event: { type: 'transfer_prepared', req, reply: { ok: false, refusal } } });
  }

  /** Run the inputs that waited behind fences that have lifted. */
  private drainFences(): void {
    for (let next = this.fences.next(); next !== null; next = this.fences.next()) this.run(next.input, this.time.now());
  }

  /** The writer committed these transfers: lift their fences and run what waited. */
  committed(txIds: readonly string[]): void {
    this.fences.committed(txIds);
    this.drainFences();
    this.flush();
  }

  private broadcast(event: TableEvent): void {
    for (const actor of this.actors.values()) actor.send(event);
  }

  /** Expire what is due; exposed so in-process tests can tick a simulated clock. */
  tick(): void {
    this.timer = null;
    this.timerAt = null;
    const now = this.time.now();
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
    if (this.relays.length > 0) {
      const relays = this.relays;
      this.relays = [];
      this.deps.relay?.(relays);
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
    this.timer = this.deps.clock.setTimeout(() => this.tick(), Math.max(0, next - this.time.now() + 1));
  }

  stop(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = null;
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
    this.fences.clear();
    this.relays = [];
  }
}
