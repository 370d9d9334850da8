/**
 * The sizes of every scenario for `all` (the full run, < 10 min on a 2-core box) and `smoke`
 * (< 30 s, proves the harness end to end). Every phase is bounded in time and in count.
 */
import type { Encoding } from '../../src/protocol/constants.js';
import type { FloorVariant } from '../ceilings/floor-wire.js';
import type { MixSpec } from '../venue/ipc.js';

export type TargetName = 'pos-hub' | 'uws-ceiling' | 'socketio-peer' | 'pipeline-floor';

export interface SaturationTarget {
  readonly target: TargetName;
  readonly encoding: Encoding;
  /** pipeline-floor only: which threads a write crosses and how (bench/ceilings/floor-wire.ts). */
  readonly floor?: FloorVariant;
}

export interface VenuePlan {
  readonly terminals: number;
  readonly tables: number;
  /** Offered writes/s for the whole venue. */
  readonly rate: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly mix: MixSpec;
}

export interface Plan {
  readonly mode: 'all' | 'smoke';
  readonly processes: number;
  /** One hub for every scenario (smoke: fewer slow starts); the full run starts a fresh hub per scenario. */
  readonly shareHub: boolean;
  readonly venue: VenuePlan;
  /** The same dinner rush in a venue four times larger (issue 16: the same p99 at 240 terminals, 120 writes/s). */
  readonly venueLarge: VenuePlan;
  readonly saturation: {
    readonly terminals: number;
    readonly tables: number;
    readonly targets: readonly SaturationTarget[];
    readonly startRate: number;
    readonly maxRate: number;
    readonly maxSteps: number;
    readonly stepMs: number;
    readonly p99LimitMs: number;
    readonly sampleEvery: number;
    readonly mix: MixSpec;
  };
  readonly profile: { readonly enabled: boolean; readonly durationMs: number };
  readonly storm: {
    readonly terminals: number;
    readonly processes: number;
    readonly targets: readonly TargetName[];
    readonly seedOrders: number;
    /** How long the seeding terminals write before the storm. */
    readonly seedMs: number;
  };
  readonly idle: {
    /** Signed in at the end, reached in `steps` equal batches (a reading after each). */
    readonly terminals: number;
    readonly steps: number;
    /** Fresh servers per target (the figure is the median run). */
    readonly repeats: number;
    readonly processes: number;
    /** Quiet time after a batch before its first reading. */
    readonly settleMs: number;
    /** After the first batch (the warm-up), readings must agree over this long (bench/scenarios/idle.ts). */
    readonly warmUpMs: number;
    /** Start the servers with --expose-gc and collect every thread's garbage before each reading. */
    readonly forceGc: boolean;
    readonly targets: readonly TargetName[];
  };
  readonly http: { readonly durationS: number; readonly connections: number };
  readonly sqlite: { readonly batches: readonly number[]; readonly durationMs: number };
  /** Opt-in (`--only pg`): the write path on Postgres with a synchronous standby next to SQLite. */
  readonly pg: PgPlan;
  /** Opt-in (`--only floor`): the pipeline floor's variants next to the uWS relay, saturation's stepping, interleaved rounds. */
  readonly floor: {
    readonly rounds: number;
    readonly variants: readonly FloorVariant[];
    /** Run pos-hub (JSON) in every round too, for the hub-over-its-floor figure. */
    readonly withHub: boolean;
  };
}

export interface PgPlan {
  /** Store level: writer-like group commits of snapshot units, stepped like saturation. */
  readonly store: {
    readonly tables: number;
    readonly startRate: number;
    readonly maxRate: number;
    readonly maxSteps: number;
    readonly stepMs: number;
    readonly drainMs: number;
    readonly p99LimitMs: number;
  };
  /** Hub level: the saturation generator against a hub on each store (saturation's sizes). */
  readonly hub: { readonly enabled: boolean; readonly maxSteps: number; readonly maxRate: number };
  /** Failover: steady writes, kill -9 of the primary postmaster; a gap not closed within limitMs is reported as none. */
  readonly gap: { readonly rate: number; readonly warmMs: number; readonly limitMs: number; readonly paceMs: number };
  /** The idle cluster's CPU (Postgres and the HA agents), measured over this long. */
  readonly idleMs: number;
}

/** Writes only, one lease per order: the write path as the ceilings can also serve it. */
const WRITE_PATH: MixSpec = { lockFraction: 0, finalizeAfter: 0, heartbeatMs: 0 };

/**
 * Dinner rush: each of 60 terminals sends one snapshot every 2 s (30 writes/s for the venue — a
 * waiter adding items at every table they serve, well above an average service), one write in ten
 * under a table lock, an order paid and finalized after 8 snapshots, and heartbeats every 5 s
 * (4× the reference's 20 s lease period, to make them count).
 */
const DINNER_RUSH: MixSpec = { lockFraction: 0.1, finalizeAfter: 8, heartbeatMs: 5000 };

