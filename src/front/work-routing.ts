/**
 * Where a signed-in terminal's work goes: table and order frames to the shard owning their actor (by the
 * route book), transfers with their destination's key, relays between shards, and the venue-wide writes
 * (ticket numbers, floor plans; rules in src/domain/venue-rules.ts) straight to the writer.
 */
import type { Logger } from '../adapters/log/logger.js';
import type { TerminalRole } from '../ports/auth.js';
import type { StageMark, StageTimer } from '../ports/metrics.js';
import type { ErrorCode } from '../protocol/errors.js';
import type { TerminalMessage } from '../protocol/terminal-messages.js';
import { floorPlanUnit, ticketNumberUnit } from '../domain/venue-rules.js';
import { attributeFinalize } from './attribution.js';
import type { Caller } from '../threads/rpc.js';
import type { RouteBook } from './route-book.js';
import type { Relay, Unit } from '../threads/actor-io.js';
import type { FrontToShard, FrontToWriter } from '../threads/contract.js';
import { type ActorKey, shardOf } from '../threads/keys.js';

/** Who sent a frame, as the actors and the writer see them. */
export interface Sender {
  readonly terminalId: string;
  readonly role: TerminalRole;
  readonly name: string;
  /** The signed-in Odoo user (null for dev identities): a finalized order is theirs. */
  readonly odooUserId: number | null;
  /** ownerOf(identity): mutation ids are scoped to (owner, device) (docs/security.md). Null before sign-in. */
  readonly owner: string | null;
}

/** A frame the rules refuse (ERROR to the sender, counted as an invalid frame). */
export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface WorkRoutingDeps {
  readonly routes: RouteBook;
  readonly shards: readonly Caller<FrontToShard>[];
  readonly writer: Caller<FrontToWriter>;
  readonly log: Logger;
  /** HUB_FLOOR_PLAN_MAX_BYTES. */
  readonly floorPlanMaxBytes: number;
  /** Ends the `decode` stage as the work is emitted; its reading is the `sentAt` the next thread ends its hop with. */
  readonly stages: StageTimer;
}

export type Work = Exclude<TerminalMessage, { type: 'AUTH' | 'HEARTBEAT' }>;

export class WorkRouting {
  constructor(private readonly deps: WorkRoutingDeps) {}

  /** Post the frame's work; a refusal when the rules say no (nothing was posted). `arrived`: the frame's StageMark. */
  route(msg: Work, sender: Sender, now: number, frameBytes: number, arrived: StageMark): Refusal | null {
    const { routes, stages } = this.deps;
    const from = { terminalId: sender.terminalId, role: sender.role, name: sender.name, ...(sender.owner === null ? {} : { owner: sender.owner }) };
    switch (msg.type) {
      case 'TICKET_NUMBER_REQUEST':
        this.postUnit(ticketNumberUnit(msg, sender.terminalId, now, sender.owner), arrived);
        return null;
      case 'FLOOR_PLAN_UPDATE': {
        const verdict = floorPlanUnit({
          msg,
          terminalId: sender.terminalId,
          role: sender.role,
          frameBytes,
          maxBytes: this.deps.floorPlanMaxBytes,
        });
        if (!verdict.ok) return verdict;
        this.postUnit(verdict.unit, arrived);
        return null;
      }
      case 'ORDER_FINALIZE': {
        // The Odoo order's user is the signed-in user, whatever userId the snapshot claims.
        const attributed = attributeFinalize(msg, sender.odooUserId);
        if (attributed !== msg) {
          this.deps.log.warn(
            {
              terminalId: sender.terminalId,
              posReference: msg.posReference,
              claimed: msg.snapshot.userId,
              user: sender.odooUserId,
            },
            'ORDER_FINALIZE named another user; attributed to the signed-in user',
          );
        }
        const key = routes.routeOf(attributed);
        this.shardFor(key)?.emit('terminal', { key, from, msg: attributed, receivedAt: now, sentAt: stages.end('decode', arrived) });
        return null;
      }
      case 'LEASE_ACQUIRE':
      case 'LEASE_RELEASE':
      case 'LEASE_HEARTBEAT':
      case 'ORDER_SNAPSHOT':
      case 'TABLE_UPDATE':
      case 'TABLE_LOCK_ACQUIRE':
      case 'TABLE_LOCK_RELEASE':
      case 'TABLE_LOCK_HEARTBEAT':
      case 'TABLE_LOCK_FORCE_ACQUIRE': {
        const key = routes.routeOf(msg);
        this.shardFor(key)?.emit('terminal', { key, from, msg, receivedAt: now, sentAt: stages.end('decode', arrived) });
        return null;
      }
      case 'ORDER_TRANSFER': {
        // To the source's actor, which needs the destination's key to run the transfer protocol.
        const key = routes.routeOf(msg);
        const toKey = routes.transferDestination(msg, key);
        this.shardFor(key)?.emit('transfer', { key, toKey, from, msg, receivedAt: now, sentAt: stages.end('decode', arrived) });
        return null;
      }
      default: {
        const unreachable: never = msg;
        throw new Error(`unhandled terminal message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Transfer steps from one shard's actor to another's: shards never talk directly, the front routes by key. */
  relay(relays: readonly Relay[]): void {
    for (const r of relays) this.shardFor(r.to)?.emit('relay', { key: r.to, event: r.event });
  }

  /** A venue-wide write straight to the writer: no actor owns it (its `to_writer` starts where `decode` ends). */
  private postUnit(unit: Unit, arrived: StageMark): void {
    this.deps.writer.emit('units', { units: [{ ...unit, sentAt: this.deps.stages.end('decode', arrived) }] });
  }

  private shardFor(key: ActorKey): Caller<FrontToShard> | undefined {
    return this.deps.shards[shardOf(key, this.deps.shards.length)];
  }
}
