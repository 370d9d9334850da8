/**
 * The order snapshot a terminal sends and the hub stores, and the floor-plan shapes.
 * Objects are loose: fields we do not know pass through untouched, so a newer terminal never
 * loses data by going through an older hub.
 */
import { z } from 'zod';

export const posReferenceSchema = z.string().min(1).max(128);
export const tableIdSchema = z.number().int().positive();
export const mutationIdSchema = z.string().min(1).max(64);
const money = z.number().finite();

export const ORDER_STATES = ['editing', 'checkout', 'paid', 'finalized'] as const;
export const KITCHEN_STATUSES = ['open', 'sent', 'changed', 'paid'] as const;
export const orderStateSchema = z.enum(ORDER_STATES);
export const kitchenStatusSchema = z.enum(KITCHEN_STATUSES);
export type OrderState = z.infer<typeof orderStateSchema>;
export type KitchenStatus = z.infer<typeof kitchenStatusSchema>;

export const orderLineSchema = z.looseObject({
  uid: z.string().min(1).max(64),
  productId: z.number().int().positive(),
  name: z.string().max(256).optional(),
  qty: z.number().finite(),
  priceUnit: money,
  discount: z.number().finite().min(0).max(100),
  taxIds: z.array(z.number().int().positive()),
  priceSubtotal: money,
  priceSubtotalIncl: money,
  note: z.string().max(1024).optional(),
  kitchenTicketId: z.string().max(64).optional(),
  kitchenSentAt: z.string().max(64).optional(),
});
export type OrderLine = z.infer<typeof orderLineSchema>;

export const paymentLineSchema = z.looseObject({
  uid: z.string().min(1).max(64),
  journalId: z.number().int().positive(),
  statementId: z.number().int().positive(),
  accountId: z.number().int().positive().optional(),
  amount: money,
  name: z.string().max(64).optional(),
});
export type PaymentLine = z.infer<typeof paymentLineSchema>;

export const orderSnapshotSchema = z.looseObject({
  posReference: posReferenceSchema,
  tableId: tableIdSchema.nullable(),
  state: orderStateSchema,
  kitchenStatus: kitchenStatusSchema,
  guestCount: z.number().int().min(0).max(1000).optional(),
  staffName: z.string().max(128).optional(),
  partnerId: z.number().int().positive().nullable().optional(),
  pricelistId: z.number().int().positive().optional(),
  fiscalPositionId: z.number().int().positive().nullable().optional(),
  sessionId: z.number().int().positive(),
  userId: z.number().int().positive(),
  configId: z.number().int().positive().optional(),
  lines: z.array(orderLineSchema).max(2000),
  payments: z.array(paymentLineSchema).max(200),
  amountTotal: money,
  amountTax: money,
  amountPaid: money,
  amountReturn: money,
  createdAt: z.iso.datetime({ offset: true }),
});
export type OrderSnapshot = z.infer<typeof orderSnapshotSchema>;

/** Table status values are free text on the wire (the reference never lists them); these are ours. */
export const TABLE_STATUSES = ['available', 'occupied', 'reserved', 'billing', 'dirty'] as const;
export const tableStatusSchema = z.string().min(1).max(32);

/**
 * Floor-plan bounds: every terminal stores and draws every plan, so each number is bounded (layout units
 * are the terminal's, pixels or grid cells; ±FLOOR_COORD_LIMIT covers any floor a screen can show).
 */
export const FLOOR_COORD_LIMIT = 100_000;
export const FLOOR_MAX_SEATS = 1000;
export const FLOOR_MAX_TABLES = 500;

export const floorPlanTableSchema = z.looseObject({
  id: tableIdSchema,
  name: z.string().max(64).optional(),
  x: z.number().finite().min(-FLOOR_COORD_LIMIT).max(FLOOR_COORD_LIMIT).optional(),
  y: z.number().finite().min(-FLOOR_COORD_LIMIT).max(FLOOR_COORD_LIMIT).optional(),
  width: z.number().finite().min(0).max(FLOOR_COORD_LIMIT).optional(),
  height: z.number().finite().min(0).max(FLOOR_COORD_LIMIT).optional(),
  seats: z.number().int().min(0).max(FLOOR_MAX_SEATS).optional(),
  shape: z.string().max(32).optional(),
});

/** The tables of one floor: at most FLOOR_MAX_TABLES, each id once. */
export const floorPlanTablesSchema = z
  .array(floorPlanTableSchema)
  .max(FLOOR_MAX_TABLES)
  .superRefine((tables, ctx) => {
    const seen = new Set<number>();
    tables.forEach((table, index) => {
      if (seen.has(table.id)) ctx.addIssue({ code: 'custom', message: `table id ${table.id} appears twice`, path: [index, 'id'] });
      seen.add(table.id);
    });
  });
export type FloorPlanTableInfo = z.infer<typeof floorPlanTableSchema>;

export const LAYOUT_MODES = ['free', 'grid', 'perimeter_center'] as const;
export const layoutModeSchema = z.string().min(1).max(32);