/** The floor's variants: every topology in the hub's seam (clone), then every seam in the hub's topology. */
const FLOOR_VARIANTS: readonly FloorVariant[] = [
  { topology: 'full', seam: 'clone' },
  { topology: 'no-shard', seam: 'clone' },
  { topology: 'no-writer', seam: 'clone' },
  { topology: 'one-thread', seam: 'clone' },
  { topology: 'full', seam: 'text' },
  { topology: 'full', seam: 'bytes' },
  { topology: 'full', seam: 'sab' },
  { topology: 'full', seam: 'sab-block' },
];

const ALL_TARGETS: readonly SaturationTarget[] = [
  { target: 'pos-hub', encoding: 'json' },
  { target: 'pos-hub', encoding: 'msgpack' },
  { target: 'uws-ceiling', encoding: 'json' },
  { target: 'uws-ceiling', encoding: 'msgpack' },
  { target: 'socketio-peer', encoding: 'json' },
];

export const PLANS: Record<'all' | 'smoke', Plan> = {
  all: {
    mode: 'all',
    processes: 3,
    shareHub: false,
    venue: { terminals: 60, tables: 120, rate: 30, warmupMs: 3000, durationMs: 30_000, mix: DINNER_RUSH },
    venueLarge: { terminals: 240, tables: 480, rate: 120, warmupMs: 3000, durationMs: 30_000, mix: DINNER_RUSH },
    saturation: {
      terminals: 20,
      tables: 120,
      targets: ALL_TARGETS,
      startRate: 125,
      maxRate: 64_000,
      maxSteps: 10,
      stepMs: 3000,
      p99LimitMs: 10,
      sampleEvery: 16,
      mix: WRITE_PATH,
    },
    profile: { enabled: true, durationMs: 6000 },
    storm: {
      terminals: 1000,
      processes: 4,
      targets: ['pos-hub', 'uws-ceiling', 'socketio-peer'],
      seedOrders: 120,
      seedMs: 1000,
    },
    idle: {
      terminals: 2000,
      steps: 4,
      repeats: 3,
      processes: 4,
      settleMs: 2000,
      warmUpMs: 6000,
      forceGc: true,
      targets: ['pos-hub', 'uws-ceiling', 'socketio-peer'],
    },
    http: { durationS: 5, connections: 20 },
    sqlite: { batches: [1, 64, 256], durationMs: 2000 },
    pg: {
      store: { tables: 120, startRate: 125, maxRate: 16_000, maxSteps: 9, stepMs: 3000, drainMs: 1500, p99LimitMs: 10 },
      hub: { enabled: true, maxSteps: 6, maxRate: 4000 },
      gap: { rate: 50, warmMs: 2000, limitMs: 60_000, paceMs: 20 },
      idleMs: 3000,
    },
    floor: { rounds: 3, variants: FLOOR_VARIANTS, withHub: true },
  },
  smoke: {
    mode: 'smoke',
    processes: 2,
    shareHub: true,
    venue: {
      terminals: 4,
      tables: 4,
      rate: 20,
      warmupMs: 200,
      durationMs: 1500,
      mix: { lockFraction: 0.2, finalizeAfter: 3, heartbeatMs: 300 },
    },
    venueLarge: {
      terminals: 8,
      tables: 8,
      rate: 40,
      warmupMs: 200,
      durationMs: 1000,
      mix: { lockFraction: 0.2, finalizeAfter: 3, heartbeatMs: 300 },
    },
    saturation: {
      terminals: 4,
      tables: 8,
      // Every target of the full run, so every row of the goal table is produced at toy size.
      targets: ALL_TARGETS,
      startRate: 50,
      maxRate: 100,
      maxSteps: 2,
      stepMs: 500,
      p99LimitMs: 10,
      sampleEvery: 1,
      mix: WRITE_PATH,
    },
    profile: { enabled: false, durationMs: 0 },
    storm: {
      terminals: 20,
      processes: 2,
      targets: ['pos-hub', 'uws-ceiling', 'socketio-peer'],
      seedOrders: 4,
      seedMs: 300,
    },
    // Two batches and the forced GC, so the whole procedure (and SIGUSR2 reaching every server) is exercised.
    idle: {
      terminals: 20,
      steps: 2,
      repeats: 1,
      processes: 2,
      settleMs: 200,
      warmUpMs: 0,
      forceGc: true,
      targets: ['pos-hub', 'uws-ceiling', 'socketio-peer'],
    },
    http: { durationS: 1, connections: 2 },
    sqlite: { batches: [1, 64], durationMs: 200 },
    pg: {
      store: { tables: 8, startRate: 125, maxRate: 250, maxSteps: 2, stepMs: 500, drainMs: 1000, p99LimitMs: 10 },
      hub: { enabled: true, maxSteps: 1, maxRate: 50 },
      // A failover takes what it takes (detection and promotion are timeouts), so the limit is not scaled down.
      gap: { rate: 25, warmMs: 500, limitMs: 60_000, paceMs: 20 },
      idleMs: 500,
    },
    floor: { rounds: 1, variants: FLOOR_VARIANTS, withHub: false },
  },
};
