/**
 * Terminal → hub messages: the reference's 13 types plus bare HEARTBEAT, and our ORDER_TRANSFER.
 * Names and fields are the reference system's (reference-system.md §2.1); `mutationId` on writes and
 * `lastSeq` on AUTH are our optional additions, so a reference terminal's frames parse unchanged.
 */
import { z } from 'zod';
import {
  floorPlanTablesSchema,
  layoutModeSchema,
  mutationIdSchema,
  orderSnapshotSchema,
  posReferenceSchema,
  tableIdSchema,
  tableStatusSchema,
} from './snapshot.js';

const version = z.number().int().min(0);

export const terminalMessageSchemas = {
  AUTH: z.looseObject({
    type: z.literal('AUTH'),
    token: z.string().max(4096),
    deviceId: z.string().min(1).max(128),
    lastSeq: z.number().int().min(0).optional(),
  }),
  HEARTBEAT: z.looseObject({ type: z.literal('HEARTBEAT') }),
  LEASE_ACQUIRE: z.looseObject({
    type: z.literal('LEASE_ACQUIRE'),
    posReference: posReferenceSchema,
    baseVersion: version,
    force: z.boolean().optional(),
    tableId: tableIdSchema.nullable().optional(),
  }),
  LEASE_RELEASE: z.looseObject({
    type: z.literal('LEASE_RELEASE'),
    posReference: posReferenceSchema,
    finalSnapshot: orderSnapshotSchema.optional(),
    mutationId: mutationIdSchema.optional(),
  }),
  LEASE_HEARTBEAT: z.looseObject({ type: z.literal('LEASE_HEARTBEAT'), posReference: posReferenceSchema }),
  ORDER_SNAPSHOT: z.looseObject({
    type: z.literal('ORDER_SNAPSHOT'),
    posReference: posReferenceSchema,
    baseVersion: version,
    snapshot: orderSnapshotSchema,
    mutationId: mutationIdSchema.optional(),
    epoch: z.number().int().min(0).optional(),
  }),
  ORDER_FINALIZE: z.looseObject({
    type: z.literal('ORDER_FINALIZE'),
    posReference: posReferenceSchema,
    snapshot: orderSnapshotSchema,
    configId: z.number().int().positive(),
    mutationId: mutationIdSchema.optional(),
  }),
  ORDER_TRANSFER: z.looseObject({
    type: z.literal('ORDER_TRANSFER'),
    fromPosReference: posReferenceSchema,
    toPosReference: posReferenceSchema,
    lineUids: z.array(z.string().min(1).max(64)).min(1).max(2000),
    /** Where the destination order lives when it does not exist yet (a split, or a move to another table). */
    toTableId: tableIdSchema.nullable().optional(),
    /** A split mints a new check: its lines keep `sent`, the source becomes `changed`. */
    split: z.boolean().optional(),
    mutationId: mutationIdSchema.optional(),
  }),
  TABLE_UPDATE: z.looseObject({
    type: z.literal('TABLE_UPDATE'),
    tableId: tableIdSchema,
    status: tableStatusSchema,
    posReference: posReferenceSchema.optional(),
    mutationId: mutationIdSchema.optional(),
  }),
  TABLE_LOCK_ACQUIRE: z.looseObject({ type: z.literal('TABLE_LOCK_ACQUIRE'), tableId: tableIdSchema }),
  TABLE_LOCK_RELEASE: z.looseObject({ type: z.literal('TABLE_LOCK_RELEASE'), tableId: tableIdSchema }),
  TABLE_LOCK_HEARTBEAT: z.looseObject({ type: z.literal('TABLE_LOCK_HEARTBEAT'), tableId: tableIdSchema }),
  TABLE_LOCK_FORCE_ACQUIRE: z.looseObject({ type: z.literal('TABLE_LOCK_FORCE_ACQUIRE'), tableId: tableIdSchema }),
  TICKET_NUMBER_REQUEST: z.looseObject({
    type: z.literal('TICKET_NUMBER_REQUEST'),
    orderType: z.enum(['takeout', 'delivery']),
    mutationId: mutationIdSchema.optional(),
  }),
  FLOOR_PLAN_UPDATE: z.looseObject({
    type: z.literal('FLOOR_PLAN_UPDATE'),
    floorId: z.number().int().positive(),
    tables: floorPlanTablesSchema,
    layoutMode: layoutModeSchema.optional(),
    mutationId: mutationIdSchema.optional(),
  }),
} as const;

export type TerminalMessageType = keyof typeof terminalMessageSchemas;
export const TERMINAL_MESSAGE_TYPES = Object.keys(terminalMessageSchemas) as TerminalMessageType[];

export const terminalMessageSchema = z.discriminatedUnion('type', [
  terminalMessageSchemas.AUTH,
  terminalMessageSchemas.HEARTBEAT,
  terminalMessageSchemas.LEASE_ACQUIRE,
  terminalMessageSchemas.LEASE_RELEASE,
  terminalMessageSchemas.LEASE_HEARTBEAT,
  terminalMessageSchemas.ORDER_SNAPSHOT,
  terminalMessageSchemas.ORDER_FINALIZE,
  terminalMessageSchemas.ORDER_TRANSFER,
  terminalMessageSchemas.TABLE_UPDATE,
  terminalMessageSchemas.TABLE_LOCK_ACQUIRE,
  terminalMessageSchemas.TABLE_LOCK_RELEASE,
  terminalMessageSchemas.TABLE_LOCK_HEARTBEAT,
  terminalMessageSchemas.TABLE_LOCK_FORCE_ACQUIRE,
  terminalMessageSchemas.TICKET_NUMBER_REQUEST,
  terminalMessageSchemas.FLOOR_PLAN_UPDATE,
]);

export type TerminalMessage = z.infer<typeof terminalMessageSchema>;
export type TerminalMessageOf<T extends TerminalMessageType> = Extract<TerminalMessage, { type: T }>;
