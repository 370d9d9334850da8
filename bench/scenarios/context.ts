/**
 * What every scenario is handed: the plan, where results go, the Odoo simulator's URL (or null when
 * it is not available), a logger, and a way to start any target by name.
 */
import type { BenchScripts } from '../lib/bundle.js';
import type { MachineInfo } from '../lib/machine.js';
import { writeResult } from '../lib/results.js';
import type { FloorVariant } from '../ceilings/floor-wire.js';
import { startFloor, startHub, startRelay, type ServerHandle } from '../venue/targets.js';
import type { Plan, TargetName } from './plan.js';

export interface BenchContext {
  readonly plan: Plan;
  readonly outDir: string;
  readonly date: string;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly odooUrl: string | null;
  /** Unique per process run, so posReferences never collide with an earlier run's. */
  readonly runTag: string;
  /** Bundled child entries (generator, relays). */
  readonly scripts: BenchScripts;
  /** With plan.shareHub (smoke), one hub serves every scenario; run.ts stops it at the end. */
  readonly shared: { hub: ServerHandle | null };
  log(message: string): void;
  /** Record a failed part of a scenario; the run goes on and exits non-zero at the end. */
  fail(what: string, error: unknown): void;
}

/** Run one target of a multi-target scenario; a failure is recorded and the next target still runs. */
export async function eachTarget<S, R>(
  ctx: BenchContext,
  scenario: string,
  specs: readonly S[],
  label: (s: S) => string,
  body: (s: S) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  for (const spec of specs) {
    try {
      out.push(await body(spec));
    } catch (error) {
      ctx.fail(`${scenario} ${label(spec)}`, error);
    }
  }
  return out;
}

export interface StartOptions {
  /** Directory for the hub's `--cpu-prof` output. */
  readonly cpuProfDir?: string;
  /** More node flags for the server (the idle scenario's `--expose-gc`). */
  readonly nodeArgs?: readonly string[];
  /** The pipeline floor's topology and seam (target `pipeline-floor`). */
  readonly floor?: FloorVariant;
}

/** Start a target; with plan.shareHub and no options, the hub is the shared one. */
export function startTarget(ctx: BenchContext, name: TargetName, options: StartOptions = {}): Promise<ServerHandle> {
  const { cpuProfDir, nodeArgs, floor } = options;
  switch (name) {
    case 'pos-hub':
      if (ctx.plan.shareHub && cpuProfDir === undefined && nodeArgs === undefined) return sharedHub(ctx);
      return startHub({
        odooUrl: ctx.odooUrl,
        ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
        ...(nodeArgs === undefined ? {} : { nodeArgs }),
      }).then((hub) => {
        // The machine record says whether the hub's uWS is native: its /health `uws` field when present.
        ctx.machine.uws = hub.health?.uws ?? ctx.machine.uws;
        return hub;
      });
    case 'uws-ceiling':
      return startRelay(name, ctx.scripts.uwsRelay, nodeArgs);
    case 'socketio-peer':
      return startRelay(name, ctx.scripts.socketioRelay, nodeArgs);
    case 'pipeline-floor':
      return startFloor(floor ?? { topology: 'full', seam: 'clone' });
    default: {
      const unreachable: never = name;
      throw new Error(`unknown target ${String(unreachable)}`);
    }
  }
}

async function sharedHub(ctx: BenchContext): Promise<ServerHandle> {
  if (ctx.shared.hub === null || !ctx.shared.hub.alive()) {
    ctx.shared.hub = await startHub({ odooUrl: ctx.odooUrl });
    ctx.machine.uws = ctx.shared.hub.health?.uws ?? ctx.machine.uws;
  }
  return { ...ctx.shared.hub, stop: async () => undefined };
}

export function save(
  ctx: BenchContext,
  scenario: string,
  config: unknown,
  results: unknown,
  notes: readonly string[] = [],
): string {
  return writeResult(ctx.outDir, {
    scenario,
    mode: ctx.plan.mode,
    date: ctx.date,
    startedAt: ctx.startedAt,
    machine: ctx.machine,
    config,
    results,
    notes,
  });
}

/** Run `body` with a started server and always stop it. */
export async function withServer<T>(server: ServerHandle, body: (server: ServerHandle) => Promise<T>): Promise<T> {
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}
