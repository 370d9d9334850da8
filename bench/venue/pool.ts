/**
 * The parent side of the load generator: forks N generator processes, splits the terminals and the
 * offered rate between them, and merges what they report into one set of figures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram, type LatencySummary } from '../lib/histogram.js';
import type { ConnectReport, GeneratorCommand, GeneratorReport, MixSpec, RunReport, TargetSpec } from './ipc.js';

const CHILD = fileURLToPath(new URL('./generator.child.ts', import.meta.url));

export interface PoolOptions {
  readonly processes: number;
  readonly terminals: number;
  readonly tables: number;
  readonly target: TargetSpec;
  readonly runId: string;
  readonly sampleEvery?: number;
  readonly connectTimeoutMs?: number;
  /** The generator entry: a bundled .mjs (fast start) or, by default, the .ts source through tsx. */
  readonly script?: string;
}

export interface ConnectResult {
  readonly ok: number;
  readonly failed: number;
  /** First socket created → last SYNC_INIT received, over every process. */
  readonly allInSyncMs: number;
  readonly perTerminal: LatencySummary;
  readonly errors: Record<string, number>;
  readonly generatorCpuMs: number;
}

export interface RunResult {
  readonly offeredPerS: number;
  readonly acceptedPerS: number;
  readonly offered: number;
  readonly accepted: number;
  readonly skippedBusy: number;
  readonly finalized: number;
  readonly ack: LatencySummary;
  readonly propagation: LatencySummary;
  readonly lease: LatencySummary;
  readonly lock: LatencySummary;
  readonly finalize: LatencySummary;
  readonly received: Record<string, number>;
  readonly sentByType: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly errorCount: number;
  readonly generatorCpuMs: number;
  readonly elapsedMs: number;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

class Worker {
  private readonly waiting: Array<(r: GeneratorReport) => void> = [];
  private exited = false;

  constructor(readonly child: ChildProcess) {
    child.on('message', (m: GeneratorReport) => this.waiting.shift()?.(m));
    child.on('exit', (code) => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w({ type: 'failed', message: `generator exited with ${code}` });
    });
  }

  request(cmd: GeneratorCommand): Promise<GeneratorReport> {
    if (this.exited) return Promise.resolve({ type: 'failed', message: 'generator already exited' });
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send(cmd);
    });
  }
}

function expect<T extends GeneratorReport['type']>(r: GeneratorReport, type: T): Extract<GeneratorReport, { type: T }> {
  if (r.type !== type)
    throw new Error(r.type === 'failed' ? `generator failed: ${r.message}` : `expected ${type}, got ${r.type}`);
  return r as Extract<GeneratorReport, { type: T }>;
}

export class GeneratorPool {
  private readonly workers: Worker[];

  private constructor(
    private readonly options: PoolOptions,
    workers: Worker[],
  ) {
    this.workers = workers;
  }

