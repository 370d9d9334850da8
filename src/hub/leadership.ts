/**
 * Which hub of a replicated venue takes writes (issue 18, docs/ha.md "Who leads"). No election of ours:
 * a hub leads while its own data node is the writable primary pg_auto_failover chose. After each cluster
 * read, decideRole() says take over, keep leading, keep following or demote; the loop here carries that
 * out through the writer (a takeover's new epoch fences every older writer) and shows the role it holds.
 */
import type { Logger } from '../adapters/log/logger.js';
import {
  identityChanged,
  leaderUrlOf,
  type ClusterLeader,
  type ClusterRead,
  type ClusterView,
  type ClusterWatch,
} from '../ports/cluster.js';

export type RoleAction = 'take_over' | 'lead' | 'follow' | 'demote';

/** The role this hub holds: a leader holds the epoch of its takeover, the fence on every commit. */
export type HeldRole = { readonly role: 'leader'; readonly epoch: number } | { readonly role: 'follower' };

/**
 * The decision, pure. A follower takes over when its own node is the writable primary — even when the
 * latest takeover names this hub (a restart of it: a new epoch fences the previous run) — and not while
 * that node is out of recovery but cannot commit (an old primary not demoted yet: taking over through the
 * other node would fence the real leader, and each would fence the other until the cut heals). A leader
 * demotes when a newer takeover exists or its node became a standby; it keeps leading while its node
 * merely does not answer a probe or cannot commit for a while (pg_auto_failover either drops the lost
 * standby or demotes the node; every commit is fenced, so a leader that lost the race cannot write anyway).
 * No node answering changes nothing.
 */
export function decideRole(read: ClusterRead, held: HeldRole): RoleAction {
  if (held.role === 'leader') {
    if (read.latest !== null && read.latest.epoch > held.epoch) return 'demote';
    return read.ownNode === 'standby' ? 'demote' : 'lead';
  }
  return read.ownNode === 'primary' ? 'take_over' : 'follow';
}

/** What the hub does to change role; createHub binds them to the writer, the shards and the front. */
export interface LeadershipActions {
  /**
   * Take over in the store as `hubId` (the writer's fence becomes the new epoch) and rebuild what the
   * follower held from the store; resolves with the epoch once writes may be accepted.
   */
  promote(hubId: string): Promise<number>;
  /** Stop writing: the writer refuses queued units NOT_LEADER naming `leader`, and stops forwarding to Odoo. */
  demote(leader: ClusterLeader | null): Promise<void>;
}

export interface LeadershipOptions {
  /** The cluster reads (a watch with onRead). */
  readonly watch: ClusterWatch;
  /** This hub's id, read when it is recorded: it names the port the hub listens on. */
  readonly hubId: () => string;
  readonly actions: LeadershipActions;
  readonly log: Logger;
}

export interface Leadership extends ClusterWatch {
  /**
   * Act on reads from now on (the hub listens: its id names its port); until then it follows. Decides at
   * once on the last read, and resolves when that decision is carried out (a takeover included).
   */
  enable(): Promise<void>;
  /** The writer found its commit fenced by a newer takeover (epoch `current`): follow at once. */
  fenced(current: number): void;
  /** The role held now. */
  held(): HeldRole;
}

/**
 * The hub's cluster view with the role it holds: the watch's reads (epoch, leader, replication) with
 * `role` and `leader` from this loop — a hub is leader only once its takeover and reload are done.
 */
