/**
 * The order lifecycle as an XState v5 machine: idle → editing → checkout → paid → finalized. It is the
 * documented, tested XState view of one order (its model test walks every path against the hub's
 * validator); the hub and the SDK call order-ops.ts directly, and neither ships it (not exported from
 * src/domain/index.ts, so the SDK bundle carries no XState). Each state's transitions are generated
 * from the one lifecycle table (lifecycle.ts), and every edit goes through the pure functions of
 * order-ops.ts, so the machine decides nothing the table and the operations do not already say.
 * A refused operation leaves the order unchanged and records the table's reason in `lastError`.
 */
import { assign, emit, setup } from 'xstate';
import type { OrderSnapshot, OrderState } from '../protocol/snapshot.js';
import { DEFAULT_KITCHEN_OPTIONS, type KitchenOptions } from './kitchen-status.js';
import { lifecycleMove, type LifecycleEvent } from './lifecycle.js';
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

function withOrder(
  context: OrderMachineContext,
  op: (order: OrderSnapshot) => DomainResult<OrderSnapshot>,
): DomainResult<OrderSnapshot> {
  if (context.order === null) return { ok: false, code: 'INVALID_TRANSITION', message: 'No order is loaded.' };
  return op(context.order);
}

/** The machine's events for each lifecycle event of the table. */
const EDIT_EVENTS = [
  'LINE_ADD',
  'LINE_SET_QTY',
  'LINE_REMOVE',
  'ORDER_SET_CUSTOMER',
  'PRICING_CONTEXT_SET',
  'SET_TABLE_META',
] as const;

/** A lifecycle move through its pure operation; that operation consults the table first. */
function runMove(context: OrderMachineContext, event: OrderEvent): DomainResult<OrderSnapshot> | null {
  switch (event.type) {
    case 'GO_CHECKOUT':
      return withOrder(context, (o) => goCheckout(o, event));
    case 'GO_EDITING':
      return withOrder(context, goEditing);
    case 'MARK_PAID':
      return withOrder(context, (o) => markPaid(o, event));
    case 'FINALIZE':
      return withOrder(context, finalizeOrder);
    default:
      return null;
  }
}

/**
 * One state's transitions, read off the lifecycle table: an allowed move targets its state when its
 * operation succeeds (and records the refusal otherwise, such as CHECKOUT_EMPTY); a refused one only
 * records the table's code. Edits run where the table allows them and are refused with its code elsewhere.
 */
function lifecycleTransitions(state: OrderState) {
  const move = (event: LifecycleEvent) => {
    const m = lifecycleMove(state, event);
    return m.ok && m.to !== state
      ? [{ guard: 'moves' as const, target: m.to, actions: 'move' as const }, { actions: 'move' as const }]
      : { actions: 'move' as const };
  };
  const edit = lifecycleMove(state, 'EDIT').ok ? { actions: 'edit' as const } : { actions: 'refuseEdit' as const };
  const edits = Object.fromEntries(EDIT_EVENTS.map((type) => [type, edit])) as Record<
    (typeof EDIT_EVENTS)[number],
    typeof edit
  >;
  return {
    ...edits,
    GO_CHECKOUT: move('GO_CHECKOUT'),
    GO_EDITING: move('GO_EDITING'),
    MARK_PAID: move('MARK_PAID'),
    FINALIZE: move('FINALIZE'),
  };
}

/** The state a line change left the order in, when the table moves it on its own (LINES_EMPTIED). */
function follow(state: OrderState) {
  const m = lifecycleMove(state, 'LINES_EMPTIED');
  return m.ok && m.to !== state
    ? { guard: ({ context }: { context: OrderMachineContext }) => context.order?.state === m.to, target: m.to }
    : [];
}

