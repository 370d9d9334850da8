/**
 * The table actor as an XState v5 machine. The rules live in table-logic.ts (pure step function);
 * the machine owns the context and names its one effect, `emit`, which the shard host provides to
 * forward each produced Unit to the writer. Time arrives on every event (injected clock).
 */
import { assign, createActor, setup, type Actor } from 'xstate';
import { contextFromSeed, type TableContext, type TableEnv, type TableSeed } from './context.js';
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

export const tableMachine = setup({
  types: {
    context: {} as MachineContext,
    events: {} as TableEvent,
    input: {} as TableMachineInput,
  },
  actions: {
    /** Provided by the host: hand the step's unit and decisions to the writer and metrics. */
    emit: (_args: { context: MachineContext }) => undefined,
  },
}).createMachine({
  id: 'table',
  context: ({ input }) => ({ table: contextFromSeed(input.seed), env: input.env, last: null }),
  initial: 'active',
  states: {
    active: {
      on: {
        '*': {
          actions: [
            assign(({ context, event }) => {
              const result = step(context.table, event, context.env);
              return { table: result.context, last: result };
            }),
            'emit',
          ],
        },
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
        if (r && (r.unit !== null || r.leaseDecisions.length > 0 || r.lockDecisions.length > 0 || (r.relays?.length ?? 0) > 0 || (r.fence ?? null) !== null)) onStep(r);
      },
    },
  });
  const actor = createActor(machine, { input });
  actor.start();
  return actor;
}
