/**
 * Which broadcasts to apply, by the hub-wide seq: in order → apply; already seen → skip; a skipped
 * number, or a seq HUB_STATUS announced that never arrived → resync (reconnect resuming from the last
 * seq in order). Resuming that keeps failing falls back to a full SYNC_INIT.
 */
import type { HubMessage } from '../protocol/hub-messages.js';
import { SeqTracker } from './seq-tracker.js';
import type { ResyncInfo } from './types.js';

/** `resync`: close and resume; `applyThenResync`: a re-ACK of an old mutation still settles its write. */
export type Admission = 'apply' | 'skip' | 'resync' | 'applyThenResync';

export class SeqGate {
  private readonly seq = new SeqTracker();
  /** The seq the previous HUB_STATUS announced on this socket. */
  private announcedSeq: number | undefined = undefined;
  private askedResume = false;
  private resumeResyncs = 0;

  constructor(private readonly maxResumeResyncs: number) {}

  /** The last seq applied in order (what a reconnect resumes from). */
  get lastSeq(): number | undefined {
    return this.seq.lastSeq;
  }

  /** A new socket authenticates: resume from the last seq in order, if any. */
  resumeFrom(): number | undefined {
    this.announcedSeq = undefined;
    const last = this.seq.lastSeq;
    this.askedResume = last !== undefined;
    return last;
  }

  /** SYNC_INIT: a new baseline. True when a resume was asked and the hub sent everything instead. */
  syncInit(seq: number | undefined): boolean {
    this.seq.reset(seq);
    this.resumeResyncs = 0;
    const full = this.askedResume;
    this.askedResume = false;
    return full;
  }

  syncResume(fromSeq: number): void {
    this.seq.reset(fromSeq - 1);
  }

  /** The hub was reset (close 4005): its seq starts again. */
  forget(): void {
    this.seq.reset(undefined);
  }

  /** Decide a frame received while ready; `gap` is filled in when the verdict asks for a resync. */
  admit(message: HubMessage, gap: (info: ResyncInfo) => void): Admission {
    if (message.type === 'HUB_STATUS') return this.checkHighWater(message.seq, gap) ? 'resync' : 'skip';
    if (message.type === 'SYNC_INIT' || !('seq' in message) || typeof message.seq !== 'number') return 'apply';
    const verdict = this.seq.check(message.seq);
    switch (verdict.kind) {
      case 'apply':
        return 'apply';
      case 'duplicate':
        // A re-ACK of a replayed mutation carries its original seq and still settles the write.
        return message.type === 'ORDER_ACK' ? 'apply' : 'skip';
      case 'gap':
        this.noteGap(verdict.expected, verdict.received, gap);
        return message.type === 'ORDER_ACK' ? 'applyThenResync' : 'resync';
      default: {
        const unreachable: never = verdict;
        throw new Error(`unknown seq verdict ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * HUB_STATUS.seq is the hub's latest seq, not a slot of its own (it may overtake the broadcast it
   * counts). A gap only shows when a later broadcast arrives, so a lost *last* message would stay
   * unseen: if the seq a status announced has still not arrived by the next status, resync.
   */
  private checkHighWater(announced: number | undefined, gap: (info: ResyncInfo) => void): boolean {
    const last = this.seq.lastSeq;
    const previous = this.announcedSeq;
    this.announcedSeq = announced;
    if (previous === undefined || last === undefined || previous <= last) return false;
    this.noteGap(last + 1, previous, gap);
    return true;
  }

  private noteGap(expected: number, received: number, gap: (info: ResyncInfo) => void): void {
    gap({ reason: 'gap', expectedSeq: expected, receivedSeq: received });
    this.resumeResyncs += 1;
    if (this.resumeResyncs > this.maxResumeResyncs) {
      // Resuming keeps failing: ask for everything instead.
      this.seq.reset(undefined);
      this.resumeResyncs = 0;
    }
  }
}