export function createLeadership(options: LeadershipOptions): Leadership {
  const { watch, actions, log } = options;
  let held: HeldRole = { role: 'follower' };
  let enabled = false;
  /** A promotion or demotion under way: reads meanwhile only refresh the view. */
  let acting: Promise<void> | null = null;
  /** The highest epoch a fenced commit reported while a promotion was under way. */
  let fencedAt = 0;
  /** The last read, decided on at once when enabled. */
  let lastRead: ClusterRead | null = null;
  const changes: ((view: ClusterView) => void)[] = [];
  const updates: ((view: ClusterView) => void)[] = [];

  const viewOf = (raw: ClusterView): ClusterView => {
    const ownNode = lastRead === null ? {} : { ownNode: lastRead.ownNode };
    if (held.role === 'leader') {
      const url = leaderUrlOf(options.hubId());
      return {
        role: 'leader',
        // Its own epoch, even once a newer takeover is read: it is demoted on that read, never shown under it.
        epoch: held.epoch,
        leader: url === null ? null : { url, epoch: held.epoch },
        replication: raw.replication,
        ...ownNode,
      };
    }
    // A follower whose latest takeover names itself (a previous run) knows no other leader.
    const own = raw.leader !== null && raw.leader.url === leaderUrlOf(options.hubId());
    return { role: 'follower', epoch: raw.epoch, leader: own ? null : raw.leader, replication: raw.replication, ...ownNode };
  };
  let view = viewOf(watch.current());
  const refresh = (): void => {
    const next = viewOf(watch.current());
    const changed = identityChanged(view, next);
    const updated = JSON.stringify(view) !== JSON.stringify(next);
    view = next;
    if (changed) for (const listener of changes) listener(next);
    if (updated) for (const listener of updates) listener(next);
  };

  /** One promotion or demotion at a time; reads meanwhile only refresh the view. */
  const run = (work: () => Promise<void>): void => {
    acting = work().finally(() => {
      acting = null;
    });
  };

  /** Followers take no writes from here on; then the writer stops and refuses what it still holds. */
  const stepDown = async (why: string): Promise<void> => {
    if (held.role !== 'leader') return;
    log.warn({ epoch: held.epoch, why }, 'no longer the leader: writes now get NOT_LEADER');
    held = { role: 'follower' };
    refresh();
    try {
      await actions.demote(view.leader);
    } catch (error) {
      log.error({ err: error }, 'demotion: the writer did not confirm');
    }
  };

  const takeOver = async (): Promise<void> => {
    const hubId = options.hubId();
    fencedAt = 0;
    let epoch: number;
    try {
      epoch = await actions.promote(hubId);
    } catch (error) {
      log.error({ err: error }, 'takeover failed; retrying at the next cluster read');
      return;
    }
    held = { role: 'leader', epoch };
    log.warn({ epoch, hubId }, 'took over: this hub is the leader');
    refresh();
    // Another hub took over while this one reloaded: its first commit would be fenced anyway.
    if (fencedAt > epoch) await stepDown(`fenced by epoch ${fencedAt} during the takeover`);
  };

  const onRead = (read: ClusterRead): void => {
    lastRead = read;
    if (!enabled || acting !== null) {
      refresh();
      return;
    }
    const action = decideRole(read, held);
    switch (action) {
      case 'take_over':
        run(takeOver);
        return;
      case 'demote': {
        const why = read.ownNode === 'standby' ? 'its data node is a standby now' : `a newer takeover (epoch ${read.latest?.epoch})`;
        run(() => stepDown(why));
        return;
      }
      case 'lead':
      case 'follow':
        refresh();
        return;
      default: {
        const unreachable: never = action;
        throw new Error(`unknown role action ${String(unreachable)}`);
      }
    }
  };
  watch.onRead?.(onRead);
  watch.onUpdate(() => refresh());

  return {
    current: () => view,
    onChange: (listener) => {
      changes.push(listener);
    },
    onUpdate: (listener) => {
      updates.push(listener);
    },
    start: async () => {
      await watch.start();
      refresh();
    },
    stop: async () => {
      enabled = false;
      await watch.stop();
      await acting;
    },
    enable: async () => {
      enabled = true;
      if (lastRead !== null && acting === null) onRead(lastRead);
      await acting;
    },
    fenced: (current) => {
      if (acting !== null) {
        fencedAt = Math.max(fencedAt, current);
        return;
      }
      if (held.role === 'leader' && current > held.epoch) run(() => stepDown(`a commit was fenced by epoch ${current}`));
    },
    held: () => held,
  };
}