  /** Fork the processes (they connect nothing yet). */
  static start(options: PoolOptions): GeneratorPool {
    const n = Math.max(1, Math.min(options.processes, options.terminals));
    const script = options.script ?? CHILD;
    const workers = Array.from(
      { length: n },
      () =>
        new Worker(
          fork(script, [], {
            execArgv: script.endsWith('.ts') ? ['--import', 'tsx'] : [],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          }),
        ),
    );
    return new GeneratorPool(options, workers);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.child.pid ?? 0);
  }

  /**
   * Connect every terminal at once (all processes in parallel) and wait until each has SYNC_INIT or failed.
   * `range`: only terminals [from, to) this time (the idle scenario signs in batches); `ok` then counts every
   * terminal of the pool in sync so far, `failed` only this batch's.
   */
  async connect(range?: { readonly from: number; readonly to: number }): Promise<ConnectResult> {
    const { terminals } = this.options;
    const from = range?.from ?? 0;
    const to = Math.min(terminals, range?.to ?? terminals);
    const share = Math.ceil((to - from) / this.workers.length);
    const reports = await Promise.all(
      this.workers.map(async (w, i) =>
        expect(
          await w.request({
            type: 'connect',
            target: this.options.target,
            runId: this.options.runId,
            from: Math.min(to, from + i * share),
            to: Math.min(to, from + (i + 1) * share),
            totalTerminals: terminals,
            tables: this.options.tables,
            sampleEvery: this.options.sampleEvery ?? 1,
            timeoutMs: this.options.connectTimeoutMs ?? 30_000,
          }),
          'connected',
        ),
      ),
    );
    return mergeConnect(reports);
  }

  /** Offer `rate` writes/s for durationMs across all processes; returns the merged figures. */
  async run(rate: number, durationMs: number, mix: MixSpec, drainMs = 2000): Promise<RunResult> {
    const per = rate / this.workers.length;
    const reports = await Promise.all(
      this.workers.map(async (w) =>
        expect(await w.request({ type: 'run', rate: per, durationMs, mix, drainMs }), 'ran'),
      ),
    );
    return mergeRun(reports);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        const exited = new Promise<void>((resolve) => {
          if (w.child.exitCode !== null) resolve();
          else w.child.once('exit', () => resolve());
        });
        await Promise.race([w.request({ type: 'close' }), new Promise((r) => setTimeout(r, 3000))]);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
        if (w.child.exitCode === null) w.child.kill('SIGKILL');
      }),
    );
  }
}

function mergeConnect(reports: ConnectReport[]): ConnectResult {
  const h = new Histogram();
  const errors: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let start = Number.POSITIVE_INFINITY;
  let last = 0;
  let generatorCpuMs = 0;
  for (const r of reports) {
    generatorCpuMs += r.generatorCpuMs;
    h.merge(r.syncLatency);
    addCounts(errors, r.errors);
    ok += r.ok;
    failed += r.failed;
    start = Math.min(start, r.startedUs);
    last = Math.max(last, r.lastSyncUs);
  }
  return {
    ok,
    failed,
    allInSyncMs: last > start ? Math.round((last - start) / 10) / 100 : 0,
    perTerminal: h.summary(),
    errors,
    generatorCpuMs: Math.round(generatorCpuMs),
  };
}

function mergeRun(reports: RunReport[]): RunResult {
  const hs = {
    ack: new Histogram(),
    propagation: new Histogram(),
    lease: new Histogram(),
    lock: new Histogram(),
    finalize: new Histogram(),
  };
  const received: Record<string, number> = {};
  const sentByType: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let offered = 0;
  let accepted = 0;
  let skippedBusy = 0;
  let finalized = 0;
  let generatorCpuMs = 0;
  let elapsedMs = 0;
  for (const r of reports) {
    hs.ack.merge(r.ack);
    hs.propagation.merge(r.propagation);
    hs.lease.merge(r.lease);
    hs.lock.merge(r.lock);
    hs.finalize.merge(r.finalize);
    addCounts(received, r.received);
    addCounts(sentByType, r.sentByType);
    addCounts(errors, r.errors);
    offered += r.offered;
    accepted += r.accepted;
    skippedBusy += r.skippedBusy;
    finalized += r.finalized;
    generatorCpuMs += r.generatorCpuMs;
    elapsedMs = Math.max(elapsedMs, r.elapsedMs);
  }
  const perS = (n: number) => (elapsedMs > 0 ? Math.round((n / elapsedMs) * 1000 * 10) / 10 : 0);
  return {
    offeredPerS: perS(offered),
    acceptedPerS: perS(accepted),
    offered,
    accepted,
    skippedBusy,
    finalized,
    ack: hs.ack.summary(),
    propagation: hs.propagation.summary(),
    lease: hs.lease.summary(),
    lock: hs.lock.summary(),
    finalize: hs.finalize.summary(),
    received,
    sentByType,
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0),
    generatorCpuMs: Math.round(generatorCpuMs),
    elapsedMs: Math.round(elapsedMs),
  };
}
