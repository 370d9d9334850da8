/**
 * One thread's metrics: a prom-client Registry labelled with the thread's name, the HubMetrics port
 * implemented on it, and an event-loop delay monitor. Each thread (front, shard-N, writer) builds its
 * own; workers hand theirs to the front as JSON (snapshot) and the front renders all of them together.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HubMetrics } from '../../ports/metrics.js';
import {
  DEFAULT_METRICS_PREFIX,
  DROPPED_DEFAULT_METRICS,
  EVENT_LOOP_STATS,
  METRICS,
  THREAD_LABEL,
  type MetricSpec,
} from './names.js';
import { BucketHistogram } from './bucket-histogram.js';

export interface ThreadMetrics {
  readonly thread: string;
  readonly metrics: HubMetrics;
  readonly registry: Registry;
  /** The registry as prom-client JSON: plain data that crosses postMessage. */
  snapshot(): Promise<unknown>;
  /** Stops the event-loop monitor; the registry stays readable. */
  stop(): void;
}

export interface ThreadMetricsOptions {
  /** prom-client's process metrics (CPU, memory, fds): process-wide, so only one thread registers them. Default: thread === 'front'. */
  readonly processMetrics?: boolean;
  /** Distinct values kept per free-form label (type, code, method) before further ones become `other`. */
  readonly maxLabelValues?: number;
}

const MAX_LABEL_LENGTH = 64;

/**
 * Labels such as a frame's `type` may come from the network; a terminal sending a million made-up
 * types must not grow the registry without bound, so each label keeps at most `max` distinct values.
 */
function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (raw) => {
    const value = raw.length > MAX_LABEL_LENGTH ? raw.slice(0, MAX_LABEL_LENGTH) : raw;
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

/**
 * A gauge registered on first use. An unlabelled gauge reads 0 until set, so one registered in every
 * thread would add a false `0` series from each thread that never owns the value (the writer has no
 * terminals); created lazily, it appears only under the threads that report it.
 */
function lazyGauge(spec: MetricSpec, registry: Registry): () => Gauge {
  let created: Gauge | undefined;
  return () => (created ??= gauge(spec, registry));
}

/**
 * A histogram registered on first use, for the same reason: an unlabelled histogram exports a full set
 * of zero buckets from every thread, so the front showed a writer batch-size histogram it never fills.
 */
function lazyHistogram(spec: MetricSpec, registry: Registry): () => Histogram {
  let created: Histogram | undefined;
  return () => (created ??= histogram(spec, registry));
}

/** An unlabelled per-write histogram, registered on first use like lazyHistogram. */
function lazyObserve(spec: MetricSpec, registry: Registry): (value: number) => void {
  let observe: ((value: number) => void) | undefined;
  return (value) => (observe ??= new BucketHistogram(spec, registry).bind())(value);
}

/**
 * A {type, encoding} counter bumped per frame: summed in a Map under one string key and added to prom-client
 * when the registry is read (its collect hook), so a frame costs a Map update rather than a label-object hash.
 * Bounded like the labels it is keyed by (boundedLabel's values × the two encodings).
 */
function summedCounter(spec: MetricSpec, registry: Registry): (type: string, encoding: string, count: number) => void {
  const pending = new Map<string, { readonly labels: { type: string; encoding: string }; n: number }>();
  new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: [...spec.labels],
    registers: [registry],
    collect() {
      for (const entry of pending.values())
        if (entry.n > 0) {
          this.inc(entry.labels, entry.n);
          entry.n = 0;
        }
    },
  });
  return (type, encoding, count) => {
    const key = `${type}\u0000${encoding}`;
    const entry = pending.get(key);
    if (entry === undefined) pending.set(key, { labels: { type, encoding }, n: count });
    else entry.n += count;
  };
}

function counter(spec: MetricSpec, registry: Registry): Counter {
  return new Counter({ name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] });
}
function gauge(spec: MetricSpec, registry: Registry): Gauge {
  return new Gauge({ name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] });
}
function histogram(spec: MetricSpec, registry: Registry): Histogram {
  return new Histogram({
    name: spec.name,
    help: spec.help,
    labelNames: [...spec.labels],
    buckets: [...(spec.buckets ?? [])],
    registers: [registry],
  });
}

/**
 * Sampling period of the event-loop monitor: each tick is a timer wake-up of the thread, idle or not.
 * 20 ms (not 10) halves those wake-ups in every thread; a block still shows in full, since it delays
 * the next tick by its own length whatever the period.
 */
const LOOP_RESOLUTION_MS = 20;

/**
 * prom-client's default metrics run their own event-loop monitor, whose series we drop (ours above is
 * per thread): ticking it once a second instead of prom-client's 100 times keeps the front from waking
 * for numbers nobody reads.
 */
const DROPPED_LOOP_MONITOR_MS = 1000;

/**
 * monitorEventLoopDelay records the time between its timer's ticks, resolution included (an idle
 * loop reads ~10 ms at a 10 ms resolution), so the lag is that minus the resolution.
 */
function lagSeconds(nanoseconds: number): number {
  if (!Number.isFinite(nanoseconds)) return 0;
  return Math.max(0, nanoseconds / 1e6 - LOOP_RESOLUTION_MS) / 1e3;
}

/**
 * `max` covers this long, not just the window since the previous render: /metrics is rendered every
 * HUB_METRICS_REFRESH_MS (1 s) while Prometheus scrapes every 15 s or so, and a stall between two
 * scrapes must still show in the next one. Longer than any sane scrape interval.
 */
const LAG_MAX_WINDOW_MS = 60_000;

