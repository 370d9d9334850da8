/**
 * The table actor as an XState v5 machine whose states are the table's grants: `lock` is free, held by a
 * connected holder, or held by one whose socket dropped (grace window); `leases` says whether any order
 * homed here is leased. An inspector or a test reads `snapshot.value` ({ lock: { held: 'away' }, leases:
 * 'held' }); the holder and each order's lease are in the context (grantState() in context.ts reads one).
 *
 * The rules stay in the pure step (table-logic.ts, transfer-logic.ts), bound here as the `apply` action on
 * each named event; the states then follow the context through guarded eventless transitions, so they are
 * never a second copy of the rules that could disagree with the units the writer commits. Orders are a
 * dynamic set, so per-order lease states are not machine states: one child actor per order would cost a
 * spawn per order and a hop per event, and split the one-unit-per-event atomicity (a disconnect moves
 * every lease of its terminal in one unit). Measured: bench/actor-step.ts (figures in the README notes).
 */
import { assign, createActor, setup, type Actor } from 'xstate';
import { anyLease, contextFromSeed, grantState, type TableContext, type TableEnv, type TableSeed } from './context.js';
import { step, type StepResult, type TableEvent } from './table-logic.js';

export interface TableMachineInput {
  readonly seed: TableSeed;
  readonly env: TableEnv;
}

interface MachineContext {
  readonly table: TableContext;
  readonly env: TableEnv;
  /** What the last event produced, handed to `emit` right after the assign. */
  readonly last: StepResult | null;
}

/** Every input runs the pure step, then hands what it produced to the host. */
const applyStep = { actions: ['apply', 'emit'] } as const;

export const tableMachine = setup({
  types: {
    context: {} as MachineContext,
    events: {} as TableEvent,
    input: {} as TableMachineInput,
  },
  actions: {
    apply: assign(({ context, event }) => {
      const result = step(context.table, event, context.env);
      return { table: result.context, last: result };
    }),
    /** Provided by the host: hand the step's unit and decisions to the writer and metrics. */
    emit: (_args: { context: MachineContext }) => undefined,
  },
  guards: {
    lockFree: ({ context }) => grantState(context.table.lock) === 'free',
    lockConnected: ({ context }) => grantState(context.table.lock) === 'connected',
    lockAway: ({ context }) => grantState(context.table.lock) === 'away',
    leased: ({ context }) => anyLease(context.table),
    unleased: ({ context }) => !anyLease(context.table),
  },
}).createMachine({
  id: 'table',
  context: ({ input }) => ({ table: contextFromSeed(input.seed), env: input.env, last: null }),
  type: 'parallel',
  on: {
    terminal: applyStep,
    connected: applyStep,
    disconnected: applyStep,
    tick: applyStep,
    transfer_begin: applyStep,
    transfer_prepare: applyStep,
    transfer_prepared: applyStep,
    transfer_apply: applyStep,
    transfer_abort: applyStep,
  },
  states: {
    /** The table lock (TABLE_LOCK_*): who may seat, merge and update this table. */
    lock: {
      initial: 'free',
      states: {
        free: {
          always: [
            { guard: 'lockConnected', target: 'held.connected' },
            { guard: 'lockAway', target: 'held.away' },
          ],
        },
        held: {
          initial: 'connected',
          always: { guard: 'lockFree', target: 'free' },
          states: {
            connected: { always: { guard: 'lockAway', target: 'away' } },
            /** The holder's socket dropped: the lock lasts out the grace window unless it reconnects. */
            away: { always: { guard: 'lockConnected', target: 'connected' } },
          },
        },
      },
    },
    /** The order leases (LEASE_*): held from a grant until its release or the tick that expires it. */
    leases: {
      initial: 'none',
      states: {
        none: { always: { guard: 'leased', target: 'held' } },
        held: { always: { guard: 'unleased', target: 'none' } },
      },
    },
  },
});

export type TableActor = Actor<typeof tableMachine>;

/** Start one table actor; `onStep` receives every step that produced something. */
export function startTableActor(input: TableMachineInput, onStep: (result: StepResult) => void): TableActor {
  const machine = tableMachine.provide({
    actions: {
      emit: ({ context }) => {
        const r = context.last;
        if (
          r &&
          (r.unit !== null ||
            r.leaseDecisions.length > 0 ||
            r.lockDecisions.length > 0 ||
            (r.relays?.length ?? 0) > 0 ||
            (r.fence ?? null) !== null)
        )
          onStep(r);
      },
    },
  });
  const actor = createActor(machine, { input });
  actor.start();
  return actor;
}
