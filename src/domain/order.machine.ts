/**
 * The order lifecycle as an XState v5 machine: idle → editing → checkout → paid → finalized.
 * Context holds the OrderSnapshot (null while idle); every edit goes through the pure functions of
 * order-ops.ts, so the machine only decides *when* an operation may run, never *how* it computes.
 * A refused operation leaves the order unchanged and records the reason in `lastError`.
 */
import { assign, emit, setup } from 'xstate';
import type { OrderSnapshot } from '../protocol/snapshot.js';
import { DEFAULT_KITCHEN_OPTIONS, type KitchenOptions } from './kitchen-status.js';
import {
  addLine,
  finalizeOrder,
  goCheckout,
  goEditing,
  loadOrder,
  markPaid,
  newOrder,
  removeLine,
  setCustomer,
  setLineQty,
  setPricingContext,
  setTableMeta,
  type KitchenSend,
  type LoadableOrder,
  type NewLine,
  type OpContext,
  type OrderHeader,
  type Payment,
  type PricingContext,
  type TableMeta,
} from './order-ops.js';
import { NO_TAXES, type Pricing } from './pricing.js';
import type { DomainFailure, DomainResult } from './result.js';

export interface OrderMachineInput {
  readonly pricing?: Pricing;
  readonly sendChangesToKitchen?: boolean;
  /** Start with this order loaded (same normalisation as ORDER_LOAD). */
  readonly order?: LoadableOrder;
}

export interface OrderMachineContext {
  readonly order: OrderSnapshot | null;
  readonly pricing: Pricing;
  readonly kitchen: KitchenOptions;
  /** Bumped on every change of `order`; autosave compares it with `savedRevision`. */
  readonly revision: number;
  readonly savedRevision: number;
  readonly lastError: DomainFailure | null;
}

export type OrderEvent =
  | { type: 'ORDER_NEW'; header: OrderHeader }
  | { type: 'ORDER_LOAD'; order: LoadableOrder }
  | { type: 'ORDER_CLEAR' }
  | { type: 'LINE_ADD'; line: NewLine }
  | { type: 'LINE_SET_QTY'; uid: string; qty: number }
  | { type: 'LINE_REMOVE'; uid: string }
  | { type: 'ORDER_SET_CUSTOMER'; partnerId: number | null }
  | ({ type: 'PRICING_CONTEXT_SET'; taxRates?: Pricing['taxRates'] } & PricingContext)
  | ({ type: 'SET_TABLE_META' } & TableMeta)
  | ({ type: 'GO_CHECKOUT' } & KitchenSend)
  | { type: 'GO_EDITING' }
  | ({ type: 'MARK_PAID' } & Payment)
  | { type: 'FINALIZE' }
  | { type: 'DRAFT_SAVE' }
  | { type: 'DRAFT_SAVED'; revision: number };

/** Emitted on DRAFT_SAVE: the host persists `order` and answers DRAFT_SAVED with the revision. */
export type OrderEmitted = { type: 'draft.save'; order: OrderSnapshot; revision: number };

function opContext(context: OrderMachineContext): OpContext {
  return { pricing: context.pricing, kitchen: context.kitchen };
}

/** Fold an operation's result into the context: the new order, or the refusal. */
function fold(context: OrderMachineContext, result: DomainResult<OrderSnapshot>): Partial<OrderMachineContext> {
  if (!result.ok) return { lastError: result };
  if (result.value === context.order) return { lastError: null };
  return { order: result.value, revision: context.revision + 1, lastError: null };
}

function withOrder(context: OrderMachineContext, op: (order: OrderSnapshot) => DomainResult<OrderSnapshot>): DomainResult<OrderSnapshot> {
  if (context.order === null) return { ok: false, code: 'INVALID_TRANSITION', message: 'No order is loaded.' };
  return op(context.order);
}

