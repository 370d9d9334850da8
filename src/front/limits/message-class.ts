/**
 * Which rate bucket each terminal → hub message draws from. One exhaustive table, so a new message
 * type does not compile until someone decides how fast a terminal may send it.
 */
import type { TerminalMessageType } from '../../protocol/terminal-messages.js';

export type MessageClass = 'auth' | 'writes' | 'grants' | 'heartbeats' | 'requests';

export const MESSAGE_CLASS: Readonly<Record<TerminalMessageType, MessageClass>> = {
  AUTH: 'auth',
  HEARTBEAT: 'heartbeats',
  LEASE_HEARTBEAT: 'heartbeats',
  TABLE_LOCK_HEARTBEAT: 'heartbeats',
  LEASE_ACQUIRE: 'grants',
  TABLE_LOCK_ACQUIRE: 'grants',
  TABLE_LOCK_FORCE_ACQUIRE: 'grants',
  TABLE_LOCK_RELEASE: 'grants',
  LEASE_RELEASE: 'writes',
  ORDER_SNAPSHOT: 'writes',
  ORDER_FINALIZE: 'writes',
  ORDER_TRANSFER: 'writes',
  TABLE_UPDATE: 'writes',
  TICKET_NUMBER_REQUEST: 'requests',
  FLOOR_PLAN_UPDATE: 'requests',
};
