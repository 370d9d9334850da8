/**
 * Every metric the hub exports, in one table: name, kind, help, labels and buckets. The prom-client
 * adapter builds its registries from this table, the README's metric list is written from it, and the
 * Grafana dashboard test fails when a panel queries a name that is not here.
 */

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  readonly name: string;
  readonly kind: MetricKind;
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
}

/** Added to every series by each thread's registry: front, shard-0 … shard-N, writer. */
export const THREAD_LABEL = 'thread';

/** Seconds, for latencies measured inside the LAN (sub-millisecond to a couple of seconds). */
const LAN_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Seconds, for a SQLite transaction under synchronous=FULL (one fsync ≈ 0.3 ms on these machines). */
const COMMIT_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/**
 * Seconds, for one stage of a write's path (a thread hop, an actor step, a commit): 10 µs to 1 s (an overloaded hub
 * must still show which stage its tail is in, not 100 ms everywhere),
 * finer than LAN_SECONDS because the whole path is meant to cost about one fsync (~0.3 ms) more than a relay.
 */
const STAGE_SECONDS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 1];
/** Seconds, for calls to Odoo over the internet (the POS client's own timeout is 7.5 s). */
const ODOO_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 7.5, 10, 30];
/**
 * Rows per group commit: whole numbers, so each bound sits half-way between two of them. Prometheus
 * interpolates linearly inside a bucket and assumes 0 below the lowest, so bounds at 1, 2, 4 … made a
 * steady batch of 1 read p50 ≈ 0.5; with the empty 0.5 bucket and 1.5 above it, it reads 1.
 */
export const BATCH_ROWS = [0.5, 1.5, 2.5, 4.5, 8.5, 16.5, 32.5, 64.5, 128.5, 256.5, 512.5, 1024.5];

