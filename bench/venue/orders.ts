/**
 * Realistic order snapshots for the load generator: a restaurant menu, 5–15 lines per order,
 * taxes and totals that add up, payments when the order is paid. Deterministic from a seed so
 * runs are comparable. Every snapshot passes orderSnapshotSchema (checked by the smoke test).
 */
import type { OrderLine, OrderSnapshot, PaymentLine } from '../../src/protocol/snapshot.js';
import {
  SIM_POS_CONFIG,
  SIM_POS_SESSION,
  SIM_PRICELIST,
  SIM_PRODUCTS,
  SIM_TAXES,
  SIM_USERS,
} from '../../src/odoo-sim/seed.js';

// The Odoo simulator's seeded catalog, so finalized orders are ones Odoo accepts.
const MENU = SIM_PRODUCTS;
const TAX_RATE = new Map(SIM_TAXES.map((t) => [t.id, t.amount / 100]));
const CASH_STATEMENT = SIM_POS_SESSION.statements[0];
const NOTES = ['sin cebolla', 'bien cocido', 'salsa aparte', 'sin hielo', 'para llevar', ''];

/** A tiny deterministic PRNG (mulberry32): the same seed gives the same orders in every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The order machine's mapping (reference §11): open while editing, sent at checkout, paid when paid. */
const KITCHEN_STATUS_FOR = { editing: 'open', checkout: 'sent', paid: 'paid' } as const;

const round2 = (v: number) => Math.round(v * 100) / 100;

function line(random: () => number, uid: string): OrderLine {
  const item = MENU[Math.floor(random() * MENU.length)] ?? MENU[0]!;
  const qty = 1 + Math.floor(random() * 3);
  const subtotal = round2(item.price * qty);
  const rate = item.taxIds.reduce((sum, id) => sum + (TAX_RATE.get(id) ?? 0), 0);
  const note = NOTES[Math.floor(random() * NOTES.length)] ?? '';
  return {
    uid,
    productId: item.id,
    name: item.name,
    qty,
    priceUnit: item.price,
    discount: 0,
    taxIds: [...item.taxIds],
    priceSubtotal: subtotal,
    priceSubtotalIncl: round2(subtotal * (1 + rate)),
    ...(note === '' ? {} : { note }),
  };
}

export interface OrderDraft {
  readonly posReference: string;
  readonly tableId: number;
  readonly createdAt: string;
  readonly lines: OrderLine[];
  nextLine: number;
}

export function newDraft(posReference: string, tableId: number, random: () => number, createdAt: string): OrderDraft {
  const draft: OrderDraft = { posReference, tableId, createdAt, lines: [], nextLine: 0 };
  const initial = 5 + Math.floor(random() * 6);
  for (let i = 0; i < initial; i += 1) draft.lines.push(line(random, `${posReference}-l${draft.nextLine++}`));
  return draft;
}

/** One edit as a waiter makes it: add a line (up to 15), bump a quantity, or drop one. */
export function editDraft(draft: OrderDraft, random: () => number): void {
  const roll = random();
  if (roll < 0.5 && draft.lines.length < 15) {
    draft.lines.push(line(random, `${draft.posReference}-l${draft.nextLine++}`));
  } else if (roll < 0.85 || draft.lines.length <= 5) {
    const target = draft.lines[Math.floor(random() * draft.lines.length)];
    if (target !== undefined) {
      target.qty += 1;
      target.priceSubtotal = round2(target.priceUnit * target.qty);
      const rate = target.taxIds.reduce((sum, id) => sum + (TAX_RATE.get(id) ?? 0), 0);
      target.priceSubtotalIncl = round2(target.priceSubtotal * (1 + rate));
    }
  } else {
    draft.lines.splice(Math.floor(random() * draft.lines.length), 1);
  }
}

export interface SnapshotOptions {
  readonly state: 'editing' | 'checkout' | 'paid';
  readonly staffName: string;
  /** Extra pass-through fields (the bench puts its send timestamp here). */
  readonly extra?: Record<string, unknown>;
}

export function toSnapshot(draft: OrderDraft, options: SnapshotOptions): OrderSnapshot {
  const total = round2(draft.lines.reduce((sum, l) => sum + l.priceSubtotalIncl, 0));
  const untaxed = round2(draft.lines.reduce((sum, l) => sum + l.priceSubtotal, 0));
  const payments: PaymentLine[] =
    options.state === 'paid'
      ? [
          {
            uid: `${draft.posReference}-p0`,
            journalId: CASH_STATEMENT.journalId,
            statementId: CASH_STATEMENT.id,
            amount: total,
            name: 'Cash',
          },
        ]
      : [];
  return {
    posReference: draft.posReference,
    tableId: draft.tableId,
    state: options.state,
    kitchenStatus: KITCHEN_STATUS_FOR[options.state],
    guestCount: 2 + (draft.lines.length % 5),
    staffName: options.staffName,
    partnerId: null,
    pricelistId: SIM_PRICELIST.id,
    sessionId: SIM_POS_SESSION.id,
    userId: SIM_USERS.waiter.id,
    configId: SIM_POS_CONFIG.id,
    lines: draft.lines.map((l) => ({ ...l })),
    payments,
    amountTotal: total,
    amountTax: round2(total - untaxed),
    amountPaid: options.state === 'paid' ? total : 0,
    amountReturn: 0,
    createdAt: draft.createdAt,
    ...options.extra,
  };
}