/** The events that edit an unpaid order; editing and checkout share them, paid refuses them. */
const lineEdits = {
  LINE_ADD: { actions: 'edit' },
  LINE_SET_QTY: { actions: 'edit' },
  LINE_REMOVE: { actions: 'edit' },
  ORDER_SET_CUSTOMER: { actions: 'edit' },
  PRICING_CONTEXT_SET: { actions: 'edit' },
  SET_TABLE_META: { actions: 'edit' },
} as const;

const paidRefusals = {
  LINE_ADD: { actions: 'refusePaidEdit' },
  LINE_SET_QTY: { actions: 'refusePaidEdit' },
  LINE_REMOVE: { actions: 'refusePaidEdit' },
  ORDER_SET_CUSTOMER: { actions: 'refusePaidEdit' },
  PRICING_CONTEXT_SET: { actions: 'refusePaidEdit' },
  SET_TABLE_META: { actions: 'refusePaidEdit' },
} as const;

/** Run one editing event through its pure operation; other events change nothing. */
function edit(context: OrderMachineContext, event: OrderEvent): Partial<OrderMachineContext> {
  const ctx = opContext(context);
  switch (event.type) {
    case 'LINE_ADD':
      return fold(context, withOrder(context, (o) => addLine(o, event.line, ctx)));
    case 'LINE_SET_QTY':
      return fold(context, withOrder(context, (o) => setLineQty(o, event.uid, event.qty, ctx)));
    case 'LINE_REMOVE':
      return fold(context, withOrder(context, (o) => removeLine(o, event.uid, ctx)));
    case 'ORDER_SET_CUSTOMER':
      return fold(context, withOrder(context, (o) => setCustomer(o, event.partnerId)));
    case 'PRICING_CONTEXT_SET': {
      const pricing: Pricing = event.taxRates === undefined ? context.pricing : { ...context.pricing, taxRates: event.taxRates };
      const result = withOrder(context, (o) => setPricingContext(o, event, { pricing, kitchen: context.kitchen }));
      return result.ok ? { ...fold(context, result), pricing } : fold(context, result);
    }
    case 'SET_TABLE_META':
      return fold(context, withOrder(context, (o) => setTableMeta(o, event)));
    case 'ORDER_NEW':
    case 'ORDER_LOAD':
    case 'ORDER_CLEAR':
    case 'GO_CHECKOUT':
    case 'GO_EDITING':
    case 'MARK_PAID':
    case 'FINALIZE':
    case 'DRAFT_SAVE':
    case 'DRAFT_SAVED':
      return {};
    default: {
      const never: never = event;
      return never;
    }
  }
}

const autosave = {
  DRAFT_SAVE: { actions: 'requestSave' },
  DRAFT_SAVED: { actions: 'recordSaved' },
} as const;

