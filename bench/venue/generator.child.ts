/**
 * A load-generator process (forked by pool.ts): hosts a share of the terminals, connects them when
 * told, offers writes at the rate it is given (open loop, spread round-robin over its terminals),
 * and reports histograms and counters to the parent. Several of these run side by side so the
 * generator is not what the benchmark measures.
 */
import { monoUs, sleep } from '../lib/clock.js';
import { Histogram } from '../lib/histogram.js';
import type { ConnectCommand, GeneratorCommand, GeneratorReport, MixSpec, RunCommand } from './ipc.js';
import { rng } from './orders.js';
import { bump, Terminal, type TerminalStats } from './terminal.js';
import { connect, everyNth } from './transport.js';

/** Heartbeats and request timeouts are looked at this often (heartbeats are seconds apart, timeouts 5 s). */
const TICK_US = 20_000;

function freshStats(): TerminalStats {
  return {
    ack: new Histogram(),
    propagation: new Histogram(),
    lease: new Histogram(),
    lock: new Histogram(),
    finalize: new Histogram(),
    received: new Map(),
    sentByType: new Map(),
    errors: new Map(),
    accepted: 0,
    finalized: 0,
  };
}

function report(message: GeneratorReport): void {
  process.send?.(message);
}

function record(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries(map);
}

/** The state of this process: its terminals, the current phase's stats and mix. */
class GeneratorProcess {
  /** Stats are swapped per phase; terminals hold statsView, which always reads the current object. */
  private readonly holder: { stats: TerminalStats } = { stats: freshStats() };
  private readonly terminals: Terminal[] = [];
  private activeMix: MixSpec | null = null;
  private readonly statsView: TerminalStats;

  constructor() {
    const holder = this.holder;
    this.statsView = new Proxy({} as TerminalStats, {
      get: (_t, key: keyof TerminalStats) => holder.stats[key],
      set: (_t, key: 'accepted' | 'finalized', value: number) => {
        holder.stats[key] = value;
        return true;
      },
    });
  }

  async doConnect(cmd: ConnectCommand): Promise<void> {
    const syncLatency = new Histogram();
    const errors = new Map<string, number>();
    const sampler = everyNth(cmd.sampleEvery);
    let pending = cmd.to - cmd.from;
    let failed = 0;
    let lastSyncUs = 0;
    let resolveAll: () => void = () => undefined;
    const allDone = new Promise<void>((resolve) => {
      resolveAll = resolve;
      if (pending === 0) resolve();
    });
    const settle = () => {
      pending -= 1;
      if (pending === 0) resolveAll();
    };
    const startedUs = monoUs();
    const cpuBefore = process.cpuUsage();
    for (let i = cmd.from; i < cmd.to; i += 1) {
      const tables: number[] = [];
      for (let t = i + 1; t <= cmd.tables; t += cmd.totalTerminals) tables.push(t);
      let settled = false;
      const terminal = new Terminal(i, cmd.runId, tables, this.statsView, rng(i + 1), (t) => {
        syncLatency.record(t.syncedAtUs - t.openedAtUs);
        lastSyncUs = Math.max(lastSyncUs, t.syncedAtUs);
        if (!settled) {
          settled = true;
          settle();
        }
      });
      this.terminals.push(terminal);
      const conn = connect(
        cmd.target,
        sampler,
        {
          onOpen: () => terminal.opened(cmd.tables),
          onMessage: (m) => terminal.receive(m, this.activeMix),
          onClose: (reason) => {
            if (terminal.closed) return;
            terminal.closed = true;
            bump(errors, reason);
            bump(this.holder.stats.errors, `socket ${reason}`);
            if (!settled) {
              settled = true;
              failed += 1;
              settle();
            }
          },
        },
        cmd.timeoutMs,
      );
      terminal.attach(conn);
    }
    await Promise.race([allDone, sleep(cmd.timeoutMs)]);
    if (pending > 0) bump(errors, 'connect timeout', pending);
    report({
      type: 'connected',
      ok: this.terminals.filter((t) => t.ready).length,
      failed: failed + pending,
      startedUs,
      lastSyncUs,
      syncLatency: syncLatency.toData(),
      errors: record(errors),
      generatorCpuMs: (() => {
        const cpu = process.cpuUsage(cpuBefore);
        return (cpu.user + cpu.system) / 1000;
      })(),
    });
  }

  async doRun(cmd: RunCommand): Promise<void> {
    this.holder.stats = freshStats();
    this.activeMix = cmd.mix;
    const cpuBefore = process.cpuUsage();
    const ready = this.terminals.filter((t) => t.ready);
    const startUs = monoUs();
    const endUs = startUs + cmd.durationMs * 1000;
    let offered = 0;
    let sent = 0;
    let skippedBusy = 0;
    let cursor = 0;
    // Open loop: the offered count follows the clock; a write finding its terminal busy is dropped and counted.
    // The process sleeps until the next write is due (not a 1 ms poll: on 2 cores shared with the server,
    // a thousand wake-ups a second per process would be the generator measuring itself).
    let nextTickUs = 0;
    while (monoUs() < endUs) {
      const now = monoUs();
      const due = Math.floor(((now - startUs) / 1e6) * cmd.rate) - offered;
      for (let k = 0; k < due && ready.length > 0; k += 1) {
        offered += 1;
        const terminal = ready[cursor % ready.length]!;
        cursor += 1;
        if (terminal.ready && terminal.write(cmd.mix)) sent += 1;
        else skippedBusy += 1;
      }
      if (now >= nextTickUs) {
        for (const t of ready) t.tick(now, cmd.mix);
        nextTickUs = now + TICK_US;
      }
      const nextOfferUs = cmd.rate > 0 ? startUs + ((offered + 1) / cmd.rate) * 1e6 : endUs;
      const wakeUs = Math.min(nextOfferUs, nextTickUs, endUs);
      await sleep(Math.max(1, Math.ceil((wakeUs - monoUs()) / 1000)));
    }
    const elapsedMs = (monoUs() - startUs) / 1000;
    const drainUntil = monoUs() + cmd.drainMs * 1000;
    while (monoUs() < drainUntil && ready.some((t) => t.busy)) await sleep(5);
    const cpu = process.cpuUsage(cpuBefore);
    const s = this.holder.stats;
    report({
      type: 'ran',
      offered,
      sent,
      accepted: s.accepted,
      skippedBusy,
      finalized: s.finalized,
      ack: s.ack.toData(),
      propagation: s.propagation.toData(),
      lease: s.lease.toData(),
      lock: s.lock.toData(),
      finalize: s.finalize.toData(),
      received: record(s.received),
      sentByType: record(s.sentByType),
      errors: record(s.errors),
      generatorCpuMs: (cpu.user + cpu.system) / 1000,
      elapsedMs,
    });
    this.activeMix = null;
  }

  async handle(cmd: GeneratorCommand): Promise<void> {
    switch (cmd.type) {
      case 'connect':
        return this.doConnect(cmd);
      case 'run':
        return this.doRun(cmd);
      case 'close':
        for (const t of this.terminals) t.close();
        report({ type: 'closed' });
        await sleep(50);
        process.exit(0);
        return;
      default: {
        const unreachable: never = cmd;
        throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
      }
    }
  }
}

const generator = new GeneratorProcess();
process.on('message', (cmd: GeneratorCommand) => {
  generator
    .handle(cmd)
    .catch((error: unknown) =>
      report({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
});
process.on('disconnect', () => process.exit(0));
