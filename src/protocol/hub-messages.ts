/**
 * Hub → terminal messages. The eight the reference documents keep its names and fields exactly
 * (reference-system.md §2.2); the rest the reference leaves unnamed, and these names are ours.
 * `seq` (hub-wide, gap detection and resume) and `epoch` (fencing) are optional additions.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from './errors.js';
import {
  floorPlanTableSchema,
  layoutModeSchema,
  mutationIdSchema,
  orderSnapshotSchema,
  posReferenceSchema,
  tableIdSchema,
  tableStatusSchema,
} from './snapshot.js';

const version = z.number().int().min(0);
const seq = z.number().int().min(0);
const epoch = z.number().int().min(0);
/** Issue 18: which hub answered, its role in the venue and its takeover epoch (a SQLite hub: standalone). */
export const hubIdentitySchema = z.looseObject({ id: z.string().min(1).max(128), role: z.enum(['leader', 'follower', 'standalone']), epoch });
export type HubIdentity = z.infer<typeof hubIdentitySchema>;
/** NOT_LEADER: the leader's terminal socket URL, as a terminal would dial it, or null while none is known. */
export const leaderRefSchema = z.looseObject({ url: z.string().min(1).max(2048), epoch }).nullable();
/** Epoch milliseconds. */
const timestamp = z.number().int().min(0);
const terminalId = z.string().min(1);
const errorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

export const syncInitOrderSchema = z.looseObject({
  posReference: posReferenceSchema,
  version,
  snapshot: orderSnapshotSchema,
  tableId: tableIdSchema.nullable(),
  leasedBy: terminalId.nullable(),
});
export type SyncInitOrder = z.infer<typeof syncInitOrderSchema>;

export const tableStateSchema = z.looseObject({
  tableId: tableIdSchema,
  status: tableStatusSchema,
  posReference: posReferenceSchema.nullable(),
  lockedBy: terminalId.nullable(),
  lockExpiresAt: timestamp.nullable(),
});
export type TableState = z.infer<typeof tableStateSchema>;

export const floorPlanSchema = z.looseObject({
  floorId: z.number().int().positive(),
  tables: z.array(floorPlanTableSchema),
  layoutMode: layoutModeSchema.optional(),
});
export type FloorPlan = z.infer<typeof floorPlanSchema>;

