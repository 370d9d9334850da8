/**
 * The vocabulary of a table actor: who sent a message, which messages it handles, and what it
 * produces — durable write ops plus outbound messages, grouped in units the writer commits atomically.
 * They cross threads, so they are defined once at the seam (src/threads/actor-io.ts) and named here
 * for the actor's own files.
 */
export type {
  ActorKey,
  Outbound,
  Principal,
  ShardMessage,
  Unit,
  UnitJoin,
  UnitOrigin,
  WriteOp,
} from '#threads/actor-io.js';