/** The largest value recorded in the last `windowMs` (one entry per render, so the list stays short). */
class RecentMax {
  private entries: Array<{ at: number; value: number }> = [];
  constructor(private readonly windowMs: number) {}

  record(at: number, value: number): number {
    this.entries = this.entries.filter((e) => at - e.at < this.windowMs);
    if (Number.isFinite(value)) this.entries.push({ at, value });
    return this.entries.reduce((max, e) => Math.max(max, e.value), 0);
  }
}

export function buildThreadMetrics(thread: string, options: ThreadMetricsOptions = {}): ThreadMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ [THREAD_LABEL]: thread });
  if (options.processMetrics ?? thread === 'front') {
    collectDefaultMetrics({
      register: registry,
      prefix: DEFAULT_METRICS_PREFIX,
      eventLoopMonitoringPrecision: DROPPED_LOOP_MONITOR_MS,
    });
    for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }
  const maxValues = options.maxLabelValues ?? 64;

  const connected = lazyGauge(METRICS.connectedTerminals, registry);
  const framesIn = summedCounter(METRICS.framesIn, registry);
  const framesOut = summedCounter(METRICS.framesOut, registry);
  const frameErrors = counter(METRICS.frameErrors, registry);
  // Observed once or more per write: counted in plain arrays (bucket-histogram.ts), not through prom-client.
  const ackLatency = lazyObserve(METRICS.ackLatency, registry);
  const broadcastLatency = lazyObserve(METRICS.broadcastLatency, registry);
  const backpressureCloses = counter(METRICS.backpressureCloses, registry);
  const quarantined = counter(METRICS.quarantined, registry);
  const resyncs = counter(METRICS.resyncs, registry);
  const storageErrors = counter(METRICS.storageErrors, registry);
  const shardReloads = counter(METRICS.shardReloads, registry);
  const actors = gauge(METRICS.actors, registry);
  const leaseDecisions = counter(METRICS.leaseDecisions, registry);
  const lockDecisions = counter(METRICS.lockDecisions, registry);
  const batchSize = lazyHistogram(METRICS.writerBatchSize, registry);
  const commitDuration = lazyHistogram(METRICS.writerCommitDuration, registry);
  const queueDepth = lazyGauge(METRICS.forwardQueueDepth, registry);
  const forwardAttempts = counter(METRICS.forwardAttempts, registry);
  const forwardFailures = counter(METRICS.forwardFailures, registry);
  const deadLetters = lazyGauge(METRICS.deadLetters, registry);
  const odooRpc = histogram(METRICS.odooRpcDuration, registry);
  const writeStage = new BucketHistogram(METRICS.writeStage, registry);
  const stageObserve = new Map<string, (seconds: number) => void>();

  // Every thread reports its own loop delay: a blocked shard or writer shows up here, not only the front.
  const loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const recentMax = new RecentMax(LAG_MAX_WINDOW_MS);
  loopDelay.enable();
  const eventLoopSpec = METRICS.eventLoopLag;
  new Gauge({
    name: eventLoopSpec.name,
    help: eventLoopSpec.help,
    labelNames: [...eventLoopSpec.labels],
    registers: [registry],
    collect() {
      const stats: Record<(typeof EVENT_LOOP_STATS)[number], number> = {
        mean: loopDelay.mean,
        p50: loopDelay.percentile(50),
        p99: loopDelay.percentile(99),
        max: recentMax.record(performance.now(), loopDelay.max),
      };
      for (const stat of EVENT_LOOP_STATS) this.set({ stat }, lagSeconds(stats[stat]));
      // Each render reports the window since the previous one, so a stall is not averaged away.
      loopDelay.reset();
    },
  });

  const typeLabel = boundedLabel(maxValues);
  const codeLabel = boundedLabel(maxValues);
  const methodLabel = boundedLabel(maxValues);

  const metrics: HubMetrics = {
    connectedTerminals: (count) => connected().set(count),
    frameIn: (type, encoding) => framesIn(typeLabel(type), encoding, 1),
    frameOut: (type, encoding, count = 1) => framesOut(typeLabel(type), encoding, count),
    frameError: (code) => frameErrors.inc({ code: codeLabel(code) }),
    ackLatency: (seconds) => ackLatency(seconds),
    broadcastLatency: (seconds) => broadcastLatency(seconds),
    backpressureClose: () => backpressureCloses.inc(),
    resync: (kind) => resyncs.inc({ kind }),
    storageError: (code) => storageErrors.inc({ code: codeLabel(code) }),
    shardReload: (outcome) => shardReloads.inc({ outcome }),
    actors: (shard, count) => actors.set({ shard: String(shard) }, count),
    leaseDecision: (decision) => leaseDecisions.inc({ decision }),
    lockDecision: (decision) => lockDecisions.inc({ decision }),
    writerBatch: (size, seconds) => {
      batchSize().observe(size);
      commitDuration().observe(seconds);
    },
    forwardQueueDepth: (depth) => queueDepth().set(depth),
    forwardAttempt: (outcome) => {
      forwardAttempts.inc({ outcome });
      if (outcome !== 'ok') forwardFailures.inc();
    },
    deadLetters: (count) => deadLetters().set(count),
    odooRpc: (method, outcome, seconds) => odooRpc.observe({ method: methodLabel(method), outcome }, seconds),
    quarantined: (kind) => quarantined.inc({ kind }),
    writeStage: (stage, seconds) => {
      let observe = stageObserve.get(stage);
      if (observe === undefined) stageObserve.set(stage, (observe = writeStage.bind({ stage })));
      observe(seconds);
    },
  };

  return {
    thread,
    metrics,
    registry,
    snapshot: () => registry.getMetricsAsJSON(),
    stop: () => loopDelay.disable(),
  };
}
