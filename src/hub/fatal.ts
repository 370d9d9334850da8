/**
 * A worker death after start-up: the hub is no longer whole. The most telling death is reported — when the
 * writer dies of a damaged database the shards exit too (their port to it closes), and their bare "exited"
 * must not hide its cause — so deaths are gathered for FATAL_GATHER_MS before the one report.
 */
import type { Logger } from '../adapters/log/logger.js';
import type { HubError } from '../protocol/errors.js';

/** How long the deaths of several workers are gathered so the most specific cause is reported. */
export const FATAL_GATHER_MS = 100;

export class FatalWatch {
  private first: HubError | null = null;
  private started = false;
  private closing = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly log: Logger,
    private readonly onFatal: ((error: HubError) => void) | undefined,
  ) {}

  /** The most specific death so far (start-up failures throw it). */
  get cause(): HubError | null {
    return this.first;
  }

  /** From now on a death is fatal (before, start-up fails instead). */
  markStarted(): void {
    this.started = true;
  }

  /** Shutting down: workers ending is expected. */
  markClosing(): void {
    this.closing = true;
  }

  report(error: HubError): void {
    if (this.first === null || (this.first.code === 'WORKER_DIED' && error.code !== 'WORKER_DIED')) this.first = error;
    if (this.closing || !this.started || this.timer !== null) return;
    this.timer = setTimeout(() => {
      const cause = this.first ?? error;
      this.log.fatal({ err: cause }, 'worker died; the hub cannot continue');
      this.onFatal?.(cause);
    }, FATAL_GATHER_MS);
  }
}
