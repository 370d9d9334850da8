/**
 * The one set of test clocks. Timers fire only when a test moves time, so a 60 s lease, a 10 s request
 * timeout or a commit window is checked without waiting. Wall (`now`) and monotonic readings are two
 * dials: `advance` moves both (real time passing), `jumpWall` only the wall (an NTP step, `date -s`).
 * Timers run on the monotonic dial, as Node's do. Presets below differ only in where time starts.
 */
import type { Clock, MonotonicClock, TimerHandle } from '../../src/ports/clock.js';
import type { WriterClock } from '../../workers/writer/writer-core.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

export interface TestClockOptions {
  /** Wall time at creation, epoch ms (default 2026-11-23 12:00 UTC, the Odoo fixtures' business day). */
  readonly start?: number;
  /** Monotonic reading at creation (default 0). */
  readonly monotonicStart?: number;
}

/** Bounds every advance: a timer that reschedules itself at 0 ms cannot spin a test forever. */
const MAX_FIRES_PER_ADVANCE = 100_000;

export const ODOO_DAY_START = Date.UTC(2026, 10, 23, 12, 0, 0);

export class TestClock implements MonotonicClock {
  private wall: number;
  private mono: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(options: TestClockOptions = {}) {
    this.wall = options.start ?? ODOO_DAY_START;
    this.mono = options.monotonicStart ?? 0;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.mono + Math.max(0, ms), callback };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number } | null)?.id;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Timers scheduled and not yet fired or cleared. */
  pending(): number {
    return this.timers.length;
  }

  /** Move both dials forward by `ms`, firing every timer that falls due on the way, in due order. */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (let fired = 0; fired < MAX_FIRES_PER_ADVANCE; fired++) {
      const due = this.earliest((t) => t.at <= end);
      if (!due) break;
      this.fire(due);
    }
    this.wall += end - this.mono;
    this.mono = end;
  }

  /** Fire timers due now (zero-delay work such as the outbox pump). */
  flush(): void {
    this.advance(0);
  }

  /**
   * Fire the timers pending at this moment, however far off, moving time to each; timers they schedule
   * wait for the next call. For schedules a test steps one round at a time (a refresh loop).
   */
  runPending(): void {
    const round = new Set(this.timers.map((t) => t.id));
    for (let due = this.earliest((t) => round.has(t.id)); due; due = this.earliest((t) => round.has(t.id)))
      this.fire(due);
  }

  /** Step the wall clock only (NTP correction, operator `date -s`); monotonic time and timers stay put. */
  jumpWall(ms: number): void {
    this.wall += ms;
  }

  private earliest(filter: (t: Timer) => boolean): Timer | undefined {
    return this.timers.filter(filter).sort((a, b) => a.at - b.at || a.id - b.id)[0];
  }

  private fire(timer: Timer): void {
    this.timers = this.timers.filter((t) => t.id !== timer.id);
    if (timer.at > this.mono) {
      this.wall += timer.at - this.mono;
      this.mono = timer.at;
    }
    timer.callback();
  }
}

/** SDK tests: New Year's noon 2026, far from any business-day boundary. */
export function sdkClock(): TestClock {
  return new TestClock({ start: Date.UTC(2026, 0, 1, 12, 0, 0) });
}

/** Wall-jump tests: two hours before midnight so a +1 h jump stays in the day and +2 h crosses it. */
export function lateEveningClock(): TestClock {
  return new TestClock({ start: Date.UTC(2026, 11, 1, 22, 0, 0), monotonicStart: 5_000 });
}

/** A clock at a fixed instant (Nov 2023) for tests whose timers never need to fire. */
export function fixedClock(): TestClock {
  return new TestClock({ start: 1_700_000_000_000 });
}

/**
 * A WriterCore clock over any test clock: its timers for the commit window and `afterTurn` (tests commit
 * by hand or advance the clock), and no elapsed time for commit durations.
 */
export function writerClock(clock: Clock = fixedClock()): WriterClock {
  return {
    now: () => clock.now(),
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
    afterTurn: (callback) => clock.setTimeout(callback, 0),
    elapsed: () => 0,
  };
}
