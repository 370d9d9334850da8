/**
 * The writer's side of leadership (issue 18, docs/ha.md "Who leads"): whether it may commit and under
 * which fence, and the Odoo forwarder's life with the role — started by a takeover, stopped by demotion —
 * so only the leader ever sends a finalization. A SQLite writer is standalone: it commits unfenced, its
 * forwarder runs from the start. Units a non-leader still receives are refused NOT_LEADER, never stored.
 */
import type { Logger } from '#adapters/log/logger.js';
import type { ClusterLeader } from '#ports/cluster.js';
import type { HubMessage } from '#protocol/hub-messages.js';
import type { Outbound, Unit } from '#threads/actor-io.js';

export type WriterRoleState =
  | { readonly kind: 'standalone' }
  | { readonly kind: 'leader'; readonly epoch: number }
  | { readonly kind: 'follower'; readonly leader: ClusterLeader | null };

export interface WriterRoleDeps {
  /** A fresh forwarder for a new term (a stopped one does not restart): a leader's `epoch`, or undefined standalone. */
  readonly startForwarder: (epoch: number | undefined) => void;
  readonly stopForwarder: () => Promise<void>;
  readonly log: Logger;
}

export class WriterRole {
  private current: WriterRoleState;

  /** `standalone`: the forwarder starts now; a replicated store's writer follows until a takeover. */
  constructor(
    initial: 'standalone' | 'follower',
    private readonly deps: WriterRoleDeps,
  ) {
    this.current = initial === 'standalone' ? { kind: 'standalone' } : { kind: 'follower', leader: null };
    if (initial === 'standalone') deps.startForwarder(undefined);
  }

  get state(): WriterRoleState {
    return this.current;
  }

  /** The epoch every commit carries (a leader's), or undefined (standalone: unfenced). */
  get fence(): number | undefined {
    return this.current.kind === 'leader' ? this.current.epoch : undefined;
  }

  /** Whether units may be committed at all. */
  get writes(): boolean {
    return this.current.kind !== 'follower';
  }

  /** A takeover returned `epoch`: commit under it, and forward to Odoo from now on. */
  lead(epoch: number): void {
    const wasForwarding = this.current.kind !== 'follower';
    this.current = { kind: 'leader', epoch };
    if (!wasForwarding) this.deps.startForwarder(epoch);
  }

  /**
   * Stop writing (demoted, or a commit was fenced): the forwarder stops before this resolves, so an
   * attempt it had under way finishes and none starts after. Idempotent.
   */
  async follow(leader: ClusterLeader | null): Promise<void> {
    const wasForwarding = this.current.kind !== 'follower';
    this.current = { kind: 'follower', leader };
    if (wasForwarding) await this.deps.stopForwarder();
  }
}

/** NOT_LEADER to each unit's sender (once per request), naming the leader when known: nothing was applied. */
export function notLeaderRefusals(units: readonly Unit[], leader: ClusterLeader | null): Outbound[] {
  const seen = new Set<string>();
  const out: Outbound[] = [];
  for (const unit of units) {
    const origin = unit.origin;
    if (origin === undefined) continue;
    const key = `${origin.terminalId}\u0000${JSON.stringify(origin.ref)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const msg = {
      type: 'ERROR',
      code: 'NOT_LEADER',
      message: 'not stored, nothing applied: this hub is no longer the leader; send it to the leader',
      retryable: true,
      leader: leader === null ? null : { url: leader.url, epoch: leader.epoch },
      ref: origin.ref,
    } as HubMessage;
    out.push({ to: 'terminal', terminalId: origin.terminalId, msg });
  }
  return out;
}
