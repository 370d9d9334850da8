/**
 * Gap detection on the hub-wide `seq`: every broadcast (and the ORDER_ACK a writer gets instead of
 * its own broadcast) carries the next number, so a skipped number means a lost message. A gap is
 * never skipped silently: the transport resyncs (reconnect with lastSeq) and replays what it missed.
 */

export type SeqVerdict =
  | { readonly kind: 'apply' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'gap'; readonly expected: number; readonly received: number };

export class SeqTracker {
  private last: number | undefined;

  /** The last seq applied in order; what AUTH.lastSeq resumes from. */
  get lastSeq(): number | undefined {
    return this.last;
  }

  /** A new baseline: SYNC_INIT's seq, or (SYNC_RESUME.fromSeq − 1). Undefined forgets everything. */
  reset(baseline: number | undefined): void {
    this.last = baseline;
  }

  check(seq: number): SeqVerdict {
    if (this.last === undefined || seq === this.last + 1) {
      this.last = seq;
      return { kind: 'apply' };
    }
    if (seq <= this.last) return { kind: 'duplicate' };
    return { kind: 'gap', expected: this.last + 1, received: seq };
  }
}