export const hubMessageSchemas = {
  AUTH_OK: z.looseObject({
    type: z.literal('AUTH_OK'),
    terminalId,
    role: z.string().min(1),
    encoding: z.enum(['json', 'msgpack']).optional(),
    seq: seq.optional(),
    serverTime: timestamp.optional(),
    protocolVersion: z.number().int().optional(),
    hub: hubIdentitySchema.optional(),
  }),
  AUTH_FAIL: z.looseObject({ type: z.literal('AUTH_FAIL'), reason: z.string(), code: errorCode.optional() }),
  SYNC_INIT: z.looseObject({
    type: z.literal('SYNC_INIT'),
    orders: z.array(syncInitOrderSchema),
    tables: z.array(tableStateSchema).optional(),
    floorPlans: z.array(floorPlanSchema).optional(),
    seq: seq.optional(),
    reason: z.string().optional(),
  }),
  /** Sent instead of SYNC_INIT when AUTH.lastSeq is still covered: the missed events follow in order. */
  SYNC_RESUME: z.looseObject({ type: z.literal('SYNC_RESUME'), fromSeq: seq, toSeq: seq, count: z.number().int().min(0) }),
  HEARTBEAT_ACK: z.looseObject({ type: z.literal('HEARTBEAT_ACK'), serverTime: timestamp }),
  LEASE_GRANTED: z.looseObject({
    type: z.literal('LEASE_GRANTED'),
    posReference: posReferenceSchema,
    version,
    expiresAt: timestamp,
    epoch: epoch.optional(),
  }),
  LEASE_DENIED: z.looseObject({
    type: z.literal('LEASE_DENIED'),
    posReference: posReferenceSchema,
    holder: z.string(),
    reason: z.string(),
    code: errorCode.optional(),
  }),
  LEASE_REVOKED: z.looseObject({
    type: z.literal('LEASE_REVOKED'),
    posReference: posReferenceSchema,
    reason: z.string(),
    snapshot: orderSnapshotSchema.optional(),
  }),
  // To every terminal (not only the releaser): the order's lease ended and the order is free to acquire.
  LEASE_RELEASED: z.looseObject({
    type: z.literal('LEASE_RELEASED'),
    posReference: posReferenceSchema,
    version,
    releasedBy: z.string().optional(),
    reason: z.enum(['released', 'expired']).optional(),
    seq: seq.optional(),
  }),
  ORDER_UPDATED: z.looseObject({
    type: z.literal('ORDER_UPDATED'),
    posReference: posReferenceSchema,
    version,
    snapshot: orderSnapshotSchema,
    sourceTerminal: z.string(),
    seq: seq.optional(),
  }),
  ORDER_ACK: z.looseObject({
    type: z.literal('ORDER_ACK'),
    posReference: posReferenceSchema,
    version,
    mutationId: mutationIdSchema.optional(),
    seq: seq.optional(),
  }),
  CONFLICT: z.looseObject({
    type: z.literal('CONFLICT'),
    posReference: posReferenceSchema,
    hubVersion: version,
    hubSnapshot: orderSnapshotSchema.nullable(),
    mutationId: mutationIdSchema.optional(),
  }),
  ORDER_TRANSFERRED: z.looseObject({
    type: z.literal('ORDER_TRANSFERRED'),
    fromPosReference: posReferenceSchema,
    toPosReference: posReferenceSchema,
    fromVersion: version,
    toVersion: version,
    mutationId: mutationIdSchema.optional(),
  }),
  ORDER_FINALIZE_QUEUED: z.looseObject({
    type: z.literal('ORDER_FINALIZE_QUEUED'),
    posReference: posReferenceSchema,
    reason: z.string().optional(),
  }),
  ORDER_FINALIZED: z.looseObject({
    type: z.literal('ORDER_FINALIZED'),
    posReference: posReferenceSchema,
    orderId: z.number().int(),
    lineIdMap: z.record(z.string(), z.number().int()),
    fiscal: z.unknown().optional(),
  }),
  ORDER_FINALIZE_ERROR: z.looseObject({
    type: z.literal('ORDER_FINALIZE_ERROR'),
    posReference: posReferenceSchema,
    error: z.string(),
    retryable: z.boolean(),
    code: errorCode.optional(),
  }),
  TABLE_LOCK_GRANTED: z.looseObject({
    type: z.literal('TABLE_LOCK_GRANTED'),
    tableId: tableIdSchema,
    expiresAt: timestamp.optional(),
    epoch: epoch.optional(),
  }),
  TABLE_LOCK_DENIED: z.looseObject({
    type: z.literal('TABLE_LOCK_DENIED'),
    tableId: tableIdSchema,
    lockedBy: z.string(),
    reason: z.string().optional(),
    code: errorCode.optional(),
  }),
  TABLE_LOCK_REVOKED: z.looseObject({
    type: z.literal('TABLE_LOCK_REVOKED'),
    tableId: tableIdSchema,
    reason: z.string(),
    by: z.string().optional(),
  }),
  /** Broadcast to every terminal: the table is now locked by `lockedBy`. */
  TABLE_LOCKED: z.looseObject({
    type: z.literal('TABLE_LOCKED'),
    tableId: tableIdSchema,
    lockedBy: z.string(),
    expiresAt: timestamp.optional(),
    seq: seq.optional(),
  }),
  /** Broadcast to every terminal: the table lock was released or expired. */
  TABLE_LOCK_RELEASED: z.looseObject({
    type: z.literal('TABLE_LOCK_RELEASED'),
    tableId: tableIdSchema,
    releasedBy: z.string().optional(),
    reason: z.string().optional(),
    seq: seq.optional(),
  }),
  TABLE_UPDATED: z.looseObject({
    type: z.literal('TABLE_UPDATED'),
    tableId: tableIdSchema,
    status: tableStatusSchema,
    posReference: posReferenceSchema.optional(),
    sourceTerminal: z.string(),
    seq: seq.optional(),
  }),
  FLOOR_PLAN_CHANGED: z.looseObject({
    type: z.literal('FLOOR_PLAN_CHANGED'),
    floorId: z.number().int().positive(),
    tables: z.array(floorPlanTableSchema),
    layoutMode: layoutModeSchema.optional(),
    sourceTerminal: z.string(),
    seq: seq.optional(),
  }),
  TICKET_NUMBER: z.looseObject({
    type: z.literal('TICKET_NUMBER'),
    orderType: z.enum(['takeout', 'delivery']),
    ticketNumber: z.number().int().positive(),
    businessDay: z.string(),
    mutationId: mutationIdSchema.optional(),
  }),
  HUB_STATUS: z.looseObject({
    type: z.literal('HUB_STATUS'),
    connectedTerminals: z.number().int().min(0),
    odooReachable: z.boolean(),
    pendingForward: z.number().int().min(0),
    serverTime: timestamp,
    seq: seq.optional(),
    hub: hubIdentitySchema.optional(),
  }),
  /** To manager terminals after their sync: stored records the hub could not read or encode and left out. */
  RECORDS_QUARANTINED: z.looseObject({
    type: z.literal('RECORDS_QUARANTINED'),
    count: z.number().int().min(0),
    records: z.array(
      z.looseObject({
        kind: z.string(),
        key: z.string(),
        reason: z.string(),
      }),
    ),
  }),
  ERROR: z.looseObject({
    type: z.literal('ERROR'),
    code: errorCode,
    message: z.string(),
    /** True when the same request may succeed later unchanged (STORAGE_UNAVAILABLE): the SDK keeps it queued. */
    retryable: z.boolean().optional(),
    ref: z
      .looseObject({
        type: z.string().optional(),
        posReference: z.string().optional(),
        tableId: z.number().optional(),
        mutationId: z.string().optional(),
      })
      .optional(),
    /** RATE_LIMITED and the TOO_MANY_* caps: when trying again can succeed. */
    retryAfterMs: z.number().int().min(0).optional(),
    /** NOT_LEADER: where writes go instead (null: no leader known right now). */
    leader: leaderRefSchema.optional(),
  }),
} as const;

