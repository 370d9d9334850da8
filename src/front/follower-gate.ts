/**
 * A follower hub takes no writes (issue 18, docs/ha.md "Follower hubs"): every terminal frame that would
 * produce a write unit is answered ERROR NOT_LEADER, retryable, naming the leader's terminal socket and
 * epoch, and reaches no shard or writer; the SDK moves to the leader and resends with the same mutation
 * id. Sign-in, sync and heartbeats are served. Which frames write is one exhaustive switch, so a new
 * frame type must be classified here before it compiles.
 */
import type { ClusterLeader } from '../ports/cluster.js';
import type { HubMessage } from '../protocol/hub-messages.js';
import type { refOf } from '../protocol/parse.js';
import type { Work } from './work-routing.js';

/** Whether the frame's work ends in a write unit (a lease or lock heartbeat renews a stored grant). */
export function writes(msg: Work): boolean {
  switch (msg.type) {
    case 'TICKET_NUMBER_REQUEST':
    case 'FLOOR_PLAN_UPDATE':
    case 'ORDER_FINALIZE':
    case 'ORDER_SNAPSHOT':
    case 'ORDER_TRANSFER':
    case 'LEASE_ACQUIRE':
    case 'LEASE_RELEASE':
    case 'LEASE_HEARTBEAT':
    case 'TABLE_UPDATE':
    case 'TABLE_LOCK_ACQUIRE':
    case 'TABLE_LOCK_RELEASE':
    case 'TABLE_LOCK_HEARTBEAT':
    case 'TABLE_LOCK_FORCE_ACQUIRE':
      return true;
    default: {
      const unreachable: never = msg;
      throw new Error(`unclassified terminal message ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The ERROR a follower answers a write with; `leader` null while no leader is known (retry later). */
export function notLeaderError(leader: ClusterLeader | null, ref: ReturnType<typeof refOf>): HubMessage {
  const message =
    leader === null
      ? 'this hub is a follower and no leader is known yet; retry shortly'
      : `this hub is a follower; send writes to the leader at ${leader.url} (epoch ${leader.epoch})`;
  return {
    type: 'ERROR',
    code: 'NOT_LEADER',
    message,
    retryable: true,
    leader: leader === null ? null : { url: leader.url, epoch: leader.epoch },
    ...(ref === undefined ? {} : { ref }),
  } as HubMessage;
}