/** Run one editing event through its pure operation; other events change nothing. */
function edit(context: OrderMachineContext, event: OrderEvent): Partial<OrderMachineContext> {
  const ctx = opContext(context);
  switch (event.type) {
    case 'LINE_ADD':
      return fold(
        context,
        withOrder(context, (o) => addLine(o, event.line, ctx)),
      );
    case 'LINE_SET_QTY':
      return fold(
        context,
        withOrder(context, (o) => setLineQty(o, event.uid, event.qty, ctx)),
      );
    case 'LINE_REMOVE':
      return fold(
        context,
        withOrder(context, (o) => removeLine(o, event.uid, ctx)),
      );
    case 'ORDER_SET_CUSTOMER':
      return fold(
        context,
        withOrder(context, (o) => setCustomer(o, event.partnerId)),
      );
    case 'PRICING_CONTEXT_SET': {
      const pricing: Pricing =
        event.taxRates === undefined ? context.pricing : { ...context.pricing, taxRates: event.taxRates };
      const result = withOrder(context, (o) => setPricingContext(o, event, { pricing, kitchen: context.kitchen }));
      return result.ok ? { ...fold(context, result), pricing } : fold(context, result);
    }
    case 'SET_TABLE_META':
      return fold(
        context,
        withOrder(context, (o) => setTableMeta(o, event)),
      );
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
    moves: ({ context, event }) => runMove(context, event)?.ok === true,
  },
  actions: {
    startNew: assign(({ context, event }) =>
      event.type === 'ORDER_NEW'
        ? { order: newOrder(event.header), revision: context.revision + 1, lastError: null }
        : {},
    ),
    load: assign(({ context, event }) =>
      event.type === 'ORDER_LOAD'
        ? {
            order: loadOrder(event.order),
            revision: context.revision + 1,
            savedRevision: context.revision + 1,
            lastError: null,
          }
        : {},
    ),
    clear: assign(({ context }) => ({
      order: null,
      revision: context.revision + 1,
      savedRevision: context.revision + 1,
      lastError: null,
    })),
    // Also the fallback when the guard fails: fold() then records the refusal and keeps the order.
    move: assign(({ context, event }) => {
      const result = runMove(context, event);
      return result === null ? {} : fold(context, result);
    }),
    edit: assign(({ context, event }) => edit(context, event)),
    refuseEdit: assign(({ context }) => {
      const m = context.order === null ? null : lifecycleMove(context.order.state, 'EDIT');
      const code = m !== null && !m.ok ? m.code : 'INVALID_TRANSITION';
      return {
        lastError: {
          ok: false as const,
          code,
          message: `Order ${context.order?.posReference ?? ''} is ${context.order?.state ?? 'not loaded'}; edits are blocked.`,
        },
      };
    }),
    requestSave: emit(({ context }) => ({
      type: 'draft.save' as const,
      order: context.order as OrderSnapshot,
      revision: context.revision,
    })),
    recordSaved: assign(({ context, event }) =>
      event.type === 'DRAFT_SAVED'
        ? { savedRevision: Math.min(context.revision, Math.max(context.savedRevision, event.revision)) }
        : {},
    ),
  },
}).createMachine({
  id: 'order',
  context: ({ input }) => ({
    order: input.order === undefined ? null : loadOrder(input.order),
    pricing: input.pricing ?? NO_TAXES,
    kitchen:
      input.sendChangesToKitchen === undefined
        ? DEFAULT_KITCHEN_OPTIONS
        : { sendChangesToKitchen: input.sendChangesToKitchen },
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
    editing: { always: follow('editing'), on: { ...lifecycleTransitions('editing'), ...autosave } },
    // The last line removed: the order dropped back to editing, and so does the machine.
    checkout: { always: follow('checkout'), on: { ...lifecycleTransitions('checkout'), ...autosave } },
    paid: { always: follow('paid'), on: { ...lifecycleTransitions('paid'), ...autosave } },
    finalized: { always: follow('finalized'), on: { ...lifecycleTransitions('finalized'), ...autosave } },
  },
});

export type OrderMachine = typeof orderMachine;
