/**
 * HUB_STATUS to every ready terminal each HUB_STATUS_INTERVAL_MS, from the moment the hub listens until
 * it shuts down, on the injected clock.
 */
import type { Clock, TimerHandle } from '../ports/clock.js';

export class StatusTimer {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly broadcast: () => void,
  ) {}

  start(): void {
    this.stop();
    this.timer = this.clock.setTimeout(() => {
      this.broadcast();
      this.start();
    }, this.intervalMs);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
