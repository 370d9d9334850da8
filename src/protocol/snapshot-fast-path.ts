/**
 * The hot frame's fast path (issue 16): zod and the pass-through walk were a fifth of the front's CPU per
 * write, nearly all of it on ORDER_SNAPSHOT. This checks that shape by hand and hands the decoded value on
 * as it is, only when it is certainly what the schemas accept (a subset: safe integers, finite numbers,
 * UTF-16 lengths within the code-point bounds). Anything else, or any doubt, returns null and the schemas
 * decide and word the error, so no check is lost; test/unit/protocol/snapshot-fast-path.test.ts holds the
 * two against each other. Keep it in step with snapshot.ts and terminal-messages.ts.
 */
import { measureValue, type PassThroughLimits } from './frame-limits.js';
import { KITCHEN_STATUSES, ORDER_STATES, orderSnapshotSchema } from './snapshot.js';
import type { TerminalMessage } from './terminal-messages.js';

type Rec = Record<string, unknown>;
/** A value check; `b`, the pass-through bounds of the frame, reaches every loose object inside. */
type Check = (v: unknown, b: PassThroughLimits | undefined) => boolean;

const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (min: number, max: number): Check => (v) => typeof v === 'string' && v.length >= min && v.length <= max;
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const int = (min: number, max = Number.MAX_SAFE_INTEGER): Check => (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const positive = int(1);
const optional = (check: Check): Check => (v, b) => v === undefined || check(v, b);
const nullable = (check: Check): Check => (v, b) => v === null || check(v, b);
const oneOf = (values: readonly string[]): Check => (v) => typeof v === 'string' && values.includes(v);
const arrayOf = (check: Check, max = Number.MAX_SAFE_INTEGER): Check => (v, b) => {
  if (!Array.isArray(v) || v.length > max) return false;
  for (const item of v) if (!check(item, b)) return false;
  return true;
};
// The exact datetime rule (offset allowed): the schema's own pattern, which is all its check applies; if a
// zod version stops exposing it, the schema itself decides (slower, still exact).
const createdAtSchema = orderSnapshotSchema.shape.createdAt;
const createdAtPattern: unknown = (createdAtSchema as unknown as { _zod?: { def?: { pattern?: unknown } } })._zod?.def?.pattern;
const createdAt: Check =
  createdAtPattern instanceof RegExp && !createdAtPattern.global && !createdAtPattern.sticky
    ? (v) => typeof v === 'string' && createdAtPattern.test(v)
    : (v) => typeof v === 'string' && createdAtSchema.safeParse(v).success;

/**
 * A loose object: every known key passes its check (absent keys count as undefined, so optional ones may be
 * missing), and each unknown key's value is within the pass-through bounds when those are given.
 */
function looseObject(shape: Readonly<Record<string, Check>>): Check {
  const known = Object.keys(shape);
  return (v, b) => {
    if (!isRecord(v)) return false;
    for (const key of known) if (!shape[key]!(v[key], b)) return false;
    if (b === undefined) return true;
    for (const key in v) {
      if (Object.hasOwn(shape, key)) continue;
      if (!measureValue(v[key], b.maxDepth, b.maxBytes).within) return false;
    }
    return true;
  };
}

const money = num;
const line = looseObject(
  {
    uid: str(1, 64),
    productId: positive,
    name: optional(str(0, 256)),
    qty: num,
    priceUnit: money,
    discount: (v, b) => num(v, b) && (v as number) >= 0 && (v as number) <= 100,
    taxIds: arrayOf(positive),
    priceSubtotal: money,
    priceSubtotalIncl: money,
    note: optional(str(0, 1024)),
    kitchenTicketId: optional(str(0, 64)),
    kitchenSentAt: optional(str(0, 64)),
  },
);
const payment = looseObject(
  {
    uid: str(1, 64),
    journalId: positive,
    statementId: positive,
    accountId: optional(positive),
    amount: money,
    name: optional(str(0, 64)),
  },
);
const snapshot = looseObject(
  {
    posReference: str(1, 128),
    tableId: nullable(positive),
    state: oneOf(ORDER_STATES),
    kitchenStatus: oneOf(KITCHEN_STATUSES),
    guestCount: optional(int(0, 1000)),
    staffName: optional(str(0, 128)),
    partnerId: optional(nullable(positive)),
    pricelistId: optional(positive),
    fiscalPositionId: optional(nullable(positive)),
    sessionId: positive,
    userId: positive,
    configId: optional(positive),
    lines: arrayOf(line, 2000),
    payments: arrayOf(payment, 200),
    amountTotal: money,
    amountTax: money,
    amountPaid: money,
    amountReturn: money,
    createdAt,
  },
);
const orderSnapshotMessage = looseObject(
  {
    type: (v) => v === 'ORDER_SNAPSHOT',
    posReference: str(1, 128),
    baseVersion: int(0),
    snapshot,
    mutationId: optional(str(1, 64)),
    epoch: optional(int(0)),
  },
);

/** The frame itself when it is a valid ORDER_SNAPSHOT within the pass-through bounds; null: let the schemas decide. */
export function fastOrderSnapshot(value: unknown, passThrough: PassThroughLimits | undefined): TerminalMessage | null {
  return orderSnapshotMessage(value, passThrough) ? (value as TerminalMessage) : null;
}
