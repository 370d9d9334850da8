/**
 * A WriterCore clock for in-process tests, over any test clock: its timers for the commit window and
 * `afterTurn` (tests commit by hand or advance the clock), and no elapsed time for commit durations.
 */
import type { Clock } from '../../src/ports/clock.js';
import type { WriterClock } from '../../workers/writer/writer-core.js';

export function writerClock(clock: Clock): WriterClock {
  return {
    now: () => clock.now(),
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
    afterTurn: (callback) => clock.setTimeout(callback, 0),
    elapsed: () => 0,
  };
}
