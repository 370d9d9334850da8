/**
 * The outbox pump: while online, sends the due entries one at a time through the writer, then sleeps
 * until the next entry is due. One loop at a time; a turn that changes nothing (the socket is closing
 * under us) ends it and the next `ready` starts it again.
 */
import type { ClientClock } from './deps.js';
import type { Outbox } from './outbox.js';
import type { OutboxEntry } from './outbox-store.js';

export interface PumpHost {
  readonly isReady: boolean;
  flush(entry: OutboxEntry): Promise<void>;
  report(error: unknown): void;
}

/** Turns before the loop yields to the event loop (a huge outbox must not starve the socket). */
const TURNS_PER_RUN = 10_000;

export class OutboxPump {
  private pumping = false;
  private timer: unknown = null;

  constructor(
    private readonly outbox: Outbox,
    private readonly clock: ClientClock,
    private readonly host: PumpHost,
  ) {}

  schedule(delayMs: number): void {
    if (!this.host.isReady || this.pumping) return;
    this.stop();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.run();
    }, delayMs);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async run(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let again: number | null = null;
    try {
      // Each turn removes an entry or pushes its next attempt into the future.
      for (let turn = 0; this.host.isReady; turn++) {
        if (turn >= TURNS_PER_RUN) {
          again = 0;
          break;
        }
        const next = this.outbox.next(this.clock.now());
        if (next === null) break;
        if (!('entry' in next)) {
          again = Math.max(0, next.waitUntil - this.clock.now());
          break;
        }
        await this.host.flush(next.entry);
        if (this.outbox.get(next.entry.id) === next.entry) {
          again = 1_000;
          break;
        }
      }
    } catch (error) {
      this.host.report(error);
    } finally {
      this.pumping = false;
    }
    if (again !== null) this.schedule(again);
  }
}