export type HubMessageType = keyof typeof hubMessageSchemas;
export const HUB_MESSAGE_TYPES = Object.keys(hubMessageSchemas) as HubMessageType[];

export const hubMessageSchema = z.discriminatedUnion('type', [
  hubMessageSchemas.AUTH_OK,
  hubMessageSchemas.AUTH_FAIL,
  hubMessageSchemas.SYNC_INIT,
  hubMessageSchemas.SYNC_RESUME,
  hubMessageSchemas.HEARTBEAT_ACK,
  hubMessageSchemas.LEASE_GRANTED,
  hubMessageSchemas.LEASE_DENIED,
  hubMessageSchemas.LEASE_REVOKED,
  hubMessageSchemas.LEASE_RELEASED,
  hubMessageSchemas.ORDER_UPDATED,
  hubMessageSchemas.ORDER_ACK,
  hubMessageSchemas.CONFLICT,
  hubMessageSchemas.ORDER_TRANSFERRED,
  hubMessageSchemas.ORDER_FINALIZE_QUEUED,
  hubMessageSchemas.ORDER_FINALIZED,
  hubMessageSchemas.ORDER_FINALIZE_ERROR,
  hubMessageSchemas.TABLE_LOCK_GRANTED,
  hubMessageSchemas.TABLE_LOCK_DENIED,
  hubMessageSchemas.TABLE_LOCK_REVOKED,
  hubMessageSchemas.TABLE_LOCKED,
  hubMessageSchemas.TABLE_LOCK_RELEASED,
  hubMessageSchemas.TABLE_UPDATED,
  hubMessageSchemas.FLOOR_PLAN_CHANGED,
  hubMessageSchemas.TICKET_NUMBER,
  hubMessageSchemas.HUB_STATUS,
  hubMessageSchemas.RECORDS_QUARANTINED,
  hubMessageSchemas.ERROR,
]);

export type HubMessage = z.infer<typeof hubMessageSchema>;
export type HubMessageOf<T extends HubMessageType> = Extract<HubMessage, { type: T }>;