export const METRICS = {
  connectedTerminals: {
    name: 'pos_hub_connected_terminals',
    kind: 'gauge',
    help: 'Authenticated terminal connections.',
    labels: [],
  },
  framesIn: {
    name: 'pos_hub_frames_in_total',
    kind: 'counter',
    help: 'Frames received from terminals, by message type and encoding.',
    labels: ['type', 'encoding'],
  },
  framesOut: {
    name: 'pos_hub_frames_out_total',
    kind: 'counter',
    help: 'Frames sent to terminals, by message type and encoding.',
    labels: ['type', 'encoding'],
  },
  frameErrors: {
    name: 'pos_hub_frame_errors_total',
    kind: 'counter',
    help: 'Frames refused before reaching a shard (decode and validation errors), by error code.',
    labels: ['code'],
  },
  ackLatency: {
    name: 'pos_hub_ack_latency_seconds',
    kind: 'histogram',
    help: 'Frame received to ORDER_ACK sent to the writer of the change (includes the commit).',
    labels: [],
    buckets: LAN_SECONDS,
  },
  broadcastLatency: {
    name: 'pos_hub_broadcast_latency_seconds',
    kind: 'histogram',
    help: "Frame received to ORDER_UPDATED handed to the other terminals' sockets.",
    labels: [],
    buckets: LAN_SECONDS,
  },
  quarantined: {
    name: 'pos_hub_quarantined_records_total',
    kind: 'counter',
    help: 'Stored records, write units or outbound messages left out because they cannot be read or encoded safely, by kind.',
    labels: ['kind'],
  },
  backpressureCloses: {
    name: 'pos_hub_backpressure_closes_total',
    kind: 'counter',
    help: 'Terminals closed (4003) because they did not read their socket fast enough.',
    labels: [],
  },
  storageErrors: {
    name: 'pos_hub_storage_errors_total',
    kind: 'counter',
    help: 'Group commits the disk refused (full, I/O error, busy), by SQLite code; their writes got STORAGE_UNAVAILABLE.',
    labels: ['code'],
  },
  shardReloads: {
    name: 'pos_hub_shard_reloads_total',
    kind: 'counter',
    help: 'Shard loads from the store (at start and after a failed commit), by outcome (ok, failed); a failed one is retried.',
    labels: ['outcome'],
  },
  resyncs: {
    name: 'pos_hub_resyncs_total',
    kind: 'counter',
    help: 'Terminal resynchronisations: full SYNC_INIT or a lastSeq resume.',
    labels: ['kind'],
  },
  actors: {
    name: 'pos_hub_actors',
    kind: 'gauge',
    help: 'Table actors alive, per shard.',
    labels: ['shard'],
  },
  leaseDecisions: {
    name: 'pos_hub_lease_decisions_total',
    kind: 'counter',
    help: 'Order lease decisions: granted, denied, revoked, expired, released, forced.',
    labels: ['decision'],
  },
  lockDecisions: {
    name: 'pos_hub_lock_decisions_total',
    kind: 'counter',
    help: 'Table lock decisions: granted, denied, revoked, expired, released, forced.',
    labels: ['decision'],
  },
  writerBatchSize: {
    name: 'pos_hub_writer_batch_size',
    kind: 'histogram',
    help: 'Writes committed per SQLite group commit.',
    labels: [],
    buckets: BATCH_ROWS,
  },
  writerCommitDuration: {
    name: 'pos_hub_writer_commit_duration_seconds',
    kind: 'histogram',
    help: 'Duration of one SQLite group commit, fsync included.',
    labels: [],
    buckets: COMMIT_SECONDS,
  },
  forwardQueueDepth: {
    name: 'pos_hub_forward_queue_depth',
    kind: 'gauge',
    help: 'Finalized orders waiting to be forwarded to Odoo.',
    labels: [],
  },
  forwardAttempts: {
    name: 'pos_hub_forward_attempts_total',
    kind: 'counter',
    help: 'Attempts to forward an order to Odoo, by outcome (ok, retry, dead).',
    labels: ['outcome'],
  },
  forwardFailures: {
    name: 'pos_hub_forward_failures_total',
    kind: 'counter',
    help: 'Forward attempts that failed (outcome retry or dead).',
    labels: [],
  },
  deadLetters: {
    name: 'pos_hub_dead_letters',
    kind: 'gauge',
    help: 'Orders Odoo refused for good, parked for an operator.',
    labels: [],
  },
  odooRpcDuration: {
    name: 'pos_hub_odoo_rpc_duration_seconds',
    kind: 'histogram',
    help: 'Odoo JSON-RPC call latency, by method and outcome.',
    labels: ['method', 'outcome'],
    buckets: ODOO_SECONDS,
  },
  writeStage: {
    name: 'pos_hub_write_stage_seconds',
    kind: 'histogram',
    help: 'Time a write spends in each stage of its path: decode, to_shard, actor_step, to_writer, commit_wait, commit, to_front, fan_out.',
    labels: ['stage'],
    buckets: STAGE_SECONDS,
  },
  eventLoopLag: {
    name: 'pos_hub_event_loop_lag_seconds',
    kind: 'gauge',
    help: 'Event-loop delay of this thread (perf_hooks.monitorEventLoopDelay), by statistic: mean, p50 and p99 since the previous render of /metrics, max over the last 60 s.',
    labels: ['stat'],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

/** Statistics reported for the event-loop lag gauge. */
export const EVENT_LOOP_STATS = ['mean', 'p50', 'p99', 'max'] as const;

/** prom-client's default process metrics get this prefix; only the front thread registers them. */
export const DEFAULT_METRICS_PREFIX = 'pos_hub_';

/**
 * prom-client defaults the hub removes: `promtool check metrics` refuses gauges named `_total` (a
 * counter suffix), and the default event-loop-lag family duplicated `pos_hub_event_loop_lag_seconds`,
 * which every thread reports (not only the front) per scrape window.
 */
export const DROPPED_DEFAULT_METRICS = [
  'pos_hub_nodejs_active_handles_total',
  'pos_hub_nodejs_active_requests_total',
  'pos_hub_nodejs_active_resources_total',
  'pos_hub_nodejs_eventloop_lag_seconds',
  'pos_hub_nodejs_eventloop_lag_min_seconds',
  'pos_hub_nodejs_eventloop_lag_max_seconds',
  'pos_hub_nodejs_eventloop_lag_mean_seconds',
  'pos_hub_nodejs_eventloop_lag_stddev_seconds',
  'pos_hub_nodejs_eventloop_lag_p50_seconds',
  'pos_hub_nodejs_eventloop_lag_p90_seconds',
  'pos_hub_nodejs_eventloop_lag_p99_seconds',
] as const;

/**
 * The default process metrics the Grafana dashboard and README rely on. A unit test checks that the
 * front thread's registry really exports each of them (prom-client could rename one in a release).
 */
export const PROCESS_METRIC_NAMES = [
  'pos_hub_process_cpu_seconds_total',
  'pos_hub_process_resident_memory_bytes',
  'pos_hub_process_start_time_seconds',
  'pos_hub_nodejs_heap_size_used_bytes',
] as const;

/** Every series name a scrape may contain that dashboards may query (histograms with their suffixes). */
export function exportedSeriesNames(): Set<string> {
  const names = new Set<string>(PROCESS_METRIC_NAMES);
  for (const spec of Object.values(METRICS) as MetricSpec[]) {
    names.add(spec.name);
    if (spec.kind === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(spec.name + suffix);
    }
  }
  return names;
}
