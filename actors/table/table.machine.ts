/**
 * The table actor as an XState v5 machine. The rules live in table-logic.ts (pure step function); the
 * machine owns the context: one state, one pure `assign` per event that runs the step and keeps its
 * result. The effect — handing each produced Unit to the writer — happens outside the machine, in
 * `startTableActor`, which reads the result from the snapshot after each send. (A named `emit` action
 * provided per actor cost more than the step itself: 18.5–19.3 → 8.5–13.3 µs CPU per event over three
 * runs each of bench/actor-step.ts, load 18–20.)
 * Time arrives on every event (injected clock).
 */
import { assign, createActor, setup, type Actor, type SnapshotFrom } from 'xstate';
import { contextFromSeed, type TableContext, type TableEnv, type TableSeed } from './context.js';
import { step, type StepResult, type TableEvent } from './table-logic.js';

export interface TableMachineInput {
  readonly seed: TableSeed;
  readonly env: TableEnv;
}

interface MachineContext {
  readonly table: TableContext;
  readonly env: TableEnv;
  /** What the last event produced, read by the actor's owner right after the send. */
  readonly last: StepResult | null;
}

export const tableMachine = setup({
  types: {
    context: {} as MachineContext,
    events: {} as TableEvent,
    input: {} as TableMachineInput,
  },
}).createMachine({
  id: 'table',
  context: ({ input }) => ({ table: contextFromSeed(input.seed), env: input.env, last: null }),
  initial: 'active',
  states: {
    active: {
      on: {
        '*': {
          actions: assign(({ context, event }) => {
            const result = step(context.table, event, context.env);
            return { table: result.context, last: result };
          }),
        },
      },
    },
  },
});

/** One running table actor: what the shard host needs of it. */
export interface TableActor {
  send(event: TableEvent): void;
  getSnapshot(): SnapshotFrom<typeof tableMachine>;
  stop(): void;
}

/** Whether a step produced anything its owner must pass on (a unit, a decision, a relay or a fence change). */
function produced(r: StepResult): boolean {
  return (
    r.unit !== null ||
    r.leaseDecisions.length > 0 ||
    r.lockDecisions.length > 0 ||
    (r.relays?.length ?? 0) > 0 ||
    (r.fence ?? null) !== null
  );
}

/**
 * A step threw (a bug the input reached, never a refusal: refusals are results). The actor is stopped and
 * its state is no longer trusted; its owner decides what becomes of the input (workers/shard/step-failures.ts).
 */
export class ActorStepError extends Error {
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`table actor ${key}: a step threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ActorStepError';
  }
}

/**
 * Start one table actor; `onStep` receives every step that produced something, synchronously within `send`.
 * A step that throws makes `send` throw ActorStepError (and the actor unusable).
 */
export function startTableActor(input: TableMachineInput, onStep: (result: StepResult) => void): TableActor {
  const actor: Actor<typeof tableMachine> = createActor(tableMachine, { input });
  // Observed, so XState does not rethrow the step's error on a timer, where it would end the worker:
  // send() reports it to its caller instead.
  actor.subscribe({ error: () => undefined });
  actor.start();
  // Identity, not null: an event the machine did not take (a stopped or failed actor) leaves the last
  // result in place, and it must not be handed on twice.
  let handed: StepResult | null = null;
  return {
    send(event) {
      actor.send(event);
      const snapshot = actor.getSnapshot();
      if (snapshot.status === 'error') throw new ActorStepError(input.seed.key, snapshot.error);
      const r = snapshot.context.last;
      if (r === null || r === handed) return;
      handed = r;
      if (produced(r)) onStep(r);
    },
    getSnapshot: () => actor.getSnapshot(),
    stop: () => actor.stop(),
  };
}