export const orderMachine = setup({
  types: {
    context: {} as OrderMachineContext,
    events: {} as OrderEvent,
    input: {} as OrderMachineInput,
    emitted: {} as OrderEmitted,
  },
  guards: {
    loadsEditing: ({ event }) => event.type === 'ORDER_LOAD' && loadOrder(event.order).state === 'editing',
    loadsCheckout: ({ event }) => event.type === 'ORDER_LOAD' && loadOrder(event.order).state === 'checkout',
    loadsPaid: ({ event }) => event.type === 'ORDER_LOAD' && loadOrder(event.order).state === 'paid',
    canCheckout: ({ context, event }) => event.type === 'GO_CHECKOUT' && withOrder(context, (o) => goCheckout(o, event)).ok,
    canPay: ({ context, event }) => event.type === 'MARK_PAID' && withOrder(context, (o) => markPaid(o, event)).ok,
  },
  actions: {
    startNew: assign(({ context, event }) =>
      event.type === 'ORDER_NEW' ? { order: newOrder(event.header), revision: context.revision + 1, lastError: null } : {},
    ),
    load: assign(({ context, event }) =>
      event.type === 'ORDER_LOAD' ? { order: loadOrder(event.order), revision: context.revision + 1, savedRevision: context.revision + 1, lastError: null } : {},
    ),
    clear: assign(({ context }) => ({ order: null, revision: context.revision + 1, savedRevision: context.revision + 1, lastError: null })),
    // Also the fallback when the guard fails: fold() then records the refusal and keeps the order.
    checkout: assign(({ context, event }) => (event.type === 'GO_CHECKOUT' ? fold(context, withOrder(context, (o) => goCheckout(o, event))) : {})),
    backToEditing: assign(({ context }) => fold(context, withOrder(context, goEditing))),
    pay: assign(({ context, event }) => (event.type === 'MARK_PAID' ? fold(context, withOrder(context, (o) => markPaid(o, event))) : {})),
    finalize: assign(({ context }) => fold(context, withOrder(context, finalizeOrder))),
    edit: assign(({ context, event }) => edit(context, event)),
    refusePaidEdit: assign(({ context }) => ({
      lastError: { ok: false as const, code: 'ORDER_PAID' as const, message: `Order ${context.order?.posReference ?? ''} is paid; edits are blocked.` },
    })),
    requestSave: emit(({ context }) => ({ type: 'draft.save' as const, order: context.order as OrderSnapshot, revision: context.revision })),
    recordSaved: assign(({ context, event }) =>
      event.type === 'DRAFT_SAVED' ? { savedRevision: Math.min(context.revision, Math.max(context.savedRevision, event.revision)) } : {},
    ),
  },
}).createMachine({
  id: 'order',
  context: ({ input }) => ({
    order: input.order === undefined ? null : loadOrder(input.order),
    pricing: input.pricing ?? NO_TAXES,
    kitchen: input.sendChangesToKitchen === undefined ? DEFAULT_KITCHEN_OPTIONS : { sendChangesToKitchen: input.sendChangesToKitchen },
    revision: 0,
    savedRevision: 0,
    lastError: null,
  }),
  initial: 'boot',
  on: {
    ORDER_NEW: { target: '.editing', actions: 'startNew' },
    ORDER_LOAD: [
      { guard: 'loadsEditing', target: '.editing', actions: 'load' },
      { guard: 'loadsCheckout', target: '.checkout', actions: 'load' },
      { guard: 'loadsPaid', target: '.paid', actions: 'load' },
      { target: '.finalized', actions: 'load' },
    ],
    ORDER_CLEAR: { target: '.idle', actions: 'clear' },
  },
  states: {
    /** Transient: lands in the state of the input order, or idle. */
    boot: {
      always: [
        { guard: ({ context }) => context.order === null, target: 'idle' },
        { guard: ({ context }) => context.order?.state === 'editing', target: 'editing' },
        { guard: ({ context }) => context.order?.state === 'checkout', target: 'checkout' },
        { guard: ({ context }) => context.order?.state === 'paid', target: 'paid' },
        { target: 'finalized' },
      ],
    },
    idle: {},
    editing: {
      on: {
        ...lineEdits,
        ...autosave,
        GO_CHECKOUT: [{ guard: 'canCheckout', target: 'checkout', actions: 'checkout' }, { actions: 'checkout' }],
      },
    },
    checkout: {
      // The last line removed: the order dropped back to editing, and so does the machine.
      always: { guard: ({ context }) => context.order?.state === 'editing', target: 'editing' },
      on: {
        ...lineEdits,
        ...autosave,
        GO_EDITING: { target: 'editing', actions: 'backToEditing' },
        MARK_PAID: [{ guard: 'canPay', target: 'paid', actions: 'pay' }, { actions: 'pay' }],
      },
    },
    paid: {
      on: {
        ...autosave,
        FINALIZE: { target: 'finalized', actions: 'finalize' },
        ...paidRefusals,
      },
    },
    finalized: {
      on: {
        ...autosave,
        ...paidRefusals,
      },
    },
  },
});

export type OrderMachine = typeof orderMachine;
